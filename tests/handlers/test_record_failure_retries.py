"""RecordFailure's one retry per execution, on moto: a run out of memory with a bigger size left, or a
classifier task that ECS accepted but could not start, is not recorded but trained once more (in the bigger
size, or in the same size after a wait); whatever fails after that retry is recorded as before. Between two
RecordFailure calls the state is changed by the definition's own Pass state for that retry. Also what counts
as a failed start (the unit tests at the end)."""

import json

import pytest
from handler_support import (
    SESSION,
    USER,
    after_retry_pass,
    ecs_failed_start,
    ecs_failure,
    load_event,
    log_lines,
    stored_status,
)

from components.asl_retry_states import USE_RETRY_TASK_SIZE, USE_SAME_TASK_SIZE, retry_states
from contracts.failures import FailureCode
from contracts.outcome import START_RETRY_WAIT_SECONDS, RetryKind
from handlers import record_failure
from handlers.common.failures import GENERIC_MESSAGES, classify_failure, stopped_task

SMALL, BIGGER = {"cpu": 1024, "memoryMiB": 2048}, {"cpu": 1024, "memoryMiB": 4096}
#: Validate's sizes: the run's, and its retry's should it run out of memory.
SIZED = {"taskSize": SMALL, "retryTaskSize": BIGGER}
#: Validate's sizes on a stack whose taskMemoryMax is the run's size: no bigger retry.
AT_MAXIMUM = {"taskSize": SMALL, "retryTaskSize": None}
RETRY_PASS_STATES = retry_states("status", next_state="PresignRun", retrier={}, catch_to="RecordFailure")

