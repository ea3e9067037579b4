"""A classifier task that ECS accepted but could not start (the sandbox's launcher stops a task whose image
it cannot pull as ECS does: ``TaskFailedToStart``, ``CannotPullContainerError``, no exit code) is trained
once more in the same size after the state machine's wait; an image that is there by then trains, one still
missing fails the session IMAGE_UNAVAILABLE after that one retry (its own module: one sandbox runs at a
time in a process). The wait is shortened to a second: moto's Wait state sleeps it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sandbox_support import (
    FAST_TRAINING,
    SIZED_TASK,
    SMALL_TASK,
    ScriptedLauncher,
    execution_end,
    set_pipeline_environment,
    small_recording,
)

from contracts.failures import FailureCode
from handlers.common.failures import GENERIC_MESSAGES
from sandbox.container_images import ImageUnavailable, pull_failure_reason
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e

SHORT_WAIT_SECONDS = 1
MISSING, LATE = ("erin", "image-missing-twice"), ("erin", "image-late-1")
UNPULLABLE = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/eeg:not-yet"


@dataclass
class LateImageLauncher(ScriptedLauncher):
    """:class:`ScriptedLauncher`, and the image of a session named ``image-late-...`` cannot be pulled the
    first time only (ECR throttled in a burst, say)."""

    refused: set[str] = field(default_factory=set)

    def command(self, image, environment, **task):
        session_id = environment.get("SESSION_ID", "")
        if session_id.startswith("image-late") and session_id not in self.refused:
            self.refused.add(session_id)
            raise ImageUnavailable(pull_failure_reason(UNPULLABLE))
        return super().command(image, environment, **task)


@pytest.fixture(scope="module")
def start_retries(tmp_path_factory):
    """Per session: its final status record, its containers (size, exit code, reason) and the states its
    execution entered."""
    uploads = tmp_path_factory.mktemp("uploads")
    with (
        LocalPipeline(
            work_dir=tmp_path_factory.mktemp("sandbox-start-retry"),
            config=SMALL_TASK,
            start_retry_wait_seconds=SHORT_WAIT_SECONDS,
            progress=lambda line: None,
            container_environment=FAST_TRAINING,
            launcher_factory=LateImageLauncher,
        ) as pipeline,
        pytest.MonkeyPatch.context() as environment,
    ):
        set_pipeline_environment(environment, pipeline)
        for user_id, session_id in (MISSING, LATE):
            pipeline.upload(small_recording(uploads / f"{session_id}.zip"), user_id=user_id, session_id=session_id)
        outcomes = pipeline.wait_for([MISSING, LATE], timeout_seconds=300)
        sfn = pipeline.session.client("stepfunctions")
        sessions = {}
        for key, outcome in outcomes.items():
            arn = outcome.item["executionArn"]
            execution_end(sfn, arn)
            history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
            runs = [run for run in pipeline.launcher.runs if run.session_id == key[1]]
            sessions[key] = (
                outcome.item,
                [(run.task_size, run.exit_code, run.reason) for run in runs],
                [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event],
            )
        yield sessions


def _retried_once_in_the_same_size(entered: list[str]) -> None:
    assert entered.count("TrainClassifier") == entered.count("PresignRun") == 2
    assert entered.count("UseSameTaskSize") == entered.count("WaitBeforeStartRetry") == 1
    assert entered.count("RecordRetryTaskSize") == 1 and "UseRetryTaskSize" not in entered
    first_failure = entered.index("RecordFailure")
    assert entered[first_failure : first_failure + 6] == [
        "RecordFailure",
        "FailureRecorded",
        "UseSameTaskSize",
        "WaitBeforeStartRetry",
        "RecordRetryTaskSize",
        "PresignRun",
    ]


def test_an_image_pulled_at_the_second_start_trains_and_the_session_succeeds(start_retries):
    item, containers, entered = start_retries[LATE]

    (size, exit_code, reason), trained = containers
    assert (size, exit_code) == (SIZED_TASK, None) and reason.startswith("CannotPullContainerError")
    assert trained == (SIZED_TASK, 0, "Essential container in task exited")
    assert item["status"] == "SUCCEEDED", item.get("error")
    assert item["taskSize"] == SIZED_TASK.to_dict()
    _retried_once_in_the_same_size(entered)
    assert entered.count("RecordFailure") == 1 and entered[-1] == "Succeeded"


def test_an_image_missing_at_both_starts_fails_image_unavailable_after_one_retry(start_retries):
    item, containers, entered = start_retries[MISSING]

    assert len(containers) == 2
    assert all(size == SIZED_TASK and exit_code is None for size, exit_code, _ in containers)
    assert all(reason.startswith("CannotPullContainerError") for _, _, reason in containers)
    assert item["status"] == "FAILED"
    assert item["error"] == {
        "code": "IMAGE_UNAVAILABLE",
        "message": GENERIC_MESSAGES[FailureCode.IMAGE_UNAVAILABLE],
    }
    assert item["taskSize"] == SIZED_TASK.to_dict()
    _retried_once_in_the_same_size(entered)
    assert entered.count("RecordFailure") == 2
    assert entered[-3:] == ["FailureRecorded", "NotifyFailure", "Failed"]
