"""The start handler on moto when a re-upload replaces a run still waiting or training: the replaced
run's execution is stopped (and a failed stop is retried by the record's redelivery)."""

import json

import pytest
from botocore.exceptions import ClientError
from handler_support import ACCOUNT, mark_processing, put_upload, record_received, run_state, sqs_batch

from contracts.keys import execution_arn_for, run_id_for
from contracts.run_input import RunInput
from handlers import reconcile, start
from handlers.common.clients import client
from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto

USER, SESSION = "user-1", "session-1"
KEY = f"uploads/{USER}/{SESSION}/rec.zip"


def _put_version(aws, number: int, key: str = KEY) -> tuple[dict, str]:
    """Version ``number`` of ``key`` and its event (later versions are uploaded later), and its run id."""
    body = b"PK\x05\x06" + bytes(18) + bytes([number])
    event, version_id = put_upload(aws, key, body, time=f"2026-11-23T22:{number:02d}:00Z")
    return event, run_id_for(aws.upload_bucket, key, version_id)


def _handle(load_event, lambda_context, event: dict, message_id: str = "m-1") -> dict:
    return start.handler(sqs_batch(load_event("sqs_eventbridge_s3_batch"), [(message_id, event)]), lambda_context)


def _execution_status(aws, run_id: str, state_machine_arn: str | None = None) -> str:
    arn = execution_arn_for(state_machine_arn or aws.state_machine_arn, run_id)
    return aws.stepfunctions.describe_execution(executionArn=arn)["status"]


def _item(aws) -> dict:
    return StatusStore(aws.dynamodb, aws.status_table).get(USER, SESSION)


class _WrappedClient:
    """A boto3 client standing in for ``real``: what a subclass does not define goes to the real one."""

    def __init__(self, real) -> None:
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)


def _use_client(monkeypatch, service: str, wrapped: _WrappedClient) -> None:
    """Make ``start``'s client of ``service`` ``wrapped``; its other clients stay real."""
    monkeypatch.setattr(start, "client", lambda name: wrapped if name == service else client(name))


def _first_run_on_an_earlier_state_machine(aws, load_event, lambda_context, *, started: bool) -> tuple[dict, str]:
    """Version 1 recorded and started, and its run's state with an execution on a state machine standing
    for the one a deploy has since replaced (started there, or only named): the state and that machine."""
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    earlier_machine = aws.stepfunctions.create_state_machine(
        name="eeg-test-pipeline-earlier",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eeg-test-states",
    )["stateMachineArn"]
    state = run_state(aws.upload_bucket, USER, SESSION, first_event["detail"]["object"]["version-id"])
    state["executionArn"] = (
        aws.stepfunctions.start_execution(stateMachineArn=earlier_machine, name=first_run)["executionArn"]
        if started
        else execution_arn_for(earlier_machine, first_run)
    )
    return state, earlier_machine


