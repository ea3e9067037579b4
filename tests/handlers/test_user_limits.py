"""Per-user limits on moto: active sessions at once (start handler), upload forms per minute (API)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from handler_support import MAX_ACTIVE_RUNS_PER_USER, MAX_UPLOAD_REQUESTS_PER_MINUTE, put_upload, sqs_batch

from handlers import api, start
from handlers.common.limits import MinuteWindow, take_upload_request
from handlers.common.timestamps import iso_utc

pytestmark = pytest.mark.moto

USER = "user-1"
ME = "3f9c2b1a-6d5e-4f70-8a9b-0c1d2e3f4a5b"  # the sub in the API event files


def _deliver(aws, load_event, lambda_context, user: str, session: str) -> dict:
    key = f"uploads/{user}/{session}/rec.zip"
    body = b"PK\x05\x06" + bytes(18)
    event, _ = put_upload(aws, key, body, time=iso_utc(datetime.now(UTC)))
    batch = sqs_batch(load_event("sqs_eventbridge_s3_batch"), [(f"m-{session}", event)])
    assert start.handler(batch, lambda_context) == {"batchItemFailures": []}
    return event


def _status(aws, user: str, session: str) -> dict:
    item = aws.dynamodb.get_item(
        TableName=aws.status_table,
        Key={"userId": {"S": user}, "sessionId": {"S": session}},
        ConsistentRead=True,
    )["Item"]
    return {name: value.get("S", value.get("M")) for name, value in item.items()}


def _set(aws, user: str, session: str, **attributes: str) -> None:
    aws.dynamodb.update_item(
        TableName=aws.status_table,
        Key={"userId": {"S": user}, "sessionId": {"S": session}},
        UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in attributes),
        ExpressionAttributeNames={f"#{name}": name for name in attributes},
        ExpressionAttributeValues={f":{name}": {"S": value} for name, value in attributes.items()},
    )


def _executions(aws) -> list[dict]:
    return aws.stepfunctions.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]


def test_an_upload_over_the_users_cap_of_active_sessions_fails_clearly_and_does_not_start(
    aws, load_event, lambda_context
):
    # GIVEN as many sessions of the user waiting or training as the cap allows
    for index in range(MAX_ACTIVE_RUNS_PER_USER):
        _deliver(aws, load_event, lambda_context, USER, f"active-{index}")
    _set(aws, USER, "active-0", status="PROCESSING")
    # WHEN one more upload of that user arrives
    _deliver(aws, load_event, lambda_context, USER, "one-too-many")
    # THEN it is FAILED with a code and a message saying why and what to do, and no execution starts
    refused = _status(aws, USER, "one-too-many")
    assert refused["status"] == "FAILED"
    assert refused["error"]["code"] == {"S": "TOO_MANY_ACTIVE_RUNS"}
    assert refused["error"]["message"]["S"] == (
        f"You already have {MAX_ACTIVE_RUNS_PER_USER} sessions waiting or training; this deployment "
        f"processes at most {MAX_ACTIVE_RUNS_PER_USER} at once for one user. Upload this session again "
        "once one of them has finished."
    )
    assert len(_executions(aws)) == MAX_ACTIVE_RUNS_PER_USER


def test_finished_stale_and_other_users_sessions_do_not_count(aws, load_event, lambda_context):
    _deliver(aws, load_event, lambda_context, USER, "finished")
    _set(aws, USER, "finished", status="SUCCEEDED")
    _deliver(aws, load_event, lambda_context, USER, "stale")
    # A session stuck in PROCESSING for longer than any run can last (ACTIVE_RUN_WINDOW_SECONDS).
    _set(aws, USER, "stale", status="PROCESSING", updatedAt=iso_utc(datetime.now(UTC) - timedelta(days=1)))
    for index in range(MAX_ACTIVE_RUNS_PER_USER):
        _deliver(aws, load_event, lambda_context, "user-2", f"other-{index}")

    for index in range(MAX_ACTIVE_RUNS_PER_USER):
        _deliver(aws, load_event, lambda_context, USER, f"new-{index}")

    assert [_status(aws, USER, f"new-{index}")["status"] for index in range(MAX_ACTIVE_RUNS_PER_USER)] == [
        "RECEIVED"
    ] * MAX_ACTIVE_RUNS_PER_USER


def test_reuploads_at_the_cap_replace_their_own_run_and_never_run_more_than_the_cap(
    aws, load_event, lambda_context
):
    # GIVEN the user at the cap, one of the sessions training
    for index in range(MAX_ACTIVE_RUNS_PER_USER):
        _deliver(aws, load_event, lambda_context, USER, f"active-{index}")
    first = _status(aws, USER, "active-0")
    _set(aws, USER, "active-0", status="PROCESSING")
    # WHEN that session is uploaded again, and again (one upload form may be POSTed while it is valid)
    for _ in range(3):
        _deliver(aws, load_event, lambda_context, USER, "active-0")
    # THEN each new run starts (a session does not count against itself) and stops the run it replaced:
    # the user never has more executions running than the cap
    assert _status(aws, USER, "active-0")["status"] == "RECEIVED"
    assert _status(aws, USER, "active-0")["runId"] != first["runId"]
    statuses = [execution["status"] for execution in _executions(aws)]
    assert sorted(statuses) == ["ABORTED"] * 3 + ["RUNNING"] * MAX_ACTIVE_RUNS_PER_USER


@pytest.mark.parametrize("others_finished", [False, True])
def test_a_redelivered_refused_upload_starts_nothing(aws, load_event, lambda_context, others_finished):
    # GIVEN an upload refused over the cap
    for index in range(MAX_ACTIVE_RUNS_PER_USER):
        _deliver(aws, load_event, lambda_context, USER, f"active-{index}")
    refused_event = _deliver(aws, load_event, lambda_context, USER, "one-too-many")
    # WHEN its event is delivered again (at least once delivery), the user still at the cap or not
    for index in range(MAX_ACTIVE_RUNS_PER_USER if others_finished else 0):
        _set(aws, USER, f"active-{index}", status="SUCCEEDED")
    batch = sqs_batch(load_event("sqs_eventbridge_s3_batch"), [("m-again", refused_event)])
    assert start.handler(batch, lambda_context) == {"batchItemFailures": []}
    # THEN it stays refused and its execution is not started
    refused = _status(aws, USER, "one-too-many")
    assert (refused["status"], refused["error"]["code"]) == ("FAILED", {"S": "TOO_MANY_ACTIVE_RUNS"})
    assert len(_executions(aws)) == MAX_ACTIVE_RUNS_PER_USER


def test_upload_forms_beyond_the_per_minute_cap_are_refused_with_retry_after(aws, load_event, lambda_context):
    answers = [api.handler(load_event("apigw_v2_post_sessions"), lambda_context) for _ in range(5)]

    assert [answer["statusCode"] for answer in answers] == [201] * MAX_UPLOAD_REQUESTS_PER_MINUTE + [429] * (
        5 - MAX_UPLOAD_REQUESTS_PER_MINUTE
    )
    refused = answers[-1]
    assert json.loads(refused["body"])["error"]["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(refused["headers"]["Retry-After"]) <= 60


def test_the_upload_request_counter_is_per_user_and_per_minute(aws):
    minute = datetime(2026, 11, 23, 22, 0, 10, tzinfo=UTC)
    take = lambda user, now: take_upload_request(aws.dynamodb, aws.limits_table, user, now=now, limit=2)  # noqa: E731

    assert [take(ME, minute) for _ in range(3)] == [None, None, 50]
    assert take("someone-else", minute) is None
    assert take(ME, minute + timedelta(minutes=1)) is None
    counter = aws.dynamodb.get_item(
        TableName=aws.limits_table, Key={"counterId": {"S": f"upload-requests#{ME}#20261123T2200Z"}}
    )["Item"]
    assert counter["requests"] == {"N": "2"}
    assert int(counter["expiresAt"]["N"]) == MinuteWindow.of(minute).expires_at


def test_a_minute_window_says_how_long_to_wait_and_when_its_counter_may_go():
    window = MinuteWindow.of(datetime(2026, 11, 23, 22, 0, 59, 500000, tzinfo=UTC))

    assert window.label == "20261123T2200Z"
    assert window.retry_after_seconds == 1
    assert window.expires_at == int(datetime(2026, 11, 23, 23, 1, tzinfo=UTC).timestamp())
