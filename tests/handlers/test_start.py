"""The start handler on moto: SQS batches of EventBridge S3 events → status item + execution."""

import json

import pytest
from botocore.exceptions import ClientError
from handler_support import s3_event, sqs_batch

from contracts.keys import results_prefix_for, run_id_for
from handlers import start
from handlers.common.clients import client

pytestmark = pytest.mark.moto

USER, SESSION = "user-1", "session-1"
KEY = f"uploads/{USER}/{SESSION}/S001_imagery.zip"


def _upload(aws, key: str = KEY, body: bytes = b"PK\x05\x06" + bytes(18)) -> dict:
    response = aws.s3.put_object(Bucket=aws.upload_bucket, Key=key, Body=body)
    return {"version_id": response["VersionId"], "etag": response["ETag"].strip('"'), "size": len(body)}


def _event_for(load_event, aws, obj: dict, *, key: str = KEY, time: str = "2026-11-23T22:00:00Z") -> dict:
    return s3_event(
        load_event("eventbridge_s3_object_created"),
        bucket=aws.upload_bucket,
        key=key,
        version_id=obj["version_id"],
        etag=obj["etag"],
        size=obj["size"],
        time=time,
    )


def _batch(load_event, *records) -> dict:
    return sqs_batch(load_event("sqs_eventbridge_s3_batch"), list(records))


def _status(aws, user: str = USER, session: str = SESSION) -> dict | None:
    return aws.dynamodb.get_item(
        TableName=aws.status_table,
        Key={"userId": {"S": user}, "sessionId": {"S": session}},
        ConsistentRead=True,
    ).get("Item")


def _executions(aws) -> list[dict]:
    return aws.stepfunctions.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]


def test_the_sqs_batch_event_file_parses_into_both_uploads(load_event):
    # GIVEN the real-shape SQS batch wrapping two EventBridge S3 events
    batch = load_event("sqs_eventbridge_s3_batch")
    # WHEN each body is parsed
    uploads = [start.parse_message_body(record["body"]) for record in batch["Records"]]
    # THEN bucket, key, size, version id and a canonical time come out
    assert [(upload.bucket, upload.key, upload.size) for upload in uploads] == [
        ("eeg-dev-uploads", "uploads/user-1/session-1/S001_imagery.zip", 787103),
        ("eeg-dev-uploads", "uploads/user-2/session-7/rec.zip", 1024),
    ]
    assert uploads[0].upload_version == "IYV3p45BhZA4pmM4ghmh8hTuo7qNzYH7"
    assert uploads[0].uploaded_at == "2026-11-23T22:00:00.000Z"


def test_epoch_times_are_accepted(load_event):
    event = load_event("eventbridge_s3_object_created")
    event["time"] = 1795471200.5
    assert start.parse_message_body(json.dumps(event)).uploaded_at == "2026-11-23T22:00:00.500Z"


@pytest.mark.parametrize("version_id", [None, "", "null"])
def test_an_object_without_a_version_id_is_not_an_upload_a_run_can_pin(load_event, version_id):
    # The run reads exactly the version the event names; an ETag cannot be read back from S3.
    event = load_event("eventbridge_s3_object_created")
    event["detail"]["object"]["version-id"] = version_id
    with pytest.raises(start.MalformedMessage, match="version id"):
        start.parse_message_body(json.dumps(event))


