"""Start Lambda: SQS batches of EventBridge S3 ``Object Created`` events → status + one execution per upload.

Per record: parse the key, write ``RECEIVED`` conditionally, and start the execution named by
the run id, so a duplicate delivery meets ``ExecutionAlreadyExists`` and changes nothing. A key
with valid user and session ids that is otherwise not acceptable is recorded as ``FAILED``
(``INVALID_UPLOAD``) and not retried; a key or message that names no session is logged and
dropped. An upload of a user who already has ``MAX_ACTIVE_RUNS_PER_USER`` other sessions waiting
or training is recorded as ``FAILED`` (``TOO_MANY_ACTIVE_RUNS``, with a message saying so) and not
started: it fails clearly instead of waiting in the queue, where it would meet the dead-letter
queue after ``maxReceiveCount`` receives. Only records that hit a transient error are reported as
batch item failures, so SQS retries just those (and moves them to the dead-letter queue after the
configured receives).
"""

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contracts.failures import FailureCode
from contracts.keys import (
    RejectedKey,
    UnrecognisedKey,
    execution_arn_for,
    parse_upload_key,
    results_prefix_for,
    run_id_for,
)
from contracts.run_input import RunInput
from contracts.statuses import Status
from handlers.common.clients import client
from handlers.common.limits import ActiveRunCap
from handlers.common.log import bound, get_logger
from handlers.common.settings import StartSettings
from handlers.common.status import NewRun, StatusStore, normalise_sequencer
from handlers.common.timestamps import normalise_event_time, now_iso

OBJECT_CREATED = "Object Created"


class MalformedMessage(ValueError):
    """An SQS message that is not an EventBridge S3 ``Object Created`` event."""


@dataclass(frozen=True, kw_only=True)
class UploadEvent:
    """The facts of one S3 ``Object Created`` event that the pipeline uses."""

    bucket: str
    key: str
    size: int
    upload_version: str
    uploaded_at: str
    sequencer: str


def parse_message_body(body: str) -> UploadEvent:
    """Read an SQS message body holding an EventBridge S3 ``Object Created`` event.

    The upload version is the object's version id when the bucket is versioned, else its ETag
    without quotes (docs/contracts.md).

    Raises
    ------
    MalformedMessage
        If the body is not JSON, not an ``Object Created`` event, or lacks bucket, key, size or version.
    """
    try:
        event = json.loads(body)
    except (TypeError, ValueError) as error:
        raise MalformedMessage("the message body is not JSON") from error
    if (
        not isinstance(event, dict)
        or event.get("detail-type") != OBJECT_CREATED
        or event.get("source") != "aws.s3"
    ):
        raise MalformedMessage("the message is not an S3 Object Created event")
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name")
    s3_object = detail.get("object") or {}
    key, size = s3_object.get("key"), s3_object.get("size")
    version_id = s3_object.get("version-id")
    etag = s3_object.get("etag") or s3_object.get("eTag")
    upload_version = version_id if version_id not in (None, "", "null") else etag
    if not (isinstance(bucket, str) and isinstance(key, str) and isinstance(size, int) and upload_version):
        raise MalformedMessage("the event lacks the bucket, key, size or version of the object")
    try:
        uploaded_at = normalise_event_time(event.get("time"))
    except (TypeError, ValueError) as error:
        raise MalformedMessage("the event has no valid time") from error
    return UploadEvent(
        bucket=bucket,
        key=key,
        size=size,
        upload_version=str(upload_version).strip('"'),
        uploaded_at=uploaded_at,
        sequencer=normalise_sequencer(s3_object.get("sequencer")),
    )


