"""Start Lambda: SQS batches of EventBridge S3 ``Object Created`` events → status + one execution per upload.

Per record: parse the key, write ``RECEIVED`` conditionally, and start the execution named by
the run id, so a duplicate delivery meets ``ExecutionAlreadyExists`` and changes nothing. When the
write replaces a run of the session that was still waiting or training (a re-upload), that run's
execution is stopped first: a session has one active run, which the cap below relies on. The write
itself notes that execution on the item (``replacedExecutionArn``), removed once it is stopped; a
delivery that finds a note stops that execution before anything else, so an invocation that fails
or is ended (timeout, out of memory) after the write leaves the stop to the record's redelivery or
to the session's next upload. An execution of another state machine (one a deploy replaced, recorded
by ``MarkProcessing`` before the deploy) is not this function's to stop: its refusal removes the note
like a stop, since no delivery could ever stop it, and deleting that machine ends its executions.
A key with valid user and session ids that is otherwise not acceptable is recorded as ``FAILED``
(``INVALID_UPLOAD``) and not retried; a key or message that
names no session is logged and dropped. An upload of a user who already has
``MAX_ACTIVE_RUNS_PER_USER`` other sessions waiting or training is recorded as ``FAILED``
(``TOO_MANY_ACTIVE_RUNS``, with a message saying so) and not started: it fails clearly instead of
waiting in the queue, where it would meet the dead-letter queue after ``maxReceiveCount`` receives;
a redelivery of its event starts nothing. Only records that hit a transient error are reported as
batch item failures, so SQS retries just those (and moves them to the dead-letter queue after the
configured receives; powertools' ``BatchProcessor`` reports them).
"""

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
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
from handlers.common.clients import client, environment
from handlers.common.limits import ActiveRunCap
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.settings import StartSettings
from handlers.common.status import NewRun, StatusStore, StoredRun
from handlers.common.timestamps import now_iso
from handlers.common.upload_event import MalformedMessage, UploadEvent, parse_message_body

#: Reads and conditional writes of a session's item one record tries before SQS delivers it again.
RECORD_ATTEMPTS = 4


class SessionContended(RuntimeError):
    """The session's item changed before every write of a run; the record is retried."""


@dataclass(frozen=True)
class Recorded:
    """Where recording a run left it: the status it is stored in (``None`` when the session holds a
    newer upload's run), and whether this delivery wrote it (else an earlier one did)."""

    status: Status | None
    written: bool = False


