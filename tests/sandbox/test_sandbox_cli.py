"""``python -m sandbox`` as a user runs it: ``run`` writes results, a table and the stack outputs,
``serve`` answers with the saved sessions (to eegclient too, through the stack outputs it writes),
``token`` issues what ``serve`` accepts; wrong arguments get a clear error; SIGINT and SIGTERM stop
``serve``, ``run --serve`` and ``run`` with their containers, even when the command started with
SIGINT ignored (a background job of a non-interactive shell)."""

from __future__ import annotations

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sandbox_support import small_recording

from eegclient.tokens import TOKEN_VARIABLE
from sandbox.cli import DEFAULT_PORT, main, serving_instructions
from sandbox.emulator import free_port
from sandbox.stack_outputs import STACK_OUTPUTS_FILE
from sandbox.tokens import signing_key, verify_authorization

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Ignores SIGINT, then becomes the command: an ignored disposition survives exec, as it does for `cmd &`.
IGNORE_SIGINT_THEN_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
# Only a safety net against a hung test: a clean stop takes a second or two.
STOP_WAIT_SECONDS = 60


def sandbox_command(*arguments: str, sigint_ignored: bool = False) -> list[str]:
    interpreter = [sys.executable, "-c", IGNORE_SIGINT_THEN_EXEC] if sigint_ignored else [sys.executable]
    return [*interpreter, "-m", "sandbox", *arguments]


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
    assert '"_aws"' not in completed.stdout + completed.stderr, "no CloudWatch here: no metric lines"
    outputs = json.loads((out / STACK_OUTPUTS_FILE).read_text())
    assert outputs["apiUrl"] == f"http://127.0.0.1:{DEFAULT_PORT}", "where `serve` will answer"
    # The program's physical name: Pulumi's auto-name of the storage component's upload bucket.
    assert outputs["uploadBucketName"].startswith("storage-uploads-")


# serve deploys the program's whole stack before it listens.
def _wait_until_listening(port: int, process: subprocess.Popen, timeout_seconds: float = 300) -> None:
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


def _start(command: list[str], log_dir) -> subprocess.Popen:
    """The command in the background, its output in files (a pipe nobody reads could fill and block it)."""
    return subprocess.Popen(  # noqa: S603
        command, cwd=REPO_ROOT, env=_clean_environment(),
        stdout=(log_dir / "stdout.txt").open("w"), stderr=(log_dir / "stderr.txt").open("w"),
    )


def _stop(process: subprocess.Popen, stop_signal: signal.Signals) -> int:
    process.send_signal(stop_signal)
    try:
        return process.wait(timeout=STOP_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"still running {STOP_WAIT_SECONDS} s after {stop_signal.name}") from None


STOPS = [
    pytest.param(signal.SIGINT, False, id="SIGINT"),
    pytest.param(signal.SIGTERM, False, id="SIGTERM"),
    pytest.param(signal.SIGINT, True, id="SIGINT-started-with-SIGINT-ignored"),
    pytest.param(signal.SIGTERM, True, id="SIGTERM-started-with-SIGINT-ignored"),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("stop_signal", "sigint_ignored"), STOPS)