ENI_TIMEOUT = "Timeout waiting for network interface provisioning to complete"
OUT_OF_MEMORY = load_event("sfn_error_ecs_task_failed")
#: How a task that failed to start is described, and the code it is recorded with.
FAILED_STARTS = {
    "eni-timeout": (ecs_failed_start(ENI_TIMEOUT), FailureCode.INTERNAL_ERROR),
    "registry-auth": (
        ecs_failed_start(
            "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
            "retrieval failed: unable to retrieve ecr registry auth"
        ),
        FailureCode.IMAGE_UNAVAILABLE,
    ),
    "pull-timeout": (
        ecs_failed_start(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
            "123456789012.dkr.ecr.eu-west-2.amazonaws.com/eeg-dev-classifier:latest: dial tcp: i/o timeout",
            container_reason="CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        ),
        FailureCode.IMAGE_UNAVAILABLE,
    ),
    "capacity": (ecs_failed_start("Capacity is unavailable at this time"), FailureCode.CAPACITY_UNAVAILABLE),
}


def _after(state: dict, pass_state: str) -> dict:
    """``state`` as the retry's Pass state ``pass_state`` leaves it for the next training."""
    return after_retry_pass(state, RETRY_PASS_STATES[pass_state])


def _retry_outcome(run: dict, kind: RetryKind) -> dict:
    return {"userId": USER, "sessionId": SESSION, "runId": run["runId"], "retry": True, "retrySize": kind.value}


def _assert_recorded(aws, outcome: dict, code: FailureCode) -> None:
    """The run is FAILED with ``code`` and its usual message, and the outcome (notified) says the same."""
    expected = {"code": code.value, "message": GENERIC_MESSAGES[code]}
    assert "retry" not in outcome and outcome["recorded"] is True
    assert outcome["error"] == stored_status(aws)["error"] == expected
    assert stored_status(aws)["status"] == "FAILED"


@pytest.mark.moto
def test_a_run_out_of_memory_with_a_bigger_size_left_is_retried_without_recording(
    aws, processing_run, lambda_context
):
    # GIVEN a run whose task ran out of memory, and Validate's size for one retry in a bigger task
    state = {**processing_run, "validation": SIZED, "error": OUT_OF_MEMORY}
    session = stored_status(aws)
    # WHEN RecordFailure runs
    with log_lines() as lines:
        outcome = record_failure.handler(state, lambda_context)
    # THEN nothing is recorded: the session stays PROCESSING, and the outcome sends the run to its retry
    assert outcome == _retry_outcome(processing_run, RetryKind.BIGGER)
    assert stored_status(aws) == session and session["status"] == "PROCESSING"
    (retried,) = [line for line in lines if "tried once more in a bigger task" in line["message"]]
    assert (retried["taskSize"], retried["retryTaskSize"]) == (SIZED["taskSize"], SIZED["retryTaskSize"])


@pytest.mark.moto
@pytest.mark.parametrize("validation", [SIZED, AT_MAXIMUM], ids=["bigger-size-left", "at-the-maximum"])
def test_a_task_that_failed_to_start_is_retried_in_the_same_size_without_recording(
    aws, processing_run, lambda_context, validation
):
    # GIVEN a task ECS accepted and stopped before its container ran (also where no bigger size is left)
    state = {**processing_run, "validation": validation, "error": ecs_failed_start(ENI_TIMEOUT)}
    session = stored_status(aws)
    # WHEN RecordFailure runs
    with log_lines() as lines:
        outcome = record_failure.handler(state, lambda_context)
    # THEN nothing is recorded, and the outcome sends the run to train again in the same size
    assert outcome == _retry_outcome(processing_run, RetryKind.SAME)
    assert stored_status(aws) == session and session["status"] == "PROCESSING"
    (retried,) = [line for line in lines if "failed to start" in line["message"]]
    assert retried["message"] == (
        f"the classifier task failed to start ({ENI_TIMEOUT}): not recorded, tried once more in the same size "
        f"after {START_RETRY_WAIT_SECONDS} s"
    )
    assert (retried["taskSize"], retried.get("retryTaskSize")) == (SMALL, validation["retryTaskSize"])


@pytest.mark.moto
@pytest.mark.parametrize("validation", [SIZED, AT_MAXIMUM], ids=["bigger-size-left", "at-the-maximum"])
@pytest.mark.parametrize("failed_start", list(FAILED_STARTS))
def test_a_task_that_fails_to_start_twice_is_recorded_the_second_time_as_before(
    aws, processing_run, lambda_context, validation, failed_start
):
    error, code = FAILED_STARTS[failed_start]
    first = {**processing_run, "validation": validation, "error": error}
    assert record_failure.handler(first, lambda_context) == _retry_outcome(processing_run, RetryKind.SAME)

    # the retry's task fails to start too
    outcome = record_failure.handler(_after(first, USE_SAME_TASK_SIZE), lambda_context)

    _assert_recorded(aws, outcome, code)
    assert classify_failure(error).code is code  # the code a failed start got before it was retried


@pytest.mark.moto
def test_a_retry_after_a_failed_start_that_runs_out_of_memory_is_recorded(aws, processing_run, lambda_context):
    # GIVEN a failed start retried in the same size, although Validate left a bigger size
    first = {**processing_run, "validation": SIZED, "error": ecs_failed_start(ENI_TIMEOUT)}
    assert record_failure.handler(first, lambda_context) == _retry_outcome(processing_run, RetryKind.SAME)
    # WHEN the retry runs out of memory
    outcome = record_failure.handler({**_after(first, USE_SAME_TASK_SIZE), "error": OUT_OF_MEMORY}, lambda_context)
    # THEN it is recorded: the execution's one retry is spent, there is no third training
    _assert_recorded(aws, outcome, FailureCode.OUT_OF_MEMORY)


@pytest.mark.moto
def test_a_retry_in_a_bigger_size_that_fails_to_start_is_recorded(aws, processing_run, lambda_context):
    # GIVEN a run out of memory, retried in the bigger size
    first = {**processing_run, "validation": SIZED, "error": OUT_OF_MEMORY}
    assert record_failure.handler(first, lambda_context) == _retry_outcome(processing_run, RetryKind.BIGGER)
    # WHEN the retry's task fails to start
    error, code = FAILED_STARTS["pull-timeout"]
    outcome = record_failure.handler({**_after(first, USE_RETRY_TASK_SIZE), "error": error}, lambda_context)
    # THEN it is recorded with the code a failed start gets
    _assert_recorded(aws, outcome, code)


@pytest.mark.moto
def test_a_task_whose_container_exited_is_not_a_failed_start_whatever_its_stop_code(
    aws, processing_run, lambda_context
):
    error = ecs_failure(exit_code=1, stop_code="TaskFailedToStart", stopped_reason=ENI_TIMEOUT)

    outcome = record_failure.handler({**processing_run, "validation": SIZED, "error": error}, lambda_context)

    _assert_recorded(aws, outcome, FailureCode.CLASSIFIER_ERROR)


@pytest.mark.moto
@pytest.mark.parametrize(
    ("validation", "error", "code"),
    [
        # the maximum left no bigger task
        (AT_MAXIMUM, OUT_OF_MEMORY, "OUT_OF_MEMORY"),
        # another failure of a task that could have been retried
        (SIZED, ecs_failure(exit_code=1), "CLASSIFIER_ERROR"),
    ],
    ids=["no-bigger-size", "not-out-of-memory"],
)
def test_a_failure_without_a_retry_is_recorded_as_before(aws, processing_run, lambda_context, validation, error, code):
    outcome = record_failure.handler({**processing_run, "validation": validation, "error": error}, lambda_context)

    assert "retry" not in outcome and outcome["recorded"] is True
    assert (outcome["error"]["code"], stored_status(aws)["error"]["code"]) == (code, code)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("error", "failed_to_start"),
    [
        (ecs_failed_start(ENI_TIMEOUT), True),
        (
            {
                "Error": "States.TaskFailed",
                "Cause": json.dumps(
                    {
                        "taskArn": "arn:aws:ecs:eu-west-2:123456789012:task/eeg-dev-cluster/4b1f2e3d",
                        "lastStatus": "STOPPED",
                        "stopCode": "TaskFailedToStart",
                        "stoppedReason": ENI_TIMEOUT,
                        "containers": [{"name": "classifier", "lastStatus": "STOPPED"}],
                    }
                ),
            },
            True,
        ),
        # a container that has an exit code ran, whatever the stop code says
        (ecs_failure(exit_code=1, stop_code="TaskFailedToStart", stopped_reason=ENI_TIMEOUT), False),
        # killed for memory, its exit code unreported: it ran
        (ecs_failure(exit_code=None, reason="OutOfMemoryError: Container killed due to memory usage"), False),
        (load_event("sfn_error_ecs_task_failed"), False),
    ],
    ids=["task-failed-to-start", "camel-case", "with-an-exit-code", "container-exited", "out-of-memory"],
)
def test_a_task_failed_to_start_only_when_ecs_stopped_it_before_its_container_ran(error, failed_to_start):
    task = stopped_task(error)

    assert task is not None and task.failed_to_start is failed_to_start
    assert task.stopped_reason == json.loads(error["Cause"]).get("StoppedReason", ENI_TIMEOUT)


