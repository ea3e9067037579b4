"""A session whose execution is stopped mid-run does not stay PROCESSING: the stop's status-change
event reaches the reconcile function through the program's EventBridge rule, which records FAILED. The
task the execution waited for is stopped too, as Step Functions stops it: its container does not train on."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from sandbox_support import FAST_TRAINING, ScriptedLauncher, set_pipeline_environment, small_recording, task_of_run

from sandbox.containers import USER_STOP_CODE, USER_STOP_REASON
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e


def _wait_for_status(pipeline: LocalPipeline, user_id: str, session_id: str, wanted: str) -> dict:
    deadline = time.monotonic() + 300
    while (item := pipeline.status(user_id, session_id) or {}).get("status") != wanted:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{user_id}/{session_id} never reached {wanted}: {item}")
        time.sleep(0.1)
    return item


def _wait_for(value: Callable[[], Any], failure: str, timeout_seconds: float = 300) -> Any:
    """The first true value ``value()`` returns (asked every 0.1 s)."""
    deadline = time.monotonic() + timeout_seconds
    while not (result := value()):
        if time.monotonic() > deadline:
            raise TimeoutError(failure)
        time.sleep(0.1)
    return result


def _started_task(pipeline: LocalPipeline, run_id: str) -> dict | None:
    with contextlib.suppress(LookupError):
        return task_of_run(pipeline, run_id)
    return None


# moto 5.2.5's interpreter evaluates nothing once an execution stops, so a stop arriving between the
# task's start and its TimeoutSeconds evaluation leaves its wait thread with the state's input as its
# timeout (TypeError in that thread; the stopped execution is unaffected). Only that thread's error is
# ignored: any other thread's error still shows.
@pytest.mark.filterwarnings(
    "ignore:Exception in thread WaitForTaskToken_SyncTask_arn:pytest.PytestUnhandledThreadExceptionWarning"
)
def test_an_execution_stopped_while_training_ends_its_session_failed(tmp_path_factory, monkeypatch):
    with LocalPipeline(
        work_dir=tmp_path_factory.mktemp("sandbox-stopped"),
        progress=lambda line: None,
        container_environment=FAST_TRAINING,
        launcher_factory=ScriptedLauncher,
    ) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        pipeline.upload(
            small_recording(tmp_path_factory.mktemp("upload") / "rec.zip"),
            user_id="erin",
            session_id="stopped",
        )
        processing = _wait_for_status(pipeline, "erin", "stopped", "PROCESSING")
        _wait_for(lambda: _started_task(pipeline, processing["runId"]), "the run's task never started")

        pipeline.session.client("stepfunctions").stop_execution(executionArn=processing["executionArn"])
        item = pipeline.wait_for([("erin", "stopped")], timeout_seconds=300)[("erin", "stopped")].item
        # The stopped container gets SIGTERM at once; training to its end would take far longer.
        _wait_for(lambda: pipeline.launcher.runs, "the stopped execution's container still runs", timeout_seconds=60)
        task = task_of_run(pipeline, processing["runId"])

    assert (item["status"], item["error"]["code"]) == ("FAILED", "INTERNAL_ERROR")
    assert item["runId"] == processing["runId"]
    assert (task["stopCode"], task["stoppedReason"]) == (USER_STOP_CODE, USER_STOP_REASON)
    assert [run.reason for run in pipeline.launcher.runs] == [USER_STOP_REASON]