def test_serve_answers_with_the_saved_sessions_and_stops_on_a_signal(
    finished_run, tmp_path, stop_signal, sigint_ignored
):
    _, out = finished_run
    port = free_port()
    server = _start(
        sandbox_command("serve", "--out", str(out), "--port", str(port), sigint_ignored=sigint_ignored), tmp_path
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
        exit_code = _stop(server, stop_signal)

    assert {session["sessionId"]: session["status"] for session in sessions} == {
        "first-run": "SUCCEEDED",
        "broken": "FAILED",
    }
    assert outputs["apiUrl"] == f"http://127.0.0.1:{port}"
    assert client.returncode == 0, client.stderr
    assert client.stdout.startswith("broken: FAILED: INVALID_UPLOAD: ")
    assert exit_code == 0
    assert f"{stop_signal.name}: stopping" in (tmp_path / "stderr.txt").read_text()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/sessions", timeout=5)  # noqa: S310


@pytest.mark.e2e
def test_run_serve_started_with_sigint_ignored_serves_its_results_and_stops_on_sigint(tmp_path):
    upload = small_recording(tmp_path / "served-run.zip")
    port = free_port()
    command = sandbox_command(
        "run", str(upload), "--out", str(tmp_path / "out"), "--permutations", "1", "--serve", "--port", str(port),
        sigint_ignored=True,
    )
    process = _start(command, tmp_path)
    try:
        _wait_until_listening(port, process, timeout_seconds=600)
    finally:
        exit_code = _stop(process, signal.SIGINT)

    assert exit_code == 0, (tmp_path / "stderr.txt").read_text()
    assert "local-researcher/served-run  SUCCEEDED" in (tmp_path / "stdout.txt").read_text()
    assert "SIGINT: stopping" in (tmp_path / "stderr.txt").read_text()


def _processes_writing_to(path) -> list[int]:
    """Ids of the processes holding ``path`` open (a container keeps its log open while it runs)."""
    holders = []
    for fd_dir in glob.glob("/proc/[0-9]*/fd"):
        try:
            descriptors = os.listdir(fd_dir)
        except OSError:  # the process ended while we looked, or is not ours to read
            continue
        for descriptor in descriptors:
            try:
                target = os.readlink(os.path.join(fd_dir, descriptor))
            except OSError:
                # Closed while we looked: a starting container opens and closes files by the thousand
                # (its imports), and skipping the whole process for it lost the container's log.
                continue
            if target == str(path):
                holders.append(int(fd_dir.split("/")[2]))
                break
    return holders


@pytest.mark.e2e
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the container's process through /proc (Linux)")
def test_sigterm_during_a_run_stops_its_container_and_exits_143(tmp_path):
    upload = small_recording(tmp_path / "long-run.zip")
    logs = tmp_path / "out" / "container-logs"
    # Enough permutations that the container is still training when the signal comes.
    process = _start(
        sandbox_command("run", str(upload), "--out", str(tmp_path / "out"), "--permutations", "100000"), tmp_path
    )
    try:
        container_log = _wait_for_container_log(logs, process)
        assert _processes_writing_to(container_log), "the container should be running"
    finally:
        exit_code = _stop(process, signal.SIGTERM)

    assert exit_code == 128 + signal.SIGTERM
    assert "SIGTERM: stopped before the end" in (tmp_path / "stderr.txt").read_text()
    assert _processes_writing_to(container_log) == []


def _wait_for_container_log(logs, process: subprocess.Popen, timeout_seconds: float = 600):
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"run exited before its container started: {process.returncode}")
        started = sorted(logs.glob("*.log")) if logs.is_dir() else []
        if started and _processes_writing_to(started[0]):
            return started[0]
        time.sleep(0.2)
    raise AssertionError("no container started")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "missing.zip"], "no such upload file: missing.zip"),
        (["run", "--permutations", "0", __file__], "--permutations must be at least 1"),
        (["token", "--user", " "], "' ' is not a user id: a user id is 1 to 128"),
        (["token", "--user", "alice_1"], "'alice_1' is no token subject's user id"),
        (["run", "--user-id", "a b"], "'a b' is not a user id"),
        (["run", "--user-id", "../bob"], "'../bob' is not a user id"),
        (["run", "--user-id", ""], "'' is not a user id"),
        (["run", "--user-id", "x" * 200], f"'{'x' * 200}' is not a user id"),
        (["run", "--user-id", "a%2Fb"], "'a%2Fb' is not a user id"),
        (["run", "--user-id", ".."], "'..' is not a user id"),
        (["run", "--user-id", "alice_1"], "'alice_1' is no token subject's user id"),
        (["token", "--user", "zoe", "--lifetime", "0"], "--lifetime must be at least 1 second"),
        (["run", "."], "not a file: ."),
        (["run", "--port", "70000"], "argument --port: 70000 is not a port number (0 to 65535)"),
        (["serve", "--port", "-1"], "argument --port: -1 is not a port number (0 to 65535)"),
        (["run", "--max-running", "0"], "argument --max-running: 0 is not a whole number of at least 1"),
        (["run", "--max-running", "-1"], "argument --max-running: -1 is not a whole number of at least 1"),
        (["run", "--timeout", "0"], "argument --timeout: 0 is not a number of seconds above 0"),
        (["run", "--timeout", "-5"], "argument --timeout: -5 is not a number of seconds above 0"),
        (["run", "--stack", "nope"], "argument --stack: no Pulumi.nope.yaml beside the program; stacks: dev, prod"),
        (["serve", "--stack", "../dev"], "argument --stack: no Pulumi.../dev.yaml beside the program"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_wrong_arguments_get_a_clear_error(arguments, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(arguments)

    error = capsys.readouterr().err
    assert stopped.value.code == 2
    assert message in error
    if arguments:
        assert f"python -m sandbox {arguments[0]}: error: " in error, "the usage shown is the command's"
    assert not (tmp_path / "sandbox-out").exists(), "nothing was started"


@pytest.mark.unit
@pytest.mark.parametrize("command", [["run"], ["serve"], ["token", "--user", "zoe"]])
@pytest.mark.parametrize(
    ("out", "problem"),
    [("taken", "File exists"), ("taken/below", "Not a directory")],
    ids=["a-file", "below-a-file"],
)
def test_an_output_folder_that_cannot_be_made_is_refused_before_anything_starts(
    command, out, problem, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("a file where the output folder should be")
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--out", out])

    error = capsys.readouterr().err
    assert stopped.value.code == 2
    assert f"python -m sandbox {command[0]}: error: --out {out} cannot be the output folder ({problem})" in error


@pytest.mark.unit
@pytest.mark.parametrize("command", [["serve"], ["run", "--serve"]])
def test_a_port_already_listened_on_is_refused_before_the_stack_is_deployed(command, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as other_server:
        port = other_server.getsockname()[1]
        with pytest.raises(SystemExit) as stopped:
            main([*command, "--port", str(port)])

    error = capsys.readouterr().err
    assert stopped.value.code == 2
    assert f"cannot listen on 127.0.0.1:{port} (Address already in use)" in error
    assert "another `python -m sandbox serve`" in error
    assert not (tmp_path / "sandbox-out").exists(), "nothing was started"


@pytest.mark.unit
@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a folder without write permission")
def test_an_output_folder_that_is_not_writable_is_refused_before_anything_starts(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "read-only").mkdir(mode=0o555)
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--out", "read-only"])

    assert stopped.value.code == 2
    assert "--out read-only cannot be the output folder (not writable)" in capsys.readouterr().err


@pytest.mark.unit
def test_a_token_for_a_folder_without_a_key_says_that_a_new_key_was_made(capsys, tmp_path):
    out = tmp_path / "elsewhere"

    assert main(["token", "--user", "zoe", "--out", str(out)]) == 0
    first = capsys.readouterr()
    assert main(["token", "--user", "zoe", "--out", str(out)]) == 0
    second = capsys.readouterr()

    assert first.err == f"note: new signing key in {out}: only a run or serve with that --out accepts this token\n"
    assert second.err == ""
    assert verify_authorization(signing_key(out), {"authorization": f"Bearer {second.out.strip()}"})


def test_the_serving_instructions_issue_a_token_for_the_runs_user_and_quote_the_paths_for_a_shell():
    out = Path("my results")
    instructions = serving_instructions("http://127.0.0.1:8787", out, out / STACK_OUTPUTS_FILE, "alice")

    assert "Status API on http://127.0.0.1:8787 " in instructions
    assert "TOKEN=$(.venv/bin/python -m sandbox token --user alice --out 'my results')" in instructions
    assert f"eegclient list --outputs 'my results/{STACK_OUTPUTS_FILE}' --token" in instructions
