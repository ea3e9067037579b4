"""A newer version of an upload stops the run still training the older one, as on AWS: the newer run's
start stops the older run's execution, Step Functions stops the ECS task that execution waits for
(``StopTask``: SIGTERM to its container, stop code ``UserInitiated``), and the session ends with the
newer run's outcome. Another user's task, running meanwhile, is not touched.

The first run's container waits at its gate (``fake_containers.py gated``), which this test never
opens: only the stop ends it before the gate's own timeout. The newer run's gate is opened as soon as
it is uploaded, so its container runs the real classifier entrypoint. What a container not stopped
yet reads (exactly the version its run validated) is shown without the emulator:
``tests/classifier/test_container_failures.py`` and ``tests/handlers/test_presign_run.py``.
"""

from __future__ import annotations

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
    task_of_run,
)

from contracts.keys import UploadKey, execution_arn_for, results_prefix_for, run_id_for
from sandbox.containers import USER_STOP_CODE, USER_STOP_REASON
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e

USER_ID, SESSION_ID = "carol", "fake-gated-1"
BYSTANDER_ID, BYSTANDER_SESSION_ID = "dave", "fake-gated-2"
# Generous: every step, training included, runs several times slower on a loaded machine.
STEP_TIMEOUT_SECONDS = 300
TRAINING_TIMEOUT_SECONDS = 900
# A stopped task's container gets SIGTERM at once; ending it takes well under ECS's 30 s stop timeout
# (and far less than the 900 s its gate would keep it waiting).
STOP_TIMEOUT_SECONDS = 60
SIGTERM_EXIT_CODE = 143


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
        # the two waiting containers and the newer run's each have a slot, however many CPUs there are
        max_running=3,
    ) as running:
        running.notifications_queue_url = subscribe_a_queue(running)
        yield running


def _wait_until(condition: Callable[[], bool], timeout_seconds: float, failure: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout_seconds} s: {failure()}")
        time.sleep(0.1)


def _put(pipeline, user_id: str, session_id: str, body: bytes) -> tuple[str, str]:
    """Upload ``body`` as a new version of the session's recording; its run id and version id."""
    bucket = pipeline.stack.upload_bucket
    key = UploadKey(user_id, session_id, "recording.zip").key
    version = pipeline.session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]
    return run_id_for(bucket, key, version), version


def test_a_newer_version_stops_the_task_of_the_run_it_replaces_and_no_other(pipeline, gates, tmp_path):
    s3, sfn = pipeline.session.client("s3"), pipeline.session.client("stepfunctions")
    recording = smallest_recording(tmp_path / "recording.zip").read_bytes()

    def status() -> dict:
        return pipeline.status(USER_ID, SESSION_ID) or {}

    def container_run(run_id: str):
        task_id = task_of_run(pipeline, run_id)["taskArn"].rsplit("/", 1)[-1]
        return next((run for run in pipeline.launcher.runs if run.task_id == task_id), None)

    # GIVEN a run past Validate whose container waits, and another user's run whose container waits too
    first_run, _ = _put(pipeline, USER_ID, SESSION_ID, recording)
    bystander_run, _ = _put(pipeline, BYSTANDER_ID, BYSTANDER_SESSION_ID, recording)
    for run_id in (first_run, bystander_run):
        waiting, _ = gate(gates, run_id)
        _wait_until(waiting.exists, STEP_TIMEOUT_SECONDS, lambda run_id=run_id: f"{run_id}'s container never started")
    # WHEN the session is uploaded again (a valid recording, whose run is let through its gate)
    newer_run, newer_version = _put(pipeline, USER_ID, SESSION_ID, recording)
    gate(gates, newer_run)[1].touch()

    # THEN the first run's execution is stopped, and so is the task it waited for: its container got
    # SIGTERM and ended at once, and ECS describes the task as stopped by request
    state_machine = pipeline.stack.state_machine_arn
    first_execution = execution_end(sfn, execution_arn_for(state_machine, first_run), STEP_TIMEOUT_SECONDS)
    assert first_execution["status"] == "ABORTED"
    _wait_until(
        lambda: container_run(first_run) is not None,
        STOP_TIMEOUT_SECONDS,
        lambda: f"the stopped run's container still runs: {task_of_run(pipeline, first_run)['lastStatus']}",
    )
    stopped = container_run(first_run)
    assert (stopped.exit_code, stopped.reason) == (SIGTERM_EXIT_CODE, USER_STOP_REASON)
    task = task_of_run(pipeline, first_run)
    assert (task["lastStatus"], task["stopCode"]) == ("STOPPED", USER_STOP_CODE)
    assert task["stoppedReason"] == USER_STOP_REASON
    assert [container["exitCode"] for container in task["containers"]] == [SIGTERM_EXIT_CODE]
    # AND it wrote nothing
    first_results = results_prefix_for(USER_ID, SESSION_ID, first_run)
    assert "Contents" not in s3.list_objects_v2(Bucket=pipeline.stack.results_bucket, Prefix=first_results)
    # AND the other user's container still waits, its task running
    assert container_run(bystander_run) is None
    assert task_of_run(pipeline, bystander_run)["lastStatus"] == "RUNNING"

    # AND the newer run trains and succeeds: the session is its own, and only its outcome is recorded
    newer_execution = execution_end(sfn, execution_arn_for(state_machine, newer_run), TRAINING_TIMEOUT_SECONDS)
    assert newer_execution["status"] == "SUCCEEDED"
    item = status()
    assert (item["status"], item["runId"], item["uploadVersion"]) == ("SUCCEEDED", newer_run, newer_version)
    assert pipeline.classifier_record(USER_ID, SESSION_ID)["runId"] == newer_run
    assert container_run(newer_run).exit_code == 0
    notified_runs = [body["runId"] for body in notification_bodies(pipeline) if body["sessionId"] == SESSION_ID]
    assert notified_runs == [newer_run]

    # WHEN an operator stops the other user's execution, its container stops the same way
    sfn.stop_execution(executionArn=execution_arn_for(state_machine, bystander_run))
    _wait_until(
        lambda: container_run(bystander_run) is not None,
        STOP_TIMEOUT_SECONDS,
        lambda: "the operator's stop left the container running",
    )
    assert task_of_run(pipeline, bystander_run)["stopCode"] == USER_STOP_CODE
    pipeline.wait_for([(BYSTANDER_ID, BYSTANDER_SESSION_ID)], timeout_seconds=STEP_TIMEOUT_SECONDS)
