"""Helpers for the handler tests: real-shape events from tests/events and ways to vary them."""

import contextlib
import copy
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.config import StackSettings
from contracts.limits import LIMITS_TABLE_KEY
from contracts.manifest import Manifest, ManifestError, ManifestStatus
from contracts.statuses import PARTITION_KEY, SORT_KEY
from contracts.task_size import TaskSize
from handlers.common.status import StatusStore

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
REGION = "eu-west-2"
ACCOUNT = "123456789012"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:eeg-test-pipeline"
#: The user and session of the result handlers' tests.
USER, SESSION = "user-1", "session-1"
# The per-user caps of the handler tests' environment: small, so the tests reach them in a few requests.
MAX_ACTIVE_RUNS_PER_USER = 2
MAX_UPLOAD_REQUESTS_PER_MINUTE = 3
#: The default task size of the stack configuration (``taskCpu``, ``taskMemory``).
DEFAULT_TASK_SIZE = TaskSize(StackSettings.task_cpu, StackSettings.task_memory)
#: ``taskMemoryMax`` of the handler tests: one Fargate step above the default task, so that
#: Validate both sizes runs up and refuses bigger ones.
TASK_MEMORY_MAX_MIB = 3072
ACTIVE_RUN_WINDOW_SECONDS = 6000
#: The stack's pipeline as the handler tests' functions are told it (``PIPELINE_NAME``).
PIPELINE_NAME = "processing-test"


def create_session_table(dynamodb: Any, name: str) -> None:
    """A table keyed like the status and classifier tables: ``userId`` (hash), ``sessionId`` (range)."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_limits_table(dynamodb: Any, name: str) -> None:
    """The per-user limits table: one string key, ``counterId`` (TTL is not emulated)."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": LIMITS_TABLE_KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": LIMITS_TABLE_KEY, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of ``tests/events/{name}.json``."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


@dataclass(frozen=True)
class LambdaContext:
    """The parts of the Lambda context object a handler may read."""

    function_name: str = "eeg-test-fn"
    aws_request_id: str = "6f1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:eeg-test-fn"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def s3_event(
    template: dict[str, Any],
    *,
    bucket: str,
    key: str,
    version_id: str | None,
    etag: str,
    size: int,
    time: str,
) -> dict[str, Any]:
    """The EventBridge ``Object Created`` template edited to describe one object version."""
    event = copy.deepcopy(template)
    event["time"] = time
    event["resources"] = [f"arn:aws:s3:::{bucket}"]
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"].update({"key": key, "size": size, "etag": etag, "version-id": version_id})
    return event


def put_upload(aws: Any, key: str, body: bytes, *, time: str) -> tuple[dict[str, Any], str]:
    """Store ``body`` under ``key`` in the uploads bucket: its ``Object Created`` event (at ``time``)
    and its version id."""
    response = aws.s3.put_object(Bucket=aws.upload_bucket, Key=key, Body=body)
    event = s3_event(
        load_event("eventbridge_s3_object_created"),
        bucket=aws.upload_bucket,
        key=key,
        version_id=response["VersionId"],
        etag=response["ETag"].strip('"'),
        size=len(body),
        time=time,
    )
    return event, response["VersionId"]


def sqs_batch(template: dict[str, Any], events: list[tuple[str, Any]]) -> dict[str, Any]:
    """The SQS batch template with one record per ``(messageId, body)``; dict bodies are JSON-encoded."""
    record_template = template["Records"][0]
    records = []
    for message_id, body in events:
        record = copy.deepcopy(record_template)
        record["messageId"] = message_id
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        records.append(record)
    return {"Records": records}


def ecs_failure(
    *,
    exit_code: int | None,
    reason: str | None = None,
    stop_code: str = "EssentialContainerExited",
    stopped_reason: str = "Essential container in task exited",
) -> dict:
    """The ``sfn_error_ecs_task_failed`` error with the container's exit code and reason and the task's stop
    code and reason replaced (``None`` leaves the container's out)."""
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


def ecs_failed_start(stopped_reason: str, container_reason: str | None = None) -> dict:
    """A task ECS stopped before the container ran (``TaskFailedToStart``, no exit code)."""
    return ecs_failure(
        exit_code=None, reason=container_reason, stop_code="TaskFailedToStart", stopped_reason=stopped_reason
    )


def after_retry_pass(state: dict[str, Any], pass_state: dict[str, Any]) -> dict[str, Any]:
    """``state`` after one of the definition's Pass states before a retry (an ``InputPath`` and a
    ``ResultPath`` of field names)."""
    value: Any = state
    for key in pass_state["InputPath"].removeprefix("$.").split("."):
        value = value[key]
    *parents, field = pass_state["ResultPath"].removeprefix("$.").split(".")
    moved = copy.deepcopy(state)
    target = moved
    for parent in parents:
        target = target[parent]
    target[field] = copy.deepcopy(value)
    return moved