def test_happy_path_records_received_and_starts_the_named_execution(aws, load_event, lambda_context):
    # GIVEN an uploaded object and its event delivered through SQS
    obj = _upload(aws)
    batch = _batch(load_event, ("m-1", _event_for(load_event, aws, obj)))
    # WHEN the start handler runs
    response = start.handler(batch, lambda_context)
    # THEN nothing is retried, the session is RECEIVED for this run, the execution carries the contract input
    run_id = run_id_for(aws.upload_bucket, KEY, obj["version_id"])
    assert response == {"batchItemFailures": []}
    item = _status(aws)
    assert item["status"] == {"S": "RECEIVED"}
    assert item["runId"] == {"S": run_id}
    assert item["uploadVersion"] == {"S": obj["version_id"]}
    assert item["uploadKey"] == {"S": KEY}
    assert item["createdAt"]["S"].endswith("Z") and item["uploadedAt"] == {"S": "2026-11-23T22:00:00.000Z"}
    [execution] = _executions(aws)
    assert execution["name"] == run_id
    described = aws.stepfunctions.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {
        "bucket": aws.upload_bucket,
        "key": KEY,
        "uploadVersion": obj["version_id"],
        "size": obj["size"],
        "userId": USER,
        "sessionId": SESSION,
        "runId": run_id,
        "resultsPrefix": results_prefix_for(USER, SESSION, run_id),
        "executionArn": execution["executionArn"],
    }


def test_duplicate_delivery_starts_one_execution_and_leaves_the_status_alone(aws, load_event, lambda_context):
    # GIVEN an event already handled once
    obj = _upload(aws)
    batch = _batch(load_event, ("m-1", _event_for(load_event, aws, obj)))
    start.handler(batch, lambda_context)
    before = _status(aws)
    # WHEN the same message is delivered again
    response = start.handler(batch, lambda_context)
    # THEN it is a successful no-op
    assert response == {"batchItemFailures": []}
    assert len(_executions(aws)) == 1
    assert _status(aws) == before


def test_a_reupload_starts_a_new_run_and_resets_a_finished_session(aws, load_event, lambda_context):
    # GIVEN a session whose first upload already failed
    first = _upload(aws)
    start.handler(_batch(load_event, ("m-1", _event_for(load_event, aws, first))), lambda_context)
    aws.dynamodb.update_item(
        TableName=aws.status_table,
        Key={"userId": {"S": USER}, "sessionId": {"S": SESSION}},
        UpdateExpression="SET #s = :failed, #e = :error, finishedAt = :t",
        ExpressionAttributeNames={"#s": "status", "#e": "error"},
        ExpressionAttributeValues={
            ":failed": {"S": "FAILED"},
            ":t": {"S": "2026-11-23T22:01:00.000Z"},
            ":error": {"M": {"code": {"S": "TIMEOUT"}, "message": {"S": "late"}}},
        },
    )
    # WHEN the user uploads a new version of the same key
    second = _upload(aws, body=b"PK\x05\x06" + bytes(18) + b"v2")
    start.handler(
        _batch(load_event, ("m-2", _event_for(load_event, aws, second, time="2026-11-23T22:05:00Z"))),
        lambda_context,
    )
    # THEN a new run is RECEIVED, the old run's error is gone, and a second execution started
    item = _status(aws)
    assert item["status"] == {"S": "RECEIVED"}
    assert item["runId"] == {"S": run_id_for(aws.upload_bucket, KEY, second["version_id"])}
    assert "error" not in item and "finishedAt" not in item
    assert len(_executions(aws)) == 2


def test_a_late_event_for_an_older_version_is_ignored(aws, load_event, lambda_context):
    # GIVEN the newer version's event arrived first
    older, newer = _upload(aws), _upload(aws, body=b"PK\x05\x06" + bytes(18) + b"new")
    start.handler(
        _batch(load_event, ("m-new", _event_for(load_event, aws, newer, time="2026-11-23T22:05:00Z"))),
        lambda_context,
    )
    # WHEN the older version's event arrives late
    response = start.handler(
        _batch(load_event, ("m-old", _event_for(load_event, aws, older, time="2026-11-23T22:00:00Z"))),
        lambda_context,
    )
    # THEN it changes nothing and is not retried
    assert response == {"batchItemFailures": []}
    assert _status(aws)["runId"] == {"S": run_id_for(aws.upload_bucket, KEY, newer["version_id"])}
    assert [execution["name"] for execution in _executions(aws)] == [
        run_id_for(aws.upload_bucket, KEY, newer["version_id"])
    ]


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (f"uploads/{USER}/{SESSION}/recording.csv", "is not a .zip archive"),
        (f"uploads/{USER}/{SESSION}/extra/recording.zip", "not in a sub-folder"),
    ],
)
def test_a_bad_key_for_a_known_session_is_recorded_as_invalid_upload_and_not_retried(
    aws, load_event, lambda_context, key, reason
):
    # GIVEN an object with valid user and session ids but a rejected name or depth
    obj = _upload(aws, key=key)
    # WHEN its event is handled
    response = start.handler(
        _batch(load_event, ("m-1", _event_for(load_event, aws, obj, key=key))), lambda_context
    )
    # THEN the session is FAILED with INVALID_UPLOAD and a reason, nothing starts, nothing is retried
    assert response == {"batchItemFailures": []}
    item = _status(aws)
    assert item["status"] == {"S": "FAILED"}
    assert item["error"]["M"]["code"] == {"S": "INVALID_UPLOAD"}
    assert reason in item["error"]["M"]["message"]["S"]
    assert item["finishedAt"]["S"].endswith("Z")
    assert _executions(aws) == []