class _StopThrottled(_WrappedClient):
    """A Step Functions client whose StopExecution is throttled; everything else is the real client."""

    def stop_execution(self, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StopExecution")


class _StopsOnlyItsOwnMachine(_WrappedClient):
    """A Step Functions client that refuses, as the start role's policy does, to stop an execution of
    any state machine but ``state_machine_arn``; everything else is the real client."""

    def __init__(self, real, state_machine_arn: str) -> None:
        super().__init__(real)
        self._own_executions = execution_arn_for(state_machine_arn, "")

    def stop_execution(self, **kwargs):
        if not kwargs["executionArn"].startswith(self._own_executions):
            denied = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to stop it"}}
            raise ClientError(denied, "StopExecution")
        return self._real.stop_execution(**kwargs)


def test_a_reupload_stops_the_execution_of_the_received_run_it_replaced(aws, load_event, lambda_context):
    # GIVEN a session whose run is RECEIVED: its execution has started, MarkProcessing has not stored its ARN
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    assert "executionArn" not in _item(aws)
    # WHEN a newer version is uploaded
    second_event, second_run = _put_version(aws, 2)
    response = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the first run's execution (named after its run id) is stopped and only the new one runs
    assert response == {"batchItemFailures": []}
    assert _execution_status(aws, first_run) == "ABORTED"
    assert _execution_status(aws, second_run) == "RUNNING"
    assert (_item(aws)["runId"], _item(aws)["status"]) == (second_run, "RECEIVED")
    # AND the item keeps no note of the stopped execution
    assert "replacedExecutionArn" not in _item(aws)


def test_a_reupload_stops_the_execution_the_processing_run_recorded(aws, load_event, lambda_context):
    # GIVEN a PROCESSING run whose execution belongs to the state machine a deploy has since replaced
    state, earlier_machine = _first_run_on_an_earlier_state_machine(aws, load_event, lambda_context, started=True)
    first_run = state["runId"]
    mark_processing(aws.dynamodb, aws.status_table, state)
    # WHEN a newer version is uploaded
    second_event, _ = _put_version(aws, 2)
    _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the execution the item recorded is the one stopped
    assert _execution_status(aws, first_run, earlier_machine) == "ABORTED"


def test_a_processing_run_of_a_state_machine_a_deploy_replaced_does_not_wedge_its_session(
    aws, load_event, lambda_context, monkeypatch
):
    # GIVEN a PROCESSING run whose execution belongs to the state machine a deploy has since replaced,
    # which the start role may not stop (its policy names this state machine's executions only)
    state, _ = _first_run_on_an_earlier_state_machine(aws, load_event, lambda_context, started=False)
    mark_processing(aws.dynamodb, aws.status_table, state)
    scoped = _StopsOnlyItsOwnMachine(client("stepfunctions"), aws.state_machine_arn)
    _use_client(monkeypatch, "stepfunctions", scoped)
    # WHEN a newer version is uploaded
    second_event, second_run = _put_version(aws, 2)
    response = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the refusal is no error: the new run starts and the item keeps no note
    assert response == {"batchItemFailures": []}
    assert _execution_status(aws, second_run) == "RUNNING"
    assert (_item(aws)["runId"], _item(aws)["status"]) == (second_run, "RECEIVED")
    assert "replacedExecutionArn" not in _item(aws)


def test_a_refused_stop_of_an_execution_of_its_own_state_machine_is_retried(
    aws, load_event, lambda_context, monkeypatch
):
    # GIVEN a RECEIVED run, and a start role that may not stop this state machine's executions (a bad policy)
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    another_machine = aws.state_machine_arn + "-another"
    denied = _StopsOnlyItsOwnMachine(client("stepfunctions"), another_machine)
    _use_client(monkeypatch, "stepfunctions", denied)
    # WHEN a newer version is uploaded
    second_event, _ = _put_version(aws, 2)
    response = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the record is retried and the note kept until the stop succeeds
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert _item(aws)["replacedExecutionArn"] == execution_arn_for(aws.state_machine_arn, first_run)


def test_a_replaced_run_whose_execution_never_started_does_not_hold_up_the_new_one(
    aws, load_event, lambda_context
):
    # GIVEN a RECEIVED run whose execution was not started (its start handler had not got there)
    first_event, first_run = _put_version(aws, 1)
    state = run_state(aws.upload_bucket, USER, SESSION, first_event["detail"]["object"]["version-id"])
    record_received(StatusStore(aws.dynamodb, aws.status_table), state, uploaded_at="2026-11-23T22:01:00.000Z")
    # WHEN a newer version is uploaded
    second_event, second_run = _put_version(aws, 2)
    response = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN StopExecution's ExecutionDoesNotExist is no error: the new run starts and nothing is retried
    assert response == {"batchItemFailures": []}
    assert _execution_status(aws, second_run) == "RUNNING"


def test_a_reupload_of_a_finished_session_stops_nothing(aws, load_event, lambda_context):
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    StatusStore(aws.dynamodb, aws.status_table).fail_run(
        USER, SESSION, first_run, error={"code": "TIMEOUT", "message": "m"}, now="2026-11-23T22:01:30.000Z"
    )
    second_event, _ = _put_version(aws, 2)
    _handle(load_event, lambda_context, second_event, "m-2")
    # moto leaves executions RUNNING; a stop would have made this one ABORTED
    assert _execution_status(aws, first_run) == "RUNNING"


def test_a_stop_that_fails_is_retried_and_done_by_the_redelivery(aws, load_event, lambda_context, monkeypatch):
    # GIVEN a RECEIVED run, and Step Functions throttling StopExecution
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    throttled = _StopThrottled(client("stepfunctions"))
    _use_client(monkeypatch, "stepfunctions", throttled)
    # WHEN a newer version's record is handled
    second_event, second_run = _put_version(aws, 2)
    response = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the record is reported for retry, the new run is recorded but not started, the old one still runs
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert _item(aws)["runId"] == second_run
    assert _execution_status(aws, first_run) == "RUNNING"
    executions = aws.stepfunctions.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
    assert second_run not in {execution["name"] for execution in executions}
    # AND WHEN SQS delivers it again once Step Functions recovers
    monkeypatch.setattr(start, "client", client)
    retry = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the old execution is stopped and the new one started
    assert retry == {"batchItemFailures": []}
    assert _execution_status(aws, first_run) == "ABORTED"
    assert _execution_status(aws, second_run) == "RUNNING"
    assert (_item(aws)["runId"], _item(aws)["status"]) == (second_run, "RECEIVED")


def test_a_rejected_reupload_stops_the_open_run_too(aws, load_event, lambda_context):
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    rejected_event, _ = _put_version(aws, 2, key=f"uploads/{USER}/{SESSION}/rec.csv")
    _handle(load_event, lambda_context, rejected_event, "m-2")
    assert (_item(aws)["status"], _item(aws)["error"]["code"]) == ("FAILED", "INVALID_UPLOAD")
    assert _execution_status(aws, first_run) == "ABORTED"


def test_the_reconciler_records_nothing_for_the_run_a_reupload_stopped(aws, load_event, lambda_context):
    # GIVEN a PROCESSING run that a re-upload replaced, its execution stopped
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    first_arn = execution_arn_for(aws.state_machine_arn, first_run)
    first_input = json.loads(aws.stepfunctions.describe_execution(executionArn=first_arn)["input"])
    mark_processing(aws.dynamodb, aws.status_table, RunInput.from_dict(first_input).to_dict())
    second_event, second_run = _put_version(aws, 2)
    _handle(load_event, lambda_context, second_event, "m-2")
    # WHEN the stopped execution's ABORTED event reaches the reconcile function
    aborted = load_event("eventbridge_sfn_execution_aborted")
    aborted["detail"].update(input=json.dumps(first_input), executionArn=first_arn, name=first_run)
    response = reconcile.handler(aborted, lambda_context)
    # THEN it records nothing: the session shows the new run
    assert response == {"recorded": False}
    assert (_item(aws)["runId"], _item(aws)["status"]) == (second_run, "RECEIVED")


class _InvocationEnded(BaseException):
    """The runtime ending an invocation (timeout, out of memory): no handler code runs after it."""


class _EndsAfterRecording(_WrappedClient):
    """A DynamoDB client whose invocation ends right after the write that records a new run."""

    def update_item(self, **kwargs):
        response = self._real.update_item(**kwargs)
        if "#uploadKey" in kwargs.get("ExpressionAttributeNames", {}):
            raise _InvocationEnded
        return response


class _EndsAfterStopping(_WrappedClient):
    """A Step Functions client whose invocation ends right after a StopExecution."""

    def stop_execution(self, **kwargs):
        self._real.stop_execution(**kwargs)
        raise _InvocationEnded


def _ending(monkeypatch, service: str, wrapper) -> None:
    """Make ``start``'s client of ``service`` the ``wrapper`` of the real one."""
    _use_client(monkeypatch, service, wrapper(client(service)))


@pytest.mark.parametrize(
    ("service", "wrapper"),
    [("dynamodb", _EndsAfterRecording), ("stepfunctions", _EndsAfterStopping)],
    ids=["after-recording", "after-stopping"],
)
def test_an_invocation_that_ends_before_the_stop_is_done_leaves_it_to_the_redelivery(
    aws, load_event, lambda_context, monkeypatch, service, wrapper
):
    # GIVEN a RECEIVED run whose execution has started
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    # WHEN the invocation handling a newer version ends right after its record (or its stop)
    _ending(monkeypatch, service, wrapper)
    second_event, second_run = _put_version(aws, 2)
    with pytest.raises(_InvocationEnded):
        _handle(load_event, lambda_context, second_event, "m-2")
    assert _item(aws)["runId"] == second_run
    # AND SQS delivers the record again
    monkeypatch.setattr(start, "client", client)
    retry = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the old execution is stopped, the new one started, and the item keeps no note of the stop
    assert retry == {"batchItemFailures": []}
    assert _execution_status(aws, first_run) == "ABORTED"
    assert _execution_status(aws, second_run) == "RUNNING"
    assert "replacedExecutionArn" not in _item(aws)


def test_a_newer_upload_stops_the_execution_an_ended_invocation_left_running(
    aws, load_event, lambda_context, monkeypatch
):
    # GIVEN a run replaced by a second version whose invocation ended right after its record
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    _ending(monkeypatch, "dynamodb", _EndsAfterRecording)
    second_event, second_run = _put_version(aws, 2)
    with pytest.raises(_InvocationEnded):
        _handle(load_event, lambda_context, second_event, "m-2")
    monkeypatch.setattr(start, "client", client)
    # WHEN a third version arrives before the second one's record is delivered again
    third_event, third_run = _put_version(aws, 3)
    response = _handle(load_event, lambda_context, third_event, "m-3")
    # THEN the first run's execution is stopped too, and only the third run runs
    assert response == {"batchItemFailures": []}
    assert _execution_status(aws, first_run) == "ABORTED"
    assert _execution_status(aws, third_run) == "RUNNING"
    assert (_item(aws)["runId"], _item(aws)["status"]) == (third_run, "RECEIVED")
    assert "replacedExecutionArn" not in _item(aws)
    # AND the second version's redelivery starts nothing
    assert _handle(load_event, lambda_context, second_event, "m-2") == {"batchItemFailures": []}
    executions = aws.stepfunctions.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
    assert second_run not in {execution["name"] for execution in executions}


def test_an_ended_invocation_that_replaced_a_finished_run_stops_nothing_on_redelivery(
    aws, load_event, lambda_context, monkeypatch
):
    # GIVEN a finished run (moto leaves its execution RUNNING; a stop would make it ABORTED)
    first_event, first_run = _put_version(aws, 1)
    _handle(load_event, lambda_context, first_event)
    StatusStore(aws.dynamodb, aws.status_table).fail_run(
        USER, SESSION, first_run, error={"code": "TIMEOUT", "message": "m"}, now="2026-11-23T22:01:30.000Z"
    )
    # WHEN the invocation recording a newer version ends right after its record, and SQS delivers it again
    _ending(monkeypatch, "dynamodb", _EndsAfterRecording)
    second_event, second_run = _put_version(aws, 2)
    with pytest.raises(_InvocationEnded):
        _handle(load_event, lambda_context, second_event, "m-2")
    monkeypatch.setattr(start, "client", client)
    assert _handle(load_event, lambda_context, second_event, "m-2") == {"batchItemFailures": []}
    # THEN the finished run's execution is not stopped, and the new run starts
    assert _execution_status(aws, first_run) == "RUNNING"
    assert _execution_status(aws, second_run) == "RUNNING"
    assert "replacedExecutionArn" not in _item(aws)


class _MovesOnAfterTheFirstRead(_WrappedClient):
    """A DynamoDB client with which ``move_on`` changes the session's item right after start first reads it."""

    def __init__(self, real, move_on) -> None:
        super().__init__(real)
        self._move_on = move_on

    def get_item(self, **kwargs):
        response = self._real.get_item(**kwargs)
        if self._move_on is not None:
            self._move_on, move_on = None, self._move_on
            move_on()
        return response


def test_a_run_that_moves_on_while_a_reupload_is_recorded_has_its_own_execution_stopped(
    aws, load_event, lambda_context, monkeypatch
):
    # GIVEN a RECEIVED run, and an execution of that run on the state machine a deploy has since replaced
    state, earlier_machine = _first_run_on_an_earlier_state_machine(aws, load_event, lambda_context, started=True)
    first_run = state["runId"]
    # WHEN that execution's MarkProcessing lands between the re-upload's read of the item and its write
    moving_on = _MovesOnAfterTheFirstRead(
        client("dynamodb"), lambda: mark_processing(aws.dynamodb, aws.status_table, state)
    )
    _use_client(monkeypatch, "dynamodb", moving_on)
    second_event, second_run = _put_version(aws, 2)
    response = _handle(load_event, lambda_context, second_event, "m-2")
    # THEN the write is made again over what the item holds now: the execution MarkProcessing recorded is stopped
    assert response == {"batchItemFailures": []}
    assert _execution_status(aws, first_run, earlier_machine) == "ABORTED"
    assert _execution_status(aws, first_run) == "RUNNING"
    assert (_item(aws)["runId"], _item(aws)["status"]) == (second_run, "RECEIVED")


class _AlwaysContended(StatusStore):
    """A status store whose every write of a new run finds the item changed since it was read."""

    def start_run(self, *args, **kwargs) -> bool:
        return False


def test_a_session_whose_item_keeps_changing_leaves_the_record_to_a_redelivery(
    aws, load_event, lambda_context, monkeypatch
):
    monkeypatch.setattr(start, "StatusStore", _AlwaysContended)
    first_event, _ = _put_version(aws, 1)
    assert _handle(load_event, lambda_context, first_event) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert aws.stepfunctions.list_executions(stateMachineArn=aws.state_machine_arn)["executions"] == []
