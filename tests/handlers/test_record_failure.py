"""record_failure on moto: the FAILED write, which never overwrites a succeeded or newer run, keeps the
original error for operators only, and logs each line with the execution. The runs it does not record but
tries once more are in test_record_failure_retries.py."""

import json

import pytest
from handler_support import (
    SESSION,
    USER,
    ecs_failure,
    failed_manifest,
    load_event,
    log_lines,
    record_received,
    record_success,
    run_state,
    stored_status,
)

from contracts.api import session_links
from contracts.failures import FailureCode
from contracts.manifest import MAX_MANIFEST_BYTES
from handlers import record_failure
from handlers.common.api_routes import SESSION_FIELDS
from handlers.common.failures import GENERIC_MESSAGES
from handlers.common.status import StatusStore


@pytest.mark.moto
def test_a_rejected_input_uses_the_failed_manifest_and_records_failed(aws, processing_run, lambda_context):
    # GIVEN the container exited with 2 after writing a failed manifest
    manifest = {
        **failed_manifest("INSUFFICIENT_DATA", "only one class of trials was found"),
        "runId": processing_run["runId"],
    }
    aws.s3.put_object(
        Bucket=aws.results_bucket,
        Key=f"{processing_run['resultsPrefix']}manifest.json",
        Body=json.dumps(manifest),
    )
    # WHEN RecordFailure runs on the whole state
    outcome = record_failure.handler({**processing_run, "error": ecs_failure(exit_code=2)}, lambda_context)
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
    status = stored_status(aws)
    assert status["status"] == "FAILED" and status["error"] == expected_error
    assert status["finishedAt"].endswith("Z")


@pytest.mark.moto
def test_a_failed_manifest_over_the_size_limit_is_not_read(aws, processing_run, lambda_context):
    # GIVEN the container exited with 2 and its failed manifest is padded past MAX_MANIFEST_BYTES
    manifest = {
        **failed_manifest("INSUFFICIENT_DATA", "only one class of trials was found"),
        "runId": processing_run["runId"],
        "padding": "x" * MAX_MANIFEST_BYTES,
    }
    aws.s3.put_object(
        Bucket=aws.results_bucket, Key=f"{processing_run['resultsPrefix']}manifest.json", Body=json.dumps(manifest)
    )
    # WHEN RecordFailure runs THEN the failure is decided from the task alone (its exit code) and recorded
    record_failure.handler({**processing_run, "error": ecs_failure(exit_code=2)}, lambda_context)
    status = stored_status(aws)
    assert status["status"] == "FAILED"
    assert status["error"] == {"code": "INVALID_UPLOAD", "message": GENERIC_MESSAGES[FailureCode.INVALID_UPLOAD]}


@pytest.mark.moto
def test_a_validation_failure_is_recorded_from_received(aws, lambda_context):
    # GIVEN a run still RECEIVED (Validate runs before MarkProcessing)
    state = run_state(aws.upload_bucket, USER, SESSION, "v1")
    record_received(StatusStore(aws.dynamodb, aws.status_table), state)
    # WHEN Validate's InvalidUpload is recorded
    record_failure.handler({**state, "error": load_event("sfn_error_lambda_invalid_upload")}, lambda_context)
    # THEN the handler's message is what the user sees
    assert stored_status(aws)["error"] == {
        "code": "INVALID_UPLOAD",
        "message": "the archive must hold exactly one .csv file, found 2",
    }


@pytest.mark.moto
def test_an_out_of_memory_task_without_manifest_is_recorded(aws, processing_run, lambda_context):
    record_failure.handler(
        {**processing_run, "error": load_event("sfn_error_ecs_task_failed")}, lambda_context
    )
    assert stored_status(aws)["error"]["code"] == "OUT_OF_MEMORY"


@pytest.mark.moto
def test_a_task_whose_urls_expired_is_recorded_with_that_reason(aws, processing_run, lambda_context):
    # GIVEN the container exited ACCESS_EXPIRED: S3 refused its URLs as expired, so it wrote no manifest
    outcome = record_failure.handler({**processing_run, "error": ecs_failure(exit_code=3)}, lambda_context)
    # THEN the session's error says the run's access to storage expired before the results were written
    error = stored_status(aws)["error"]
    assert error == outcome["error"]
    assert error["code"] == "INTERNAL_ERROR"
    assert error["message"].startswith(
        "The run's access to storage expired before the classifier's results were written"
    )


def _record_success(aws, run_id: str, *, accuracy: float) -> None:
    """ProcessResults' write for ``run_id``: SUCCEEDED with a result and the classifier record."""
    record_success(aws, {"userId": USER, "sessionId": SESSION, "runId": run_id}, result={"selectionAccuracy": accuracy})