def test_unparseable_records_are_dropped_without_poisoning_the_batch(aws, load_event, lambda_context):
    # GIVEN a batch with a non-JSON body, a non-S3 event, a key naming no session, and one good upload
    obj = _upload(aws)
    stray = _upload(aws, key="uploads/../escape.zip")
    not_s3 = load_event("eventbridge_s3_object_created")
    not_s3["detail-type"] = "Object Deleted"
    batch = _batch(
        load_event,
        ("m-garbage", "this is not json"),
        ("m-deleted", not_s3),
        ("m-stray", _event_for(load_event, aws, stray, key="uploads/../escape.zip")),
        ("m-good", _event_for(load_event, aws, obj)),
    )
    # WHEN the batch is handled
    response = start.handler(batch, lambda_context)
    # THEN only the good record did anything, and no record is retried
    assert response == {"batchItemFailures": []}
    assert _status(aws)["status"] == {"S": "RECEIVED"}
    assert len(_executions(aws)) == 1
    assert aws.dynamodb.scan(TableName=aws.status_table)["Count"] == 1


class _ThrottledFor:
    """A Step Functions client that is throttled when starting one particular execution."""

    def __init__(self, real, throttled_name: str) -> None:
        self._real = real
        self._throttled_name = throttled_name

    def start_execution(self, **kwargs):
        if kwargs["name"] == self._throttled_name:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution"
            )
        return self._real.start_execution(**kwargs)


def test_a_transient_error_reports_only_that_message_and_its_retry_succeeds(
    aws, load_event, lambda_context, monkeypatch
):
    # GIVEN two uploads, and Step Functions throttling the second one's StartExecution
    first = _upload(aws)
    other_key = "uploads/user-2/session-7/rec.zip"
    second = _upload(aws, key=other_key)
    throttled_run = run_id_for(aws.upload_bucket, other_key, second["version_id"])
    throttling = _ThrottledFor(client("stepfunctions"), throttled_run)
    monkeypatch.setattr(
        start, "client", lambda service: throttling if service == "stepfunctions" else client(service)
    )
    batch = _batch(
        load_event,
        ("m-first", _event_for(load_event, aws, first)),
        ("m-throttled", _event_for(load_event, aws, second, key=other_key)),
    )
    # WHEN the batch is handled
    response = start.handler(batch, lambda_context)
    # THEN only the throttled message is reported for retry
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-throttled"}]}
    assert [execution["name"] for execution in _executions(aws)] == [
        run_id_for(aws.upload_bucket, KEY, first["version_id"])
    ]
    # AND WHEN SQS redelivers it once Step Functions recovers, its execution starts
    monkeypatch.setattr(start, "client", client)
    retry = start.handler({"Records": [batch["Records"][1]]}, lambda_context)
    assert retry == {"batchItemFailures": []}
    assert throttled_run in {execution["name"] for execution in _executions(aws)}
    assert _status(aws, "user-2", "session-7")["status"] == {"S": "RECEIVED"}
