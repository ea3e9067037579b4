"""The reconcile handler on moto: an execution that ended without an outcome leaves no session open."""

import json
import secrets

import pytest
from botocore.exceptions import ClientError
from handler_support import (
    SESSION,
    STATE_MACHINE_ARN,
    USER,
    load_event,
    log_lines,
    mark_processing,
    record_received,
    run_state,
    stored_status,
)

from contracts.keys import execution_arn_for
from contracts.manifest import RESULT_FILES
from contracts.run_access import REDACTED, RunAccess
from handlers import reconcile
from handlers.common.failures import GENERIC_MESSAGES
from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto


def _ended(
    state: dict, event_name: str, *, status: str | None = None, state_machine_arn: str = STATE_MACHINE_ARN
) -> dict:
    """A real-shape status-change event of ``state``'s execution (its input is the run), of ``state_machine_arn``."""
    event = load_event(event_name)
    event["resources"] = [state["executionArn"]]
    event["detail"].update(
        {
            "input": json.dumps(state),
            "executionArn": state["executionArn"],
            "stateMachineArn": state_machine_arn,
            "name": state["runId"],
        }
    )
    if status is not None:
        event["detail"]["status"] = status
    return event


@pytest.mark.parametrize(
    ("event_name", "status", "code"),
    [
        ("eventbridge_sfn_execution_timed_out", None, "TIMEOUT"),
        ("eventbridge_sfn_execution_aborted", None, "INTERNAL_ERROR"),
        ("eventbridge_sfn_execution_aborted", "FAILED", "INTERNAL_ERROR"),
    ],
)
def test_an_execution_that_ended_mid_run_fails_its_processing_session(
    aws, processing_run, lambda_context, event_name, status, code
):
    # GIVEN a PROCESSING run WHEN its execution ends without recording an outcome
    response = reconcile.handler(_ended(processing_run, event_name, status=status), lambda_context)
    # THEN the session is FAILED with the code of that ending, the original kept for operators
    item = stored_status(aws)
    assert response == {"recorded": True}
    assert (item["status"], item["error"]) == ("FAILED", {"code": code, "message": GENERIC_MESSAGES[code]})
    assert item["finishedAt"].endswith("Z") and item["failureDetail"]["error"]


@pytest.mark.parametrize("status", ["ABORTED", "FAILED"])
def test_the_ending_of_a_state_machine_a_deploy_replaced_fails_its_run_still_processing(
    aws, lambda_context, status
):
    # GIVEN a run PROCESSING on the state machine a deploy has since replaced (another name, the stack's
    # prefix), whose deletion ends its executions at their next state transition
    replaced_machine = f"{STATE_MACHINE_ARN}-replaced"
    state = run_state(aws.upload_bucket, USER, SESSION, "v1")
    state["executionArn"] = execution_arn_for(replaced_machine, state["runId"])
    record_received(StatusStore(aws.dynamodb, aws.status_table), state)
    mark_processing(aws.dynamodb, aws.status_table, state)
    # WHEN its ending, naming that state machine, arrives
    event = _ended(state, "eventbridge_sfn_execution_aborted", status=status, state_machine_arn=replaced_machine)
    response = reconcile.handler(event, lambda_context)
    # THEN the run is FAILED as any ending without an outcome
    item = stored_status(aws)
    assert response == {"recorded": True}
    assert (item["runId"], item["status"], item["error"]["code"]) == (state["runId"], "FAILED", "INTERNAL_ERROR")
    assert item["executionArn"] == state["executionArn"]


def test_an_aborted_execution_keeps_its_stop_cause_for_operators(aws, processing_run, lambda_context):
    reconcile.handler(_ended(processing_run, "eventbridge_sfn_execution_aborted"), lambda_context)
    assert stored_status(aws)["failureDetail"] == {"error": "OperatorStopped", "cause": "stopped from the console"}


