"""record_failure: the pure error → code mapping, and the FAILED write on moto."""

import json

import pytest
from handler_support import SESSION, USER, load_event, log_lines, record_received, run_state

from contracts.failures import FailureCode
from contracts.manifest import Manifest, ManifestError, ManifestStatus
from handlers import record_failure
from handlers.common.api_routes import SESSION_FIELDS
from handlers.common.failures import GENERIC_MESSAGES, classify_failure, needs_failed_manifest
from handlers.common.status import StatusStore


def _lambda_error(error_type: str, message: str) -> dict:
    error = load_event("sfn_error_lambda_invalid_upload")
    cause = json.loads(error["Cause"])
    cause.update(errorType=error_type, errorMessage=message)
    return {"Error": error_type, "Cause": json.dumps(cause)}


def _ecs_failure(
    *,
    exit_code: int | None,
    reason: str | None = None,
    stop_code: str = "EssentialContainerExited",
    stopped_reason: str = "Essential container in task exited",
) -> dict:
    error = load_event("sfn_error_ecs_task_failed")
    task = json.loads(error["Cause"])
    container = task["Containers"][0]
    container.pop("ExitCode")
    container.pop("Reason")
    if exit_code is not None:
        container["ExitCode"] = exit_code
    if reason is not None:
        container["Reason"] = reason
    task.update(StopCode=stop_code, StoppedReason=stopped_reason)
    return {"Error": "States.TaskFailed", "Cause": json.dumps(task)}


