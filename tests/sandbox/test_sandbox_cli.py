"""``python -m sandbox`` as a user runs it: ``run`` writes results, a table and the stack outputs,
``serve`` answers with the saved sessions (to eegclient too, through the stack outputs it writes),
``token`` issues what ``serve`` accepts; wrong arguments get a clear error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from sandbox_support import small_recording

from eegclient.tokens import TOKEN_VARIABLE
from sandbox.cli import DEFAULT_PORT, main
from sandbox.emulator import free_port
from sandbox.stack_outputs import STACK_OUTPUTS_FILE

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sandbox_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "sandbox", *arguments]


def _clean_environment() -> dict[str, str]:
    """The caller's environment without the fake AWS variables the tests set (the sandbox sets its own)."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    good = small_recording(folder / "first-run.zip")
    broken = folder / "broken.zip"
    broken.write_bytes(b"not a zip")
    out = folder / "out"
    completed = subprocess.run(
        sandbox_command("run", str(good), str(broken), "--out", str(out), "--user-id", "zoe", "--permutations", "1"),
        cwd=REPO_ROOT, env=_clean_environment(), capture_output=True, text=True, timeout=600, check=False,
    )
    return completed, out


@pytest.mark.e2e
def test_run_prints_a_table_saves_each_session_and_fails_if_one_failed(finished_run):
    completed, out = finished_run

    assert completed.returncode == 1, completed.stderr
    table = completed.stdout
    assert "zoe/first-run  SUCCEEDED" in table
    assert "zoe/broken" in table and "INVALID_UPLOAD" in table
    assert "overhead s" in table
    assert json.loads((out / "zoe" / "first-run" / "status.json").read_text())["status"] == "SUCCEEDED"
    assert (out / "zoe" / "first-run" / "report.html").is_file()
    assert (out / "zoe" / "first-run" / "classifier.json").is_file()
    assert json.loads((out / "zoe" / "broken" / "status.json").read_text())["error"]["code"] == "INVALID_UPLOAD"
    assert "PROCESSING" in completed.stderr, "progress goes to stderr"
    outputs = json.loads((out / STACK_OUTPUTS_FILE).read_text())
    assert outputs["apiUrl"] == f"http://127.0.0.1:{DEFAULT_PORT}", "where `serve` will answer"
    assert outputs["uploadBucketName"].endswith("-uploads")


def _wait_until_listening(port: int, process: subprocess.Popen, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.communicate()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/sessions", timeout=1)  # noqa: S310
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve did not start listening")


@pytest.mark.e2e
def test_serve_answers_with_the_saved_sessions_for_a_token_from_token(finished_run):
    _, out = finished_run
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        sandbox_command("serve", "--out", str(out), "--port", str(port)),
        cwd=REPO_ROOT, env=_clean_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_until_listening(port, server)
        token = subprocess.run(
            sandbox_command("token", "--user", "zoe", "--out", str(out)),
            cwd=REPO_ROOT, env=_clean_environment(), capture_output=True, text=True, check=True,
        ).stdout.strip()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/sessions", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            sessions = json.loads(response.read())["sessions"]
        outputs = json.loads((out / STACK_OUTPUTS_FILE).read_text())
        client = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "eegclient", "status", "broken", "--outputs", str(out / STACK_OUTPUTS_FILE)],
            cwd=REPO_ROOT, env={**_clean_environment(), TOKEN_VARIABLE: token}, capture_output=True, text=True,
            check=False,
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    assert {session["sessionId"]: session["status"] for session in sessions} == {
        "first-run": "SUCCEEDED",
        "broken": "FAILED",
    }
    assert outputs["apiUrl"] == f"http://127.0.0.1:{port}"
    assert client.returncode == 0, client.stderr
    assert client.stdout.startswith("broken: FAILED: INVALID_UPLOAD: ")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "missing.zip"], "no such upload file: missing.zip"),
        (["run", "--permutations", "0", __file__], "--permutations must be at least 1"),
        (["token", "--user", " "], "the user id must not be empty"),
        (["token", "--user", "zoe", "--lifetime", "0"], "--lifetime must be at least 1 second"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_wrong_arguments_get_a_clear_error(arguments, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(arguments)

    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