def test_a_runtime_failure_quoting_the_runs_urls_keeps_its_cause_without_them(aws, processing_run, lambda_context):
    # GIVEN an execution failed outside any Catch (States.Runtime), whose cause quotes the state's input
    access = RunAccess(
        input=f"https://uploads.s3.amazonaws.com/u/s/r.zip?X-Amz-Signature={secrets.token_hex(32)}",
        results={
            name: f"https://results.s3.amazonaws.com/p/{name}?X-Amz-Signature={secrets.token_hex(32)}"
            for name in RESULT_FILES
        },
    ).encode()
    event = _ended(processing_run, "eventbridge_sfn_execution_aborted", status="FAILED")
    event["detail"].update(
        {
            "error": "States.Runtime",
            "cause": "An error occurred while executing the state 'TrainClassifier'. Input: "
            + json.dumps(json.dumps({**processing_run, "runAccess": access})),
        }
    )
    # WHEN it is reconciled
    reconcile.handler(event, lambda_context)
    # THEN operators keep the cause, without the URLs
    cause = stored_status(aws)["failureDetail"]["cause"]
    assert cause.startswith("An error occurred while executing the state 'TrainClassifier'.")
    assert access[:100] not in cause and REDACTED in cause


def test_a_run_stopped_before_it_was_processing_is_failed_too(aws, lambda_context):
    state = run_state(aws.upload_bucket, USER, SESSION, "v1")
    record_received(StatusStore(aws.dynamodb, aws.status_table), state)
    reconcile.handler(_ended(state, "eventbridge_sfn_execution_aborted"), lambda_context)
    assert stored_status(aws)["status"] == "FAILED"


def test_a_final_status_is_never_changed(aws, processing_run, lambda_context):
    # GIVEN RecordFailure already recorded the run's real reason (its execution then ends FAILED)
    store = StatusStore(aws.dynamodb, aws.status_table)
    store.fail_run(
        USER,
        SESSION,
        processing_run["runId"],
        error={"code": "OUT_OF_MEMORY", "message": "m"},
        now="2026-11-23T22:05:00.000Z",
    )
    # WHEN the FAILED execution's event arrives THEN the recorded reason stays
    response = reconcile.handler(
        _ended(processing_run, "eventbridge_sfn_execution_aborted", status="FAILED"), lambda_context
    )
    assert response == {"recorded": False}
    assert stored_status(aws)["error"]["code"] == "OUT_OF_MEMORY"


def test_a_superseded_run_never_touches_the_newer_one(aws, processing_run, lambda_context):
    newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
    record_received(
        StatusStore(aws.dynamodb, aws.status_table), newer, uploaded_at="2026-11-23T22:03:00.000Z"
    )
    reconcile.handler(_ended(processing_run, "eventbridge_sfn_execution_timed_out"), lambda_context)
    item = stored_status(aws)
    assert (item["runId"], item["status"]) == (newer["runId"], "RECEIVED")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda event: event["detail"].update(status="SUCCEEDED"),
        lambda event: event.update({"detail-type": "Object Created"}),
        lambda event: event["detail"].update(input="not json"),
        lambda event: event["detail"].update(input=json.dumps({"userId": USER})),
        lambda event: event["detail"].update(input=None),
    ],
)
def test_other_events_and_inputs_without_a_run_change_nothing(aws, processing_run, lambda_context, spoil):
    event = _ended(processing_run, "eventbridge_sfn_execution_timed_out")
    spoil(event)
    assert reconcile.handler(event, lambda_context) == {"recorded": False}
    assert stored_status(aws)["status"] == "PROCESSING"


def test_a_failed_write_leaves_a_log_line_naming_the_run(aws, processing_run, lambda_context, monkeypatch):
    # GIVEN the status write is refused (here: the table is gone)
    monkeypatch.setenv("STATUS_TABLE", "missing-table")
    # WHEN reconcile raises, and Lambda keeps the event in the dead-letter queue
    with log_lines() as lines, pytest.raises(ClientError):
        reconcile.handler(_ended(processing_run, "eventbridge_sfn_execution_timed_out"), lambda_context)
    # THEN the invocation's log says which user, session, run and execution it was working on
    (line,) = lines
    assert {key: line[key] for key in ("userId", "sessionId", "runId", "executionArn")} == {
        key: processing_run[key] for key in ("userId", "sessionId", "runId", "executionArn")
    }
