"""record_failure's pure error -> code mapping (``handlers.common.failures``): each Step Functions error,
with or without the run's failed manifest, to a failure code and a one-line human message."""

import json

import pytest
from handler_support import ecs_failed_start, ecs_failure, failed_manifest, load_event

from contracts.failures import FailureCode
from handlers.common.failures import (
    ACCESS_EXPIRED_MESSAGE,
    GENERIC_MESSAGES,
    STOPPED_MESSAGE,
    classify_failure,
    needs_failed_manifest,
)


def _lambda_error(error_type: str, message: str) -> dict:
    error = load_event("sfn_error_lambda_invalid_upload")
    cause = json.loads(error["Cause"])
    cause.update(errorType=error_type, errorMessage=message)
    return {"Error": error_type, "Cause": json.dumps(cause)}


def _stopped_by_user(exit_code: int, reason: str | None = None) -> dict:
    """A task stopped through StopTask (without a reason of its own), as ECS describes it."""
    return ecs_failure(
        exit_code=exit_code, reason=reason, stop_code="UserInitiated", stopped_reason="Task stopped by user"
    )


def _camel_case_ecs_failure(exit_code: int) -> dict:
    """The same failure as ECS's own DescribeTasks reports it (camelCase keys)."""
    task = {
        "taskArn": "arn:aws:ecs:eu-west-2:123456789012:task/eeg-dev-cluster/4b1f2e3d",
        "lastStatus": "STOPPED",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
        "containers": [{"name": "classifier", "exitCode": exit_code, "lastStatus": "STOPPED"}],
    }
    return {"Error": "States.TaskFailed", "Cause": json.dumps(task)}


CASES = {
    "lambda-invalid-upload": (
        lambda: load_event("sfn_error_lambda_invalid_upload"),
        None,
        FailureCode.INVALID_UPLOAD,
        "the archive must hold exactly one .csv file, found 2",
    ),
    "lambda-results-invalid": (
        lambda: _lambda_error(
            "ResultsInvalid", "the outputs ['report'] listed in manifest.json do not exist"
        ),
        None,
        FailureCode.RESULTS_INVALID,
        "the outputs ['report'] listed in manifest.json do not exist",
    ),
    "states-timeout": (
        lambda: {"Error": "States.Timeout", "Cause": "The task did not complete within 3600 seconds."},
        None,
        FailureCode.TIMEOUT,
        GENERIC_MESSAGES[FailureCode.TIMEOUT],
    ),
    "heartbeat-timeout": (
        lambda: {"Error": "States.HeartbeatTimeout"},
        None,
        FailureCode.TIMEOUT,
        GENERIC_MESSAGES[FailureCode.TIMEOUT],
    ),
    "lambda-crash": (
        lambda: _lambda_error("KeyError", "'ContentLength'"),
        None,
        FailureCode.INTERNAL_ERROR,
        GENERIC_MESSAGES[FailureCode.INTERNAL_ERROR],
    ),
    "lambda-service-error": (
        lambda: {"Error": "Lambda.ServiceException", "Cause": "Lambda was unable to process the request."},
        None,
        FailureCode.INTERNAL_ERROR,
        GENERIC_MESSAGES[FailureCode.INTERNAL_ERROR],
    ),
    "dynamodb-condition": (
        lambda: {
            "Error": "DynamoDB.ConditionalCheckFailedException",
            "Cause": "The conditional request failed (Service: DynamoDb, Status Code: 400)",
        },
        None,
        FailureCode.INTERNAL_ERROR,
        GENERIC_MESSAGES[FailureCode.INTERNAL_ERROR],
    ),
    "ecs-exit-137": (
        lambda: load_event("sfn_error_ecs_task_failed"),
        None,
        FailureCode.OUT_OF_MEMORY,
        GENERIC_MESSAGES[FailureCode.OUT_OF_MEMORY],
    ),
    "ecs-exit-137-without-a-reason": (
        lambda: ecs_failure(exit_code=137),
        None,
        FailureCode.OUT_OF_MEMORY,
        GENERIC_MESSAGES[FailureCode.OUT_OF_MEMORY],
    ),
    "ecs-exit-137-stopped-by-user": (
        lambda: _stopped_by_user(137),
        None,
        FailureCode.INTERNAL_ERROR,
        STOPPED_MESSAGE,
    ),
    "ecs-exit-137-out-of-memory-while-stopped-by-user": (
        lambda: _stopped_by_user(137, reason="OutOfMemoryError: Container killed due to memory usage"),
        None,
        FailureCode.OUT_OF_MEMORY,
        GENERIC_MESSAGES[FailureCode.OUT_OF_MEMORY],
    ),
    "ecs-oom-reason-only": (
        lambda: ecs_failure(exit_code=None, reason="OutOfMemoryError: Container killed due to memory usage"),
        None,
        FailureCode.OUT_OF_MEMORY,
        GENERIC_MESSAGES[FailureCode.OUT_OF_MEMORY],
    ),
    "ecs-cannot-pull": (
        lambda: ecs_failed_start(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            "failed to resolve ref 123456789012.dkr.ecr.eu-west-2.amazonaws.com/eeg-dev-classifier:latest",
            container_reason="CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        ),
        None,
        FailureCode.IMAGE_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.IMAGE_UNAVAILABLE],
    ),
    "ecs-resource-initialization": (
        lambda: ecs_failed_start("ResourceInitializationError: unable to pull secrets or registry auth"),
        None,
        FailureCode.IMAGE_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.IMAGE_UNAVAILABLE],
    ),
    "ecs-exit-1": (
        lambda: ecs_failure(exit_code=1),
        None,
        FailureCode.CLASSIFIER_ERROR,
        GENERIC_MESSAGES[FailureCode.CLASSIFIER_ERROR],
    ),
    "ecs-exit-1-camel-case": (
        lambda: _camel_case_ecs_failure(1),
        None,
        FailureCode.CLASSIFIER_ERROR,
        GENERIC_MESSAGES[FailureCode.CLASSIFIER_ERROR],
    ),
    "ecs-exit-2-insufficient-data": (
        lambda: ecs_failure(exit_code=2),
        failed_manifest(
            "INSUFFICIENT_DATA", "only 4 trials of T2 were found; at least 10 per class are needed"
        ),
        FailureCode.INSUFFICIENT_DATA,
        "only 4 trials of T2 were found; at least 10 per class are needed",
    ),
    "ecs-exit-2-without-manifest": (
        lambda: ecs_failure(exit_code=2),
        None,
        FailureCode.INVALID_UPLOAD,
        GENERIC_MESSAGES[FailureCode.INVALID_UPLOAD],
    ),
    "ecs-exit-2-unknown-manifest-code": (
        lambda: ecs_failure(exit_code=2),
        failed_manifest("SOMETHING_NEW", "whatever"),
        FailureCode.INVALID_UPLOAD,
        GENERIC_MESSAGES[FailureCode.INVALID_UPLOAD],
    ),
    "ecs-capacity-retries-exhausted": (
        lambda: {
            "Error": "ECS.AmazonECSException",
            "Cause": "Capacity is unavailable at this time. Please try again later or in a different "
            "availability zone (Service: AmazonECS; Status Code: 400)",
        },
        None,
        FailureCode.CAPACITY_UNAVAILABLE,
        "AWS had no capacity to run the classifier. Nothing is wrong with the upload: please upload it again later.",
    ),
    "ecs-task-not-placed-retries-exhausted": (
        # runTask.sync: RunTask answered 200 with a Failures list (the cause is illustrative)
        lambda: {
            "Error": "AmazonECS.Unknown",
            "Cause": '{"Failures":[{"Arn":"arn:aws:ecs:eu-west-1:123456789012:cluster/c","Reason":"RESOURCE:ENI"}]}',
        },
        None,
        FailureCode.CAPACITY_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.CAPACITY_UNAVAILABLE],
    ),
    "ecs-throttled-throughout": (
        lambda: {"Error": "ECS.ThrottlingException", "Cause": "Rate exceeded"},
        None,
        FailureCode.CAPACITY_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.CAPACITY_UNAVAILABLE],
    ),
    "ecs-task-not-placed-for-capacity": (
        lambda: ecs_failed_start(
            "Capacity is unavailable at this time. Please try again later or in a different availability zone"
        ),
        None,
        FailureCode.CAPACITY_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.CAPACITY_UNAVAILABLE],
    ),
    "ecs-exit-3-access-expired": (
        lambda: ecs_failure(exit_code=3),
        None,
        FailureCode.INTERNAL_ERROR,
        ACCESS_EXPIRED_MESSAGE,
    ),
    "ecs-exit-143-stopped-by-user": (
        lambda: _stopped_by_user(143),
        None,
        FailureCode.INTERNAL_ERROR,
        STOPPED_MESSAGE,
    ),
}


