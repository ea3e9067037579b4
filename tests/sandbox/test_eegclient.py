"""``python -m eegclient`` against the sandbox's served Status API, end to end, as a researcher runs it.

The client runs as its own process with no AWS settings, and gets only ``stack-outputs.json``
(written as ``sandbox serve`` writes it) and a bearer token: a recording is uploaded through the
presigned POST, followed to its final status, and its classifier and report are downloaded and
checked.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest
from sandbox_support import (
    FAST_TRAINING,
    ScriptedLauncher,
    no_metadata_upload,
    served_api,
    set_pipeline_environment,
    small_recording,
)

from contracts.api import Route
from eegclient.api import GET_REPORT
from eegclient.cli import EXIT_AUTH, EXIT_FAILED, EXIT_OK, EXIT_TIMEOUT
from sandbox.cli import REPO_ROOT
from sandbox.runner import LocalPipeline
from sandbox.stack_outputs import write_stack_outputs
from sandbox.tokens import issue_token, signing_key

pytestmark = pytest.mark.e2e

# Whose classifier containers never finish (see ScriptedLauncher).
STUCK_USER = "fake-hang-1"
RESEARCHER = "local-researcher"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An emulated stack with its Status API served and its stack outputs written beside it."""
    work_dir = tmp_path_factory.mktemp("eegclient")
    with (
        LocalPipeline(
            work_dir=work_dir,
            progress=lambda line: None,
            container_environment=FAST_TRAINING,
            launcher_factory=ScriptedLauncher,
            max_running=2,
        ) as pipeline,
        pytest.MonkeyPatch.context() as environment,
    ):
        set_pipeline_environment(environment, pipeline)
        pipeline.key = signing_key(work_dir)
        with served_api(pipeline, pipeline.key) as api_url:
            pipeline.outputs_file = write_stack_outputs(work_dir, pipeline.stack, api_url)
            pipeline.work_dir = work_dir
            yield pipeline


def run_client(
    served, *arguments: str, token_options: list[str] | None = None
) -> subprocess.CompletedProcess:
    """``python -m eegclient ARGUMENTS --outputs stack-outputs.json`` in a process without AWS settings."""
    if token_options is None:
        token_options = ["--token", issue_token(served.key, RESEARCHER)]
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return subprocess.run(  # noqa: S603 - this interpreter running the client
        [sys.executable, "-m", "eegclient", *arguments, "--outputs", str(served.outputs_file),
         *token_options],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False,
    )


def smoke(
    served, upload, *options: str, token_options: list[str] | None = None
) -> subprocess.CompletedProcess:
    return run_client(served, "smoke", "--upload", str(upload), *options, token_options=token_options)


def uploaded_session_id(output: str) -> str:
    return re.search(r"as session (\S+)", output).group(1)


@pytest.fixture(scope="module")
def smoked(served, tmp_path_factory):
    """One smoke run of a small real recording, its token from ``sandbox token`` run as a command."""
    folder = tmp_path_factory.mktemp("smoke")
    token_command = shlex.join(
        [sys.executable, "-m", "sandbox", "token", "--user", RESEARCHER, "--out", str(served.work_dir)]
    )
    upload = small_recording(folder / "first-run.zip")
    completed = smoke(
        served,
        upload,
        "--out",
        str(folder / "results"),
        "--timeout",
        "300",
        token_options=["--token-command", token_command],
    )
    session_id = uploaded_session_id(completed.stdout)
    return completed, session_id, folder / "results" / session_id


def test_the_smoke_test_passes_on_a_good_recording_and_keeps_what_it_downloaded(smoked):
    completed, session_id, saved = smoked

    assert completed.returncode == EXIT_OK, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert re.fullmatch(rf"\[\s+\d+\.\ds\] uploaded first-run\.zip as session {session_id}", lines[0])
    assert re.search(rf"\] {session_id}: SUCCEEDED: nested accuracy [01]\.\d{{3}} \(online model", completed.stdout)
    assert re.search(
        r"\] smoke test passed: classifier.json names T1, T2; SUCCEEDED: nested accuracy [01]\.\d{3} ", lines[-1]
    )
    classifier = json.loads((saved / "classifier.json").read_text())
    assert sorted(classifier["fbcsp"]["classLabels"].values()) == ["T1", "T2"]
    if GET_REPORT in {route.value for route in Route}:
        assert "<html" in (saved / "report.html").read_text().lower()
        assert list((saved / "figures").glob("*.png")), "the report's figures are saved beside it"
    else:
        assert not (saved / "report.html").exists()
        assert f"{session_id}: this stack has no report route" in completed.stdout


def test_status_list_and_download_show_the_session_the_smoke_test_left(served, smoked, tmp_path):
    _, session_id, _ = smoked

    status = run_client(served, "status", session_id)
    listing = run_client(served, "list", "--page-size", "1")
    download = run_client(served, "download", session_id, "--out", str(tmp_path))

    assert status.returncode == listing.returncode == download.returncode == EXIT_OK
    assert status.stdout.startswith(f"{session_id}: SUCCEEDED: nested accuracy ")
    headline, *warnings = status.stdout.splitlines()
    counted = re.search(r"; (\d+) report warnings?\)$", headline)
    assert (int(counted[1]) if counted else 0) == len(warnings)
    assert all(line.startswith("  report warning: ") for line in warnings)
    assert re.match(rf"{session_id}  \S+Z\s+SUCCEEDED: nested accuracy ", listing.stdout)
    assert json.loads((tmp_path / session_id / "classifier.json").read_text())["fbcsp"]["classLabels"]


def test_a_failed_upload_ends_the_smoke_test_with_its_code_and_message(served, tmp_path):
    upload = no_metadata_upload(tmp_path / "no-metadata.zip")

    completed = smoke(served, upload, "--out", str(tmp_path / "results"), "--timeout", "300")

    assert completed.returncode == EXIT_FAILED, completed.stdout + completed.stderr
    session_id = uploaded_session_id(completed.stdout)
    assert re.search(rf"\] {session_id}: FAILED: INVALID_UPLOAD: .*metadata\.json", completed.stdout)
    assert not (tmp_path / "results").exists(), "nothing is downloaded for a failed session"


def test_an_expired_token_is_refused_with_a_message_saying_so(served):
    expired = issue_token(served.key, RESEARCHER, lifetime_seconds=60, now=1_000_000_000)

    completed = run_client(served, "list", token_options=["--token", expired])

    assert completed.returncode == EXIT_AUTH
    assert completed.stderr.strip() == (
        "error: the API refused the token: it expired at 2001-09-09 01:47:40 UTC; "
        "get a fresh one and try again"
    )


def test_a_session_still_running_at_the_timeout_says_where_it_stopped(served, tmp_path):
    upload = small_recording(tmp_path / "first-run.zip")

    completed = smoke(
        served, upload, "--timeout", "3", token_options=["--token", issue_token(served.key, STUCK_USER)]
    )

    assert completed.returncode == EXIT_TIMEOUT, completed.stdout + completed.stderr
    session_id = uploaded_session_id(completed.stdout)
    assert re.fullmatch(
        rf"error: timed out after \d+ s waiting for session {session_id}: it was "
        r"(RECEIVED|PROCESSING|not yet registered by the pipeline \(upload event not processed\))\n",
        completed.stderr,
    )