@dataclass(frozen=True)
class RunStarter:
    """Records and starts the run of one upload version; its collaborators are injected."""

    status: StatusStore
    stepfunctions: Any
    state_machine_arn: str
    cap: ActiveRunCap
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def handle(self, upload: UploadEvent) -> None:
        """Record and start the run of ``upload``; rejected keys are recorded FAILED, unknown ones dropped,
        uploads over the user's cap of active sessions recorded FAILED."""
        try:
            upload_key = parse_upload_key(upload.key)
        except UnrecognisedKey:
            logger.warning("dropped an object whose key names no session", extra={"key": upload.key})
            return
        except RejectedKey as rejected:
            self._reject(upload, rejected)
            return
        run = self._run_input(upload, upload_key.user_id, upload_key.session_id)
        with session_ids(**run.log_fields()):
            refusal = self.cap.refusal(run.user_id, run.session_id, now=self.clock())
            error = None if refusal is None else {"code": FailureCode.TOO_MANY_ACTIVE_RUNS.value, "message": refusal}
            recorded = self._record(upload, run, error)
            # A refused run is stored FAILED, and one already PROCESSING has its execution.
            if recorded.status is Status.RECEIVED:
                self._start_execution(run)
            elif recorded.status is None:
                logger.info("ignored an event for an older upload; a newer one is being processed")
            elif recorded.written:
                logger.warning("refused an upload over the user's cap of active sessions")

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

    def _record(self, upload: UploadEvent, run: RunInput, error: Mapping[str, str] | None = None) -> Recorded:
        """Record the upload's run (``RECEIVED``, or ``FAILED`` from the start with ``error``) unless
        the session holds it or a newer one, and stop the run it replaced if that was still open.

        A noted execution is stopped first, whoever's delivery this is (see the module docstring).
        """
        new_run = self._new_run(upload, run)
        status = Status.RECEIVED if error is None else Status.FAILED
        for _ in range(RECORD_ATTEMPTS):
            stored = self.status.stored_run(run.user_id, run.session_id)
            if stored is not None and stored.replaced_execution_arn is not None:
                self._stop_replaced(run, stored.replaced_execution_arn)
            elif stored is not None and stored.run_id == run.run_id:
                logger.info("duplicate delivery of an upload already recorded")
                return Recorded(stored.status)
            elif stored is not None and not stored.is_older_than(new_run):
                return Recorded(None)
            else:
                replaced = self._execution_of(stored) if stored is not None and stored.is_open else None
                if self.status.start_run(
                    new_run, over=stored, replaced_execution_arn=replaced, now=now_iso(), status=status, error=error
                ):
                    if replaced is not None:
                        self._stop_replaced(run, replaced)
                    return Recorded(status, written=True)
        raise SessionContended("the session's item changed before every write of this run")

    def _execution_of(self, stored: StoredRun) -> str:
        """The execution of a stored run: the one ``MarkProcessing`` recorded, else the one named by its id."""
        return stored.execution_arn or execution_arn_for(self.state_machine_arn, stored.run_id)

    def _stop_replaced(self, run: RunInput, execution_arn: str) -> None:
        """Stop the execution noted on the session's item, then remove the note."""
        self._stop_execution(execution_arn)
        self.status.forget_replaced_execution(run.user_id, run.session_id, execution_arn)

    def _reject(self, upload: UploadEvent, rejected: RejectedKey) -> None:
        run = self._run_input(upload, rejected.user_id, rejected.session_id)
        error = {"code": FailureCode.INVALID_UPLOAD.value, "message": rejected.message}
        with session_ids(userId=run.user_id, sessionId=run.session_id, runId=run.run_id):
            recorded = self._record(upload, run, error)
            logger.warning(
                "rejected an upload" if recorded.written else "ignored a rejected upload the session has moved past",
                extra={"key": upload.key, "reason": rejected.message},
            )

    def _stop_execution(self, execution_arn: str) -> None:
        """Stop the execution of a run a newer upload replaced (a ``.sync`` task it waits for stops too)."""
        try:
            self.stepfunctions.stop_execution(executionArn=execution_arn)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ExecutionDoesNotExist":
                # Not started yet: its MarkProcessing will find the newer run and end it before any task.
                logger.info("the replaced run's execution does not exist", extra={"executionArn": execution_arn})
                return
            if code == "AccessDeniedException" and not self._is_own_execution(execution_arn):
                # A state machine a deploy replaced: this function may stop only the current one's
                # executions, so no delivery ever could, and deleting that machine ends its executions.
                logger.warning(
                    "left the replaced run's execution of another state machine, which this function may not stop",
                    extra={"executionArn": execution_arn},
                )
                return
            raise
        logger.warning("stopped the execution of the run this upload replaced", extra={"executionArn": execution_arn})

    def _is_own_execution(self, execution_arn: str) -> bool:
        """Whether ``execution_arn`` is an execution of this function's state machine."""
        return execution_arn.startswith(execution_arn_for(self.state_machine_arn, ""))

    def _start_execution(self, run: RunInput) -> None:
        try:
            self.stepfunctions.start_execution(
                stateMachineArn=self.state_machine_arn, name=run.run_id, input=json.dumps(run.to_dict())
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            logger.info("the execution of this run already exists")
            return
        logger.info("started the execution")


def start_record(record: SQSRecord, starter: RunStarter) -> None:
    """Handle one SQS record: a malformed message is dropped; a transient error is raised, so the
    batch processor reports the record as failed and SQS delivers it again."""
    try:
        upload = parse_message_body(record.body)
    except MalformedMessage as error:
        logger.warning(
            "dropped a malformed message", extra={"messageId": record.message_id, "reason": str(error)}
        )
        return
    try:
        starter.handle(upload)
    except Exception:
        logger.exception(
            "could not start a run; the message will be retried", extra={"messageId": record.message_id}
        )
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: Mapping[str, Any], context: Any) -> PartialItemFailureResponse:
    settings = StartSettings.from_environ(environment())
    logger.setLevel(settings.log_level)
    dynamodb = client("dynamodb")
    starter = RunStarter(
        status=StatusStore(dynamodb, settings.status_table),
        stepfunctions=client("stepfunctions"),
        state_machine_arn=settings.state_machine_arn,
        cap=ActiveRunCap(
            dynamodb=dynamodb,
            status_table=settings.status_table,
            max_active_runs=settings.max_active_runs_per_user,
            window=timedelta(seconds=settings.active_run_window_seconds),
        ),
    )
    # A batch whose every record failed is answered like any other (all ids reported), not raised.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(
        event=dict(event),
        record_handler=functools.partial(start_record, starter=starter),
        processor=processor,
        context=context,
    )