def _failed_to_start(stopped_reason: str, container_reason: str | None = None) -> dict:
    """A task ECS stopped before the container ran."""
    return _ecs_failure(
        exit_code=None, reason=container_reason, stop_code="TaskFailedToStart", stopped_reason=stopped_reason
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


def _failed_manifest(code: str, message: str) -> dict:
    return Manifest(
        user_id=USER,
        session_id=SESSION,
        run_id="run-x",
        status=ManifestStatus.FAILED,
        started_at="2026-11-23T22:00:20.000Z",
        finished_at="2026-11-23T22:01:00.000Z",
        error=ManifestError(code, message),
    ).to_dict()


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
    "ecs-oom-reason-only": (
        lambda: _ecs_failure(exit_code=None, reason="OutOfMemoryError: Container killed due to memory usage"),
        None,
        FailureCode.OUT_OF_MEMORY,
        GENERIC_MESSAGES[FailureCode.OUT_OF_MEMORY],
    ),
    "ecs-cannot-pull": (
        lambda: _failed_to_start(
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            "failed to resolve ref 123456789012.dkr.ecr.eu-west-2.amazonaws.com/eeg-dev-classifier:latest",
            container_reason="CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        ),
        None,
        FailureCode.IMAGE_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.IMAGE_UNAVAILABLE],
    ),
    "ecs-resource-initialization": (
        lambda: _failed_to_start("ResourceInitializationError: unable to pull secrets or registry auth"),
        None,
        FailureCode.IMAGE_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.IMAGE_UNAVAILABLE],
    ),
    "ecs-exit-1": (
        lambda: _ecs_failure(exit_code=1),
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
        lambda: _ecs_failure(exit_code=2),
        _failed_manifest(
            "INSUFFICIENT_DATA", "only 4 trials of T2 were found; at least 10 per class are needed"
        ),
        FailureCode.INSUFFICIENT_DATA,
        "only 4 trials of T2 were found; at least 10 per class are needed",
    ),
    "ecs-exit-2-without-manifest": (
        lambda: _ecs_failure(exit_code=2),
        None,
        FailureCode.INVALID_UPLOAD,
        GENERIC_MESSAGES[FailureCode.INVALID_UPLOAD],
    ),
    "ecs-exit-2-unknown-manifest-code": (
        lambda: _ecs_failure(exit_code=2),
        _failed_manifest("SOMETHING_NEW", "whatever"),
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
        "AWS had no capacity to start the classifier, even after retrying for several minutes. Nothing is "
        "wrong with the upload: please upload it again later.",
    ),
    "ecs-throttled-throughout": (
        lambda: {"Error": "ECS.ThrottlingException", "Cause": "Rate exceeded"},
        None,
        FailureCode.CAPACITY_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.CAPACITY_UNAVAILABLE],
    ),
    "ecs-task-not-placed-for-capacity": (
        lambda: _failed_to_start(
            "Capacity is unavailable at this time. Please try again later or in a different availability zone"
        ),
        None,
        FailureCode.CAPACITY_UNAVAILABLE,
        GENERIC_MESSAGES[FailureCode.CAPACITY_UNAVAILABLE],
    ),
    "ecs-exit-143": (
        lambda: _ecs_failure(exit_code=143),
        None,
        FailureCode.INTERNAL_ERROR,
        GENERIC_MESSAGES[FailureCode.INTERNAL_ERROR],
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
def test_only_a_stopped_classifier_task_makes_the_manifest_worth_reading():
    assert needs_failed_manifest(load_event("sfn_error_ecs_task_failed"))
    assert not needs_failed_manifest(load_event("sfn_error_lambda_invalid_upload"))
    assert not needs_failed_manifest({"Error": "States.TaskFailed", "Cause": "not json"})


@pytest.mark.unit
def test_long_messages_are_shortened_to_one_line():
    failure = classify_failure(_lambda_error("InvalidUpload", "bad\n" + "x" * 2000))
    assert len(failure.message) == 500 and "\n" not in failure.message


def _status(aws) -> dict:
    return StatusStore(aws.dynamodb, aws.status_table).get(USER, SESSION)


@pytest.mark.moto
def test_a_rejected_input_uses_the_failed_manifest_and_records_failed(aws, processing_run, lambda_context):
    # GIVEN the container exited with 2 after writing a failed manifest
    manifest = {
        **_failed_manifest("INSUFFICIENT_DATA", "only one class of trials was found"),
        "runId": processing_run["runId"],
    }
    aws.s3.put_object(
        Bucket=aws.results_bucket,
        Key=f"{processing_run['resultsPrefix']}manifest.json",
        Body=json.dumps(manifest),
    )
    # WHEN RecordFailure runs on the whole state
    outcome = record_failure.handler({**processing_run, "error": _ecs_failure(exit_code=2)}, lambda_context)
    # THEN the session is FAILED with the manifest's code and message, and the outcome says the same
    expected_error = {"code": "INSUFFICIENT_DATA", "message": "only one class of trials was found"}
    assert outcome == {
        "userId": USER,
        "sessionId": SESSION,
        "runId": processing_run["runId"],
        "status": "FAILED",
        "error": expected_error,
        "links": {"status": f"/sessions/{SESSION}"},
        "recorded": True,
    }
    status = _status(aws)
    assert status["status"] == "FAILED" and status["error"] == expected_error
    assert status["finishedAt"].endswith("Z")


@pytest.mark.moto
def test_a_validation_failure_is_recorded_from_received(aws, lambda_context):
    # GIVEN a run still RECEIVED (Validate runs before MarkProcessing)
    state = run_state(aws.upload_bucket, USER, SESSION, "v1")
    record_received(StatusStore(aws.dynamodb, aws.status_table), state)
    # WHEN Validate's InvalidUpload is recorded
    record_failure.handler({**state, "error": load_event("sfn_error_lambda_invalid_upload")}, lambda_context)
    # THEN the handler's message is what the user sees
    assert _status(aws)["error"] == {
        "code": "INVALID_UPLOAD",
        "message": "the archive must hold exactly one .csv file, found 2",
    }


@pytest.mark.moto
def test_an_out_of_memory_task_without_manifest_is_recorded(aws, processing_run, lambda_context):
    record_failure.handler(
        {**processing_run, "error": load_event("sfn_error_ecs_task_failed")}, lambda_context
    )
    assert _status(aws)["error"]["code"] == "OUT_OF_MEMORY"


@pytest.mark.moto
def test_a_succeeded_session_is_never_overwritten(aws, processing_run, lambda_context):
    # GIVEN the run already SUCCEEDED (e.g. only the success notification failed afterwards)
    store = StatusStore(aws.dynamodb, aws.status_table)
    store.succeed_run(
        USER,
        SESSION,
        processing_run["runId"],
        result={"selectionAccuracy": 0.8},
        now="2026-11-23T22:05:00.000Z",
        classifier_table=aws.classifier_table,
        classifier_item={"userId": USER, "sessionId": SESSION, "runId": processing_run["runId"]},
    )
    # WHEN RecordFailure runs for the same run
    outcome = record_failure.handler(
        {**processing_run, "error": {"Error": "SNS.InternalErrorException", "Cause": "Internal error"}},
        lambda_context,
    )
    # THEN the handler does not raise, reports its outcome, and the session stays SUCCEEDED
    assert outcome["status"] == "FAILED" and outcome["error"]["code"] == "INTERNAL_ERROR"
    assert outcome["recorded"] is False
    status = _status(aws)
    assert status["status"] == "SUCCEEDED" and "error" not in status


@pytest.mark.moto
def test_a_superseded_run_does_not_fail_the_newer_one(aws, processing_run, lambda_context):
    newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
    record_received(
        StatusStore(aws.dynamodb, aws.status_table), newer, uploaded_at="2026-11-23T22:03:00.000Z"
    )
    outcome = record_failure.handler({**processing_run, "error": _ecs_failure(exit_code=1)}, lambda_context)
    assert outcome["recorded"] is False
    status = _status(aws)
    assert (status["runId"], status["status"]) == (newer["runId"], "RECEIVED")


@pytest.mark.moto
def test_the_original_error_is_kept_for_operators_but_not_shown_by_the_api(aws, processing_run, lambda_context):
    unexpected = {"Error": "States.Runtime", "Cause": "An error occurred while executing the state 'X'."}

    record_failure.handler({**processing_run, "error": unexpected}, lambda_context)

    item = _status(aws)
    assert item["error"]["code"] == "INTERNAL_ERROR"
    assert item["failureDetail"] == {"error": "States.Runtime", "cause": unexpected["Cause"]}
    assert "failureDetail" not in SESSION_FIELDS


@pytest.mark.moto
@pytest.mark.parametrize("superseded", [False, True], ids=["recorded", "superseded"])
def test_every_log_line_carries_the_execution_arn(aws, processing_run, lambda_context, superseded):
    # GIVEN a failed run (and, in one case, a newer upload that supersedes it, which adds a warning)
    if superseded:
        newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
        store = StatusStore(aws.dynamodb, aws.status_table)
        record_received(store, newer, uploaded_at="2026-11-23T22:03:00.000Z")
    # WHEN RecordFailure runs
    with log_lines() as lines:
        record_failure.handler({**processing_run, "error": _ecs_failure(exit_code=1)}, lambda_context)
    # THEN each line names the run's execution
    assert len(lines) == (2 if superseded else 1)
    assert {line["executionArn"] for line in lines} == {processing_run["executionArn"]}


@pytest.mark.moto
def test_the_runs_urls_in_a_failed_tasks_overrides_are_neither_stored_nor_logged(
    aws, processing_run, lambda_context
):
    # GIVEN a stopped task whose description holds its overrides, the run's URLs among them
    run_access = "eNrLKCkpKLbS108qyi9P1UvOz9UHAC3FBYY"  # what PresignRun put at $.runAccess
    error = load_event("sfn_error_ecs_task_failed")
    task = json.loads(error["Cause"])
    task["Overrides"]["ContainerOverrides"][0]["Environment"].append({"Name": "RUN_ACCESS", "Value": run_access})
    state = {**processing_run, "runAccess": run_access, "error": {**error, "Cause": json.dumps(task)}}
    # WHEN RecordFailure records it
    with log_lines() as lines:
        record_failure.handler(state, lambda_context)
    # THEN operators keep the cause without the URLs, in the item and in the log
    cause = _status(aws)["failureDetail"]["cause"]
    assert run_access not in cause and run_access not in json.dumps(lines)
    assert json.loads(cause)["Overrides"]["ContainerOverrides"][0]["Environment"][-1] == {
        "Name": "RUN_ACCESS",
        "Value": "[RUN_ACCESS redacted]",
    }
