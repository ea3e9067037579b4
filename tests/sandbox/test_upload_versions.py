"""A newer version of an upload stops the run still training the older one, and the session ends with
the newer run's outcome; a run's container reads exactly the upload version it validated, even when a
newer version arrives after Validate and before it reads (issue 13 item 4).

The race is made deterministic, and nothing waits inside the emulator's request handling: the first
run's container waits at its gate (``fake_containers.py gated``) while this test, in its own
thread, puts the newer version and waits until that version's run has ended; only then does the
test open the gate and the real classifier entrypoint run. The sandbox does not stop the ``.sync``
task of a stopped execution (AWS does), so the first run's container still runs: it stands for a
task not stopped yet, and shows what such a task reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from fake_containers import GATES_VARIABLE, gate
from sandbox_support import (
    FAST_TRAINING,
    SMALL_TASK,
    ScriptedLauncher,
    execution_end,
    notification_bodies,
    smallest_recording,
    subscribe_a_queue,
)

from contracts.keys import UploadKey, execution_arn_for, results_prefix_for, run_id_for
from contracts.manifest import manifest_key
from contracts.statuses import FINAL_STATUSES
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e

USER_ID, SESSION_ID = "carol", "fake-gated-1"
# Generous: every step, training included, runs several times slower on a loaded machine.
STEP_TIMEOUT_SECONDS = 300
TRAINING_TIMEOUT_SECONDS = 900


@pytest.fixture(scope="module")
def gates(tmp_path_factory):
    return tmp_path_factory.mktemp("gates")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory, gates):
    with LocalPipeline(
        work_dir=tmp_path_factory.mktemp("sandbox-versions"),
        config=SMALL_TASK,
        progress=lambda line: None,
        container_environment={**FAST_TRAINING, GATES_VARIABLE: str(gates)},
        launcher_factory=ScriptedLauncher,
    ) as running:
        running.notifications_queue_url = subscribe_a_queue(running)
        yield running


def _wait_until(condition: Callable[[], bool], timeout_seconds: float, failure: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout_seconds} s: {failure()}")
        time.sleep(0.1)


def test_a_newer_version_stops_the_run_training_the_older_one_which_reads_only_its_own(
    pipeline, gates, tmp_path
):
    s3, sfn = pipeline.session.client("s3"), pipeline.session.client("stepfunctions")
    bucket, key = pipeline.stack.upload_bucket, UploadKey(USER_ID, SESSION_ID, "recording.zip").key

    def status() -> dict:
        return pipeline.status(USER_ID, SESSION_ID) or {}

    # GIVEN a valid upload whose run has passed Validate and whose container waits before reading it
    recording = smallest_recording(tmp_path / "recording.zip").read_bytes()
    first_version = s3.put_object(Bucket=bucket, Key=key, Body=recording)["VersionId"]
    first_run = run_id_for(bucket, key, first_version)
    waiting, opened = gate(gates, first_run)
    _wait_until(waiting.exists, STEP_TIMEOUT_SECONDS, lambda: f"the first run's container never started: {status()}")
    # WHEN a newer version (not a zip) is uploaded, and its run ends, before the container reads
    newer_version = s3.put_object(Bucket=bucket, Key=key, Body=b"a newer version, not a zip")["VersionId"]
    newer_run = run_id_for(bucket, key, newer_version)
    _wait_until(
        lambda: status().get("runId") == newer_run and status().get("status") in FINAL_STATUSES,
        STEP_TIMEOUT_SECONDS,
        lambda: f"the newer version's run did not end: {status()}",
    )
    newer_execution = execution_end(
        sfn, execution_arn_for(pipeline.stack.state_machine_arn, newer_run), STEP_TIMEOUT_SECONDS
    )
    # THEN the start of the newer run stopped the first run's execution, which went no further
    first_execution = execution_end(
        sfn, execution_arn_for(pipeline.stack.state_machine_arn, first_run), STEP_TIMEOUT_SECONDS
    )
    assert first_execution["status"] == "ABORTED"
    # AND its container, let go, read the version its run validated
    opened.touch()
    _wait_until(
        lambda: pipeline.launcher.runs, TRAINING_TIMEOUT_SECONDS, lambda: "the first run's container did not end"
    )
    manifest = json.loads(
        s3.get_object(
            Bucket=pipeline.stack.results_bucket,
            Key=manifest_key(results_prefix_for(USER_ID, SESSION_ID, first_run)),
        )["Body"].read()
    )
    assert manifest["status"] == "succeeded"
    # AND the session is the newer run's, which failed as an invalid upload without training: the
    # stopped run's end was recorded by no one
    assert newer_execution["status"] == "FAILED"
    item = status()
    assert (item["runId"], item["uploadVersion"]) == (newer_run, newer_version)
    assert (item["status"], item["error"]["code"]) == ("FAILED", "INVALID_UPLOAD")
    assert pipeline.classifier_record(USER_ID, SESSION_ID) is None
    assert [run.session_id for run in pipeline.launcher.runs] == [SESSION_ID]
    # AND only the session's current outcome was notified
    notified_runs = [body["runId"] for body in notification_bodies(pipeline) if body["sessionId"] == SESSION_ID]
    assert notified_runs == [newer_run]