@pytest.mark.unit
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_error_maps_to_its_failure_code_and_a_human_message(case):
    build_error, manifest, code, message = CASES[case]
    failure = classify_failure(build_error(), manifest)
    assert (failure.code, failure.message) == (code, message)
    assert "Traceback" not in failure.message and 'File "' not in failure.message


@pytest.mark.unit
@pytest.mark.parametrize(
    ("stop_code", "stopped_reason"),
    [
        ("UserInitiated", "Task stopped by user"),
        ("TerminationNotice", "Your Task will be stopped due to scheduled task retirement"),
        ("ServiceSchedulerInitiated", "Task stopped for infrastructure maintenance"),
        ("SpotInterruption", "Your Spot Task was interrupted."),
    ],
)
def test_a_container_killed_after_a_stop_request_did_not_run_out_of_memory(stop_code, stopped_reason):
    # ECS sends SIGTERM, then SIGKILL (137) once the stop timeout has passed.
    failure = classify_failure(ecs_failure(exit_code=137, stop_code=stop_code, stopped_reason=stopped_reason))

    assert (failure.code, failure.message) == (FailureCode.INTERNAL_ERROR, STOPPED_MESSAGE)


@pytest.mark.unit
def test_only_a_stopped_classifier_task_makes_the_manifest_worth_reading():
    assert needs_failed_manifest(load_event("sfn_error_ecs_task_failed"))
    assert not needs_failed_manifest(load_event("sfn_error_lambda_invalid_upload"))
    assert not needs_failed_manifest({"Error": "States.TaskFailed", "Cause": "not json"})


@pytest.mark.unit
def test_long_messages_are_shortened_to_one_line():
    failure = classify_failure(_lambda_error("InvalidUpload", "bad\n" + "x" * 2000))
    assert len(failure.message) == 500 and "\n" not in failure.message


@pytest.mark.unit
def test_a_message_quoting_an_upload_is_stored_without_control_characters():
    # GIVEN a rejection that quotes a channel name holding a terminal's escape sequences and a
    # right-to-left override
    hostile = "channel(s) \x1b]0;owned\x07\x1b[2JC3\u202e are constant"
    failure = classify_failure(_lambda_error("InvalidUpload", hostile))
    # THEN the stored message keeps the words and none of the characters that would act on a terminal
    assert failure.message == "channel(s) ]0;owned [2JC3 are constant"
    assert failure.message.isprintable()


@pytest.mark.unit
def test_a_message_of_only_control_characters_gets_the_generic_message():
    failure = classify_failure(_lambda_error("InvalidUpload", "\x1b\x07\u202e"))
    assert failure.message == GENERIC_MESSAGES[failure.code]