@pytest.mark.unit
def test_only_a_caught_task_failure_describes_a_stopped_task():
    assert stopped_task(load_event("sfn_error_lambda_invalid_upload")) is None
    # the same description under another error name (a caught Lambda error's cause is never one)
    assert stopped_task({**ecs_failed_start(ENI_TIMEOUT), "Error": "States.Runtime"}) is None


def _retried(validation: dict, error: dict, after: str | None = None) -> RetryKind | None:
    state = {"validation": validation}
    if after is not None:
        state = _after(state, after)
    return record_failure.retry_kind(classify_failure(error), stopped_task(error), state)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("validation", "error", "after", "expected"),
    [
        (SIZED, OUT_OF_MEMORY, None, RetryKind.BIGGER),
        (AT_MAXIMUM, OUT_OF_MEMORY, None, None),
        (SIZED, OUT_OF_MEMORY, USE_RETRY_TASK_SIZE, None),
        (SIZED, OUT_OF_MEMORY, USE_SAME_TASK_SIZE, None),
        (AT_MAXIMUM, OUT_OF_MEMORY, USE_SAME_TASK_SIZE, None),
        (SIZED, ecs_failed_start(ENI_TIMEOUT), None, RetryKind.SAME),
        (AT_MAXIMUM, ecs_failed_start(ENI_TIMEOUT), None, RetryKind.SAME),
        (SIZED, ecs_failed_start(ENI_TIMEOUT), USE_RETRY_TASK_SIZE, None),
        (SIZED, ecs_failed_start(ENI_TIMEOUT), USE_SAME_TASK_SIZE, None),
        (AT_MAXIMUM, ecs_failed_start(ENI_TIMEOUT), USE_SAME_TASK_SIZE, None),
        (SIZED, ecs_failure(exit_code=1, stop_code="TaskFailedToStart", stopped_reason=ENI_TIMEOUT), None, None),
        (SIZED, {"Error": "States.Timeout", "Cause": "The task did not complete within 3600 seconds."}, None, None),
    ],
    ids=[
        "out-of-memory",
        "out-of-memory-at-the-maximum",
        "out-of-memory-after-the-bigger-retry",
        "out-of-memory-after-the-same-size-retry",
        "out-of-memory-at-the-maximum-after-the-same-size-retry",
        "failed-start",
        "failed-start-at-the-maximum",
        "failed-start-after-the-bigger-retry",
        "failed-start-after-the-same-size-retry",
        "failed-start-at-the-maximum-after-the-same-size-retry",
        "exit-code-with-task-failed-to-start",
        "timeout",
    ],
)
def test_an_execution_retries_once_in_the_size_its_failure_calls_for(validation, error, after, expected):
    assert _retried(validation, error, after) is expected


@pytest.mark.unit
@pytest.mark.parametrize("state", [{}, {"validation": "unexpected"}, {"validation": {"retryTaskSize": BIGGER}}])
def test_a_run_validate_did_not_size_is_not_retried(state):
    # Validate failed, or its result is not there: the classifier never ran in a size of its choosing
    for error in (OUT_OF_MEMORY, ecs_failed_start(ENI_TIMEOUT)):
        assert record_failure.retry_kind(classify_failure(error), stopped_task(error), state) is None
