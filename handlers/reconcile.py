"""Reconcile Lambda: an execution that ended without an outcome leaves no session PROCESSING.

It receives Step Functions ``Execution Status Change`` events for ``ABORTED`` (``StopExecution``),
``TIMED_OUT`` (the execution's own ``TimeoutSeconds``) and ``FAILED`` executions of the stack's
state machines, the current one and any a deploy replaced (:mod:`contracts.execution_events`; the
event's state machine is not checked), reads the run from the event's execution input,
and records ``FAILED`` (``TIMEOUT`` or ``INTERNAL_ERROR``) through the same forward-only conditional
write as RecordFailure: a run that already reached a final status (the state machine's own
failure path ends in a failed execution too) or that a newer upload superseded is left alone.
"""

import json
from collections.abc import Mapping
from typing import Any

from contracts.execution_events import DETAIL_TYPE, ENDED_WITHOUT_OUTCOME, SOURCE
from contracts.run_access import redact_encoded
from contracts.run_input import RunInput
from handlers.common.clients import client, environment
from handlers.common.failures import GENERIC_MESSAGES, MAX_CAUSE_CHARACTERS, Failure
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.settings import ReconcileSettings
from handlers.common.status import StatusStore
from handlers.common.timestamps import now_iso


def reconcile_execution(event: Mapping[str, Any], *, status: StatusStore, now: str) -> bool:
    """Record the run of an execution that ended without an outcome as ``FAILED``.

    Returns
    -------
    bool
        Whether the session changed (``False`` for an event of another kind, an input that names
        no run, or a run that is no longer the session's open run).
    """
    detail = event.get("detail") or {}
    execution_status = detail.get("status")
    code = ENDED_WITHOUT_OUTCOME.get(execution_status)
    if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE or code is None:
        logger.warning("ignored an event that is not an execution ending", extra={"status": execution_status})
        return False
    try:
        run = RunInput.from_dict(json.loads(detail.get("input") or "{}"))
    except (TypeError, ValueError, AttributeError):
        logger.error(
            "an ended execution's input names no run", extra={"executionArn": detail.get("executionArn")}
        )
        return False
    with session_ids(**run.log_fields()):
        # Before the write: if it raises, this is the line of the failed invocation naming the run.
        logger.info("reconciling an ended execution's run", extra={"executionStatus": execution_status})
        failure = Failure(code, GENERIC_MESSAGES[code])
        # Redacted before it is cut: a cut value could still be inflated into its first URLs.
        cause = redact_encoded(str(detail.get("cause") or ""))[:MAX_CAUSE_CHARACTERS]
        recorded = status.fail_run(
            run.user_id,
            run.session_id,
            run.run_id,
            error=failure.as_dict(),
            now=now,
            detail={"error": str(detail.get("error") or f"Execution{execution_status}"), "cause": cause},
        )
        if recorded:
            logger.warning(
                "recorded the run of an execution that ended without an outcome",
                extra={"executionStatus": execution_status, "failureCode": code.value},
            )
        else:
            logger.info(
                "the ended execution's run was already final or superseded",
                extra={"executionStatus": execution_status},
            )
        return recorded


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: Mapping[str, Any], context: Any) -> dict[str, bool]:
    settings = ReconcileSettings.from_environ(environment())
    logger.setLevel(settings.log_level)
    status = StatusStore(client("dynamodb"), settings.status_table)
    return {"recorded": reconcile_execution(event, status=status, now=now_iso())}
