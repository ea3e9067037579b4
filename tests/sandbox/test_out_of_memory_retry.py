"""A recording with denser cues than Validate's prediction assumes runs out of memory in the task sized for
it; the state machine trains it once more in a task of twice the memory, where the stack allows one, and
the session succeeds. Where the first task already had the maximum, the session fails OUT_OF_MEMORY. The
real classifier is killed for memory as ECS kills it (its own module: one sandbox runs at a time in a
process, and these stacks allow other task sizes than test_pipeline's)."""

from __future__ import annotations

import pytest
from sandbox_support import (
    FAST_TRAINING,
    SIGNATURE_PARAMETER,
    dense_cue_upload,
    presigned_run_accesses,
    set_pipeline_environment,
    shown_beyond_history,
)

from contracts.task_size import TaskSize
from sandbox.container_process import OOM_EXIT_CODE, OOM_REASON
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e

#: The dense-cue upload is predicted to need about 970 MiB: its first task has 1 GiB (the default's CPU),
#: where its training (about 1,400 MiB) runs out of memory.
FIRST_TASK = TaskSize(256, 1024)
RETRY_TASK = TaskSize(256, 2048)
DEFAULT_TASK = {"taskCpu": FIRST_TASK.cpu, "taskMemory": 512}


def _run_dense_cues(work_dir, monkeypatch, task_memory_max_mib: int):
    """The dense-cue session's final status record, its containers (size, exit code, reason), the
    states its execution entered and what its output, error and cause show of its run's URLs (each
    training's encoded value, or a signature), on a stack whose tasks may have up to ``task_memory_max_mib``."""
    with LocalPipeline(
        work_dir=work_dir,
        config={**DEFAULT_TASK, "taskMemoryMax": task_memory_max_mib},
        progress=lambda line: None,
        container_environment=FAST_TRAINING,
    ) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        pipeline.upload(dense_cue_upload(work_dir / "dense-cues.zip"), user_id="erin", session_id="dense-cues")
        item = pipeline.wait_for([("erin", "dense-cues")], timeout_seconds=300)[("erin", "dense-cues")].item
        containers = [(run.task_size, run.exit_code, run.reason) for run in pipeline.launcher.runs]
        sfn = pipeline.session.client("stepfunctions")
        history = sfn.get_execution_history(executionArn=item["executionArn"], maxResults=1000)["events"]
        shown = shown_beyond_history(sfn.describe_execution(executionArn=item["executionArn"]))
        shown_urls = [value for value in presigned_run_accesses(sfn, item["executionArn"]) if value in shown]
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]
    return item, containers, entered, shown_urls + [SIGNATURE_PARAMETER] * (SIGNATURE_PARAMETER in shown)


def test_a_run_out_of_memory_trains_again_in_a_task_twice_as_big_and_succeeds(tmp_path, monkeypatch):
    item, containers, entered, shown_urls = _run_dense_cues(
        tmp_path, monkeypatch, task_memory_max_mib=RETRY_TASK.memory_mib
    )

    # the first container was killed for memory as ECS reports it; the retry's trained
    assert containers == [
        (FIRST_TASK, OOM_EXIT_CODE, OOM_REASON),
        (RETRY_TASK, 0, "Essential container in task exited"),
    ]
    assert item["status"] == "SUCCEEDED", item
    assert "error" not in item and float(item["result"]["selectionAccuracy"]) > 0
    # the session shows the task its classifier was trained in
    assert item["taskSize"] == RETRY_TASK.to_dict()
    assert item["updatedAt"] >= item["startedAt"]
    # one retry, with fresh URLs: RecordFailure recorded nothing the first time
    assert entered.count("TrainClassifier") == entered.count("PresignRun") == 2
    assert entered.count("RecordFailure") == entered.count("RecordRetryTaskSize") == 1
    assert entered[-1] == "Succeeded"
    # the first training's caught task description (its URLs in the overrides) stays in the state to the
    # end; the execution's output shows neither training's URLs
    assert shown_urls == []


def test_a_run_out_of_memory_in_the_largest_task_allowed_fails_out_of_memory(tmp_path, monkeypatch):
    item, containers, entered, shown_urls = _run_dense_cues(
        tmp_path, monkeypatch, task_memory_max_mib=FIRST_TASK.memory_mib
    )

    assert containers == [(FIRST_TASK, OOM_EXIT_CODE, OOM_REASON)]
    assert item["status"] == "FAILED"
    assert item["error"] == {
        "code": "OUT_OF_MEMORY",
        "message": "The classifier ran out of memory while training on this recording.",
    }
    assert item["taskSize"] == FIRST_TASK.to_dict()
    assert "RecordRetryTaskSize" not in entered and entered.count("TrainClassifier") == 1
    assert shown_urls == []