def run_state(
    bucket: str, user_id: str, session_id: str, version: str, file_name: str = "rec.zip"
) -> dict[str, Any]:
    """The state machine input ``start`` would write for one upload version."""
    from contracts.keys import UploadKey, execution_arn_for, results_prefix_for, run_id_for
    from contracts.run_input import RunInput

    key = UploadKey(user_id, session_id, file_name).key
    run_id = run_id_for(bucket, key, version)
    return RunInput(
        bucket=bucket,
        key=key,
        upload_version=version,
        size=1234,
        user_id=user_id,
        session_id=session_id,
        run_id=run_id,
        results_prefix=results_prefix_for(user_id, session_id, run_id),
        execution_arn=execution_arn_for(STATE_MACHINE_ARN, run_id),
    ).to_dict()


def new_run_of(state: dict[str, Any], uploaded_at: str) -> Any:
    """The ``NewRun`` ``start`` records for ``state``'s run, uploaded at ``uploaded_at``."""
    from handlers.common.status import NewRun, normalise_sequencer

    return NewRun(
        user_id=state["userId"],
        session_id=state["sessionId"],
        run_id=state["runId"],
        upload_key=state["key"],
        upload_version=state["uploadVersion"],
        uploaded_at=uploaded_at,
        upload_sequencer=normalise_sequencer(None),
    )


def record_received(store: Any, state: dict[str, Any], uploaded_at: str = "2026-11-23T22:00:00.000Z") -> bool:
    """What ``start`` writes for ``state``'s run; whether it was written (an open run it replaces is
    noted as to be stopped, as ``start`` notes it)."""
    from contracts.keys import execution_arn_for

    run = new_run_of(state, uploaded_at)
    stored = store.stored_run(run.user_id, run.session_id)
    if stored is not None and not stored.is_older_than(run):
        return False
    replaced = execution_arn_for(STATE_MACHINE_ARN, stored.run_id) if stored is not None and stored.is_open else None
    return store.start_run(run, over=stored, replaced_execution_arn=replaced, now=uploaded_at)


def mark_processing(
    dynamodb: Any, table: str, state: dict[str, Any], entered: str = "2026-11-23T22:00:10.000Z"
) -> None:
    """The state machine's ``MarkProcessing`` update, exactly as docs/contracts.md specifies it."""
    dynamodb.update_item(
        TableName=table,
        Key={"userId": {"S": state["userId"]}, "sessionId": {"S": state["sessionId"]}},
        UpdateExpression=(
            "SET #status = :processing, startedAt = :t, updatedAt = :t, executionArn = :arn, taskSize = :size"
        ),
        ConditionExpression="runId = :runId AND #status = :received",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":processing": {"S": "PROCESSING"},
            ":received": {"S": "RECEIVED"},
            ":t": {"S": entered},
            ":runId": {"S": state["runId"]},
            ":arn": {"S": state["executionArn"]},
            ":size": {"M": {name: {"N": str(value)} for name, value in DEFAULT_TASK_SIZE.to_dict().items()}},
        },
    )


def record_success(
    aws: Any,
    state: dict[str, Any],
    *,
    result: dict[str, Any],
    output_versions: dict[str, str] | None = None,
    now: str = "2026-11-23T22:05:00.000Z",
    **classifier_fields: Any,
) -> bool:
    """ProcessResults' write for ``state``'s run: SUCCEEDED with ``result`` and the checked
    ``output_versions``, and the classifier record (the run's ids and ``classifier_fields``), together;
    whether it was written."""
    ids = {"userId": state["userId"], "sessionId": state["sessionId"], "runId": state["runId"]}
    return StatusStore(aws.dynamodb, aws.status_table).succeed_run(
        *ids.values(),
        result=result,
        output_versions=output_versions or {},
        now=now,
        classifier_table=aws.classifier_table,
        classifier_item={**ids, **classifier_fields},
    )


def failed_manifest(code: str, message: str) -> dict:
    """The manifest a container writes when it rejects USER's SESSION's input with ``code``."""
    return Manifest(
        user_id=USER,
        session_id=SESSION,
        run_id="run-x",
        status=ManifestStatus.FAILED,
        started_at="2026-11-23T22:00:20.000Z",
        finished_at="2026-11-23T22:01:00.000Z",
        error=ManifestError(code, message),
    ).to_dict()


@contextlib.contextmanager
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """The handlers' JSON log lines written inside the block (filled in when the block ends)."""
    from handlers.common.observability import logger

    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        logger.removeHandler(capture)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def stored_status(aws: Any) -> dict:
    """The status record of USER's SESSION as the handlers' StatusStore reads it."""
    return StatusStore(aws.dynamodb, aws.status_table).get(USER, SESSION)