@pytest.mark.moto
def test_a_succeeded_session_is_never_overwritten(aws, processing_run, lambda_context):
    # GIVEN the run already SUCCEEDED (e.g. ProcessResults' write committed, then its invocation failed)
    _record_success(aws, processing_run["runId"], accuracy=0.8)
    # WHEN RecordFailure runs for the same run
    outcome = record_failure.handler(
        {**processing_run, "error": {"Error": "SNS.InternalErrorException", "Cause": "Internal error"}},
        lambda_context,
    )
    # THEN the session stays SUCCEEDED, and the outcome is the run's recorded success (notified as one)
    status = stored_status(aws)
    assert status["status"] == "SUCCEEDED" and "error" not in status
    assert outcome == {
        "userId": USER,
        "sessionId": SESSION,
        "runId": processing_run["runId"],
        "status": "SUCCEEDED",
        "result": {"selectionAccuracy": 0.8},
        "links": session_links(
            SESSION, results_bucket=aws.results_bucket, results_prefix=processing_run["resultsPrefix"]
        ),
        "recorded": True,
    }


@pytest.mark.moto
def test_a_newer_run_that_succeeded_is_not_notified_for_the_older_one(aws, processing_run, lambda_context):
    # GIVEN a newer upload's run replaced this one and succeeded
    newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
    record_received(StatusStore(aws.dynamodb, aws.status_table), newer, uploaded_at="2026-11-23T22:03:00.000Z")
    _record_success(aws, newer["runId"], accuracy=0.9)
    # WHEN the older run's failure is recorded
    outcome = record_failure.handler({**processing_run, "error": ecs_failure(exit_code=1)}, lambda_context)
    # THEN its outcome is its own failure, not recorded: nothing is notified
    assert (outcome["status"], outcome["recorded"]) == ("FAILED", False)
    assert stored_status(aws)["runId"] == newer["runId"]


@pytest.mark.moto
def test_a_retried_attempt_after_a_committed_write_is_still_recorded(aws, processing_run, lambda_context):
    # GIVEN RecordFailure recorded the failure but Step Functions lost its response and retries it
    state = {**processing_run, "error": ecs_failure(exit_code=1)}
    first = record_failure.handler(state, lambda_context)
    session = stored_status(aws)
    # WHEN the retried attempt runs
    retried = record_failure.handler(state, lambda_context)
    # THEN it finds its own write: the failure is recorded (and will be notified), the session is unchanged
    assert first["recorded"] is True and retried["recorded"] is True
    assert retried == first
    assert stored_status(aws) == session and session["status"] == "FAILED"


@pytest.mark.moto
def test_a_superseded_run_does_not_fail_the_newer_one(aws, processing_run, lambda_context):
    newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
    record_received(
        StatusStore(aws.dynamodb, aws.status_table), newer, uploaded_at="2026-11-23T22:03:00.000Z"
    )
    outcome = record_failure.handler({**processing_run, "error": ecs_failure(exit_code=1)}, lambda_context)
    assert outcome["recorded"] is False
    status = stored_status(aws)
    assert (status["runId"], status["status"]) == (newer["runId"], "RECEIVED")


@pytest.mark.moto
def test_a_superseded_run_is_not_recorded_when_the_newer_run_failed_too(aws, processing_run, lambda_context):
    # GIVEN a newer upload whose own run already FAILED
    store = StatusStore(aws.dynamodb, aws.status_table)
    newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
    record_received(store, newer, uploaded_at="2026-11-23T22:03:00.000Z")
    newer_error = {"code": "INVALID_UPLOAD", "message": "not a zip archive"}
    store.fail_run(USER, SESSION, newer["runId"], error=newer_error, now="2026-11-23T22:04:00.000Z")
    # WHEN the older run's failure is recorded
    outcome = record_failure.handler({**processing_run, "error": ecs_failure(exit_code=1)}, lambda_context)
    # THEN a FAILED session of another run is not this run's outcome: not recorded, not notified
    assert outcome["recorded"] is False
    status = stored_status(aws)
    assert (status["runId"], status["error"]) == (newer["runId"], newer_error)


@pytest.mark.moto
def test_the_original_error_is_kept_for_operators_but_not_shown_by_the_api(aws, processing_run, lambda_context):
    unexpected = {"Error": "States.Runtime", "Cause": "An error occurred while executing the state 'X'."}

    record_failure.handler({**processing_run, "error": unexpected}, lambda_context)

    item = stored_status(aws)
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
        record_failure.handler({**processing_run, "error": ecs_failure(exit_code=1)}, lambda_context)
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
    cause = stored_status(aws)["failureDetail"]["cause"]
    assert run_access not in cause and run_access not in json.dumps(lines)
    assert json.loads(cause)["Overrides"]["ContainerOverrides"][0]["Environment"][-1] == {
        "Name": "RUN_ACCESS",
        "Value": "[RUN_ACCESS redacted]",
    }