@dataclass(frozen=True)
class RunStarter:
    """Records and starts the run of one upload version; its collaborators are injected."""

    status: StatusStore
    stepfunctions: Any
    state_machine_arn: str
    logger: logging.Logger
    cap: ActiveRunCap
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def handle(self, upload: UploadEvent) -> None:
        """Record and start the run of ``upload``; rejected keys are recorded FAILED, unknown ones dropped,
        uploads over the user's cap of active sessions recorded FAILED."""
        try:
            upload_key = parse_upload_key(upload.key)
        except UnrecognisedKey:
            self.logger.warning("dropped an object whose key names no session", extra={"key": upload.key})
            return
        except RejectedKey as rejected:
            self._reject(upload, rejected)
            return
        run = self._run_input(upload, upload_key.user_id, upload_key.session_id)
        with bound(**run.log_fields()):
            refusal = self.cap.refusal(run.user_id, run.session_id, now=self.clock())
            if refusal is not None and self._record_failed(
                upload, run, {"code": FailureCode.TOO_MANY_ACTIVE_RUNS.value, "message": refusal}
            ):
                self.logger.warning("refused an upload over the user's cap of active sessions")
                return
            # Not recorded: this run is already RECEIVED (a redelivery, which goes on as one) or newer exists.
            if not self.status.start_run(self._new_run(upload, run), now=now_iso()):
                current = self.status.get(run.user_id, run.session_id) or {}
                if current.get("runId") != run.run_id:
                    self.logger.info("ignored an event for an older upload; a newer one is being processed")
                    return
                self.logger.info("duplicate delivery of an upload already recorded")
            self._start_execution(run)

    def _run_input(self, upload: UploadEvent, user_id: str, session_id: str) -> RunInput:
        run_id = run_id_for(upload.bucket, upload.key, upload.upload_version)
        return RunInput(
            bucket=upload.bucket,
            key=upload.key,
            upload_version=upload.upload_version,
            size=upload.size,
            user_id=user_id,
            session_id=session_id,
            run_id=run_id,
            results_prefix=results_prefix_for(user_id, session_id, run_id),
            execution_arn=execution_arn_for(self.state_machine_arn, run_id),
        )

    @staticmethod
    def _new_run(upload: UploadEvent, run: RunInput) -> NewRun:
        return NewRun(
            user_id=run.user_id,
            session_id=run.session_id,
            run_id=run.run_id,
            upload_key=upload.key,
            upload_version=upload.upload_version,
            uploaded_at=upload.uploaded_at,
            upload_sequencer=upload.sequencer,
        )

    def _record_failed(self, upload: UploadEvent, run: RunInput, error: Mapping[str, str]) -> bool:
        """Record the upload's run as FAILED from the start.

        ``False`` when the session already holds this run or a newer one.
        """
        new_run = self._new_run(upload, run)
        return self.status.start_run(new_run, now=now_iso(), status=Status.FAILED, error=error)

    def _reject(self, upload: UploadEvent, rejected: RejectedKey) -> None:
        run = self._run_input(upload, rejected.user_id, rejected.session_id)
        error = {"code": FailureCode.INVALID_UPLOAD.value, "message": rejected.message}
        with bound(userId=run.user_id, sessionId=run.session_id, runId=run.run_id):
            written = self._record_failed(upload, run, error)
            self.logger.warning(
                "rejected an upload" if written else "ignored a rejected upload the session has moved past",
                extra={"key": upload.key, "reason": rejected.message},
            )

    def _start_execution(self, run: RunInput) -> None:
        try:
            self.stepfunctions.start_execution(
                stateMachineArn=self.state_machine_arn, name=run.run_id, input=json.dumps(run.to_dict())
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            self.logger.info("the execution of this run already exists")
            return
        self.logger.info("started the execution")


def process_batch(
    records: Iterable[Mapping[str, Any]], starter: RunStarter, logger: logging.Logger
) -> list[str]:
    """Handle each SQS record on its own; return the message ids to retry (transient errors only)."""
    retry: list[str] = []
    for record in records:
        message_id = record.get("messageId")
        try:
            upload = parse_message_body(record.get("body"))
        except MalformedMessage as error:
            logger.warning(
                "dropped a malformed message", extra={"messageId": message_id, "reason": str(error)}
            )
            continue
        try:
            starter.handle(upload)
        except Exception:  # One record's failure must not fail the batch: it is retried on its own.
            logger.exception(
                "could not start a run; the message will be retried", extra={"messageId": message_id}
            )
            retry.append(message_id)
    return retry


def handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    settings = StartSettings.from_environ(os.environ)
    logger = get_logger(settings.log_level)
    dynamodb = client("dynamodb")
    starter = RunStarter(
        status=StatusStore(dynamodb, settings.status_table),
        stepfunctions=client("stepfunctions"),
        state_machine_arn=settings.state_machine_arn,
        logger=logger,
        cap=ActiveRunCap(
            dynamodb=dynamodb,
            status_table=settings.status_table,
            max_active_runs=settings.max_active_runs_per_user,
            window=timedelta(seconds=settings.active_run_window_seconds),
        ),
    )
    retry = process_batch(event.get("Records", []), starter, logger)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in retry]}
