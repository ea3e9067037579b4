"""RecordFailure Lambda: turn the caught error into a failure code and message, record ``FAILED``.

The input is the whole state with ``error = {Error, Cause}``. When the classifier task failed,
its manifest (if it wrote one with ``status: failed``) says why. The write is conditional on this
run still being open; a session that already succeeded or moved to a newer upload is left alone
(logged). The return value is the outcome; its ``recorded`` says whether the session holds it
(this write, or an earlier attempt's when Step Functions retried the step), and the state machine
notifies only a recorded outcome. A run found ``SUCCEEDED`` (ProcessResults' write committed, then
its step failed) returns that success, which the state machine notifies as a success.

An execution trains once more, once at most (:func:`retry_kind`), and nothing is recorded then: a run
that ran ``OUT_OF_MEMORY`` while Validate's ``retryTaskSize`` is not null (the prediction fell short and
the stack allows a bigger task) gets the outcome ``{userId, sessionId, runId, retry: true, retrySize:
"bigger"}``, which sends the state machine to train in that size; a classifier task that ECS accepted but
could not start (``TaskFailedToStart``: ENI provisioning, image pull, registry auth, capacity, usually
passing) gets ``retrySize: "same"``, and the state machine trains again in the same size after
:data:`contracts.outcome.START_RETRY_WAIT_SECONDS`. Either retry makes ``retryTaskSize`` the run's
``taskSize``, so what fails after it (out of memory, a second failed start) is recorded as usual.
"""

from collections.abc import Mapping
from typing import Any

from contracts.api import session_links
from contracts.failures import FailureCode
from contracts.outcome import START_RETRY_WAIT_SECONDS, RetryKind
from contracts.run_access import redact
from contracts.run_input import RunInput
from contracts.statuses import Status
from contracts.task_size import RETRY_TASK_SIZE_KEY, TASK_SIZE_KEY, VALIDATION_FIELD
from handlers.common.clients import client, environment
from handlers.common.errors import ResultsInvalid
from handlers.common.failures import (
    MAX_CAUSE_CHARACTERS,
    MAX_MESSAGE_LENGTH,
    Failure,
    StoppedTask,
    classify_failure,
    needs_failed_manifest,
    stopped_task,
)
from handlers.common.manifest import read_manifest
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.outcome import retry_outcome, run_outcome, succeeded_outcome
from handlers.common.printable import printable_line
from handlers.common.settings import ResultsSettings
from handlers.common.status import StatusStore
from handlers.common.timestamps import now_iso


def retry_spent(validation: Mapping[str, Any]) -> bool:
    """Whether the execution has used its one retry: the state machine made the retry size the run's task
    size (the bigger retry moves ``retryTaskSize`` into ``taskSize``, the same-size retry ``taskSize`` into
    ``retryTaskSize``; Validate never gives them equal)."""
    task_size = validation.get(TASK_SIZE_KEY)
    return task_size is not None and validation.get(RETRY_TASK_SIZE_KEY) == task_size


def retry_kind(failure: Failure, task: StoppedTask | None, state: Mapping[str, Any]) -> RetryKind | None:
    """How the run is tried once more, or ``None`` when its failure is to be recorded (``task``: the stopped
    classifier task the caught error describes, :func:`~handlers.common.failures.stopped_task`).

    Only a run Validate sized (the classifier task runs after it) whose execution has not spent its retry
    (:func:`retry_spent`) is retried: in the same size when ECS stopped its task before the container ran
    (:attr:`~handlers.common.failures.StoppedTask.failed_to_start`, whatever the failure code), in Validate's
    ``retryTaskSize`` when it ran out of memory and Validate gave one.
    """
    validation = state.get(VALIDATION_FIELD)
    if not isinstance(validation, Mapping) or not validation.get(TASK_SIZE_KEY) or retry_spent(validation):
        return None
    if task is not None and task.failed_to_start:
        return RetryKind.SAME
    if failure.code is FailureCode.OUT_OF_MEMORY and validation.get(RETRY_TASK_SIZE_KEY):
        return RetryKind.BIGGER
    return None


def _log_retry(kind: RetryKind, task: StoppedTask | None, validation: Mapping[str, Any]) -> None:
    sizes = {TASK_SIZE_KEY: validation.get(TASK_SIZE_KEY), RETRY_TASK_SIZE_KEY: validation.get(RETRY_TASK_SIZE_KEY)}
    if kind is RetryKind.BIGGER:
        logger.info(
            "the run ran out of memory in the task Validate sized from its prediction: not recorded, it is "
            "tried once more in a bigger task",
            extra=sizes,
        )
        return
    reason = printable_line(task.stopped_reason if task else "")[:MAX_MESSAGE_LENGTH]
    logger.info(
        f"the classifier task failed to start ({reason}): not recorded, tried once more in the same size "
        f"after {START_RETRY_WAIT_SECONDS} s",
        extra=sizes,
    )


def record_failure(
    run: RunInput,
    error: Mapping[str, Any],
    *,
    state: Mapping[str, Any],
    s3: Any,
    status: StatusStore,
    results_bucket: str,
    now: str,
) -> dict[str, Any]:
    """Record the run's failure; ``state`` is the whole state (its run's URLs are kept out of the
    cause that is logged and stored).

    Returns
    -------
    dict
        ``{userId, sessionId, runId, status: "FAILED", error: {code, message}, links, recorded}``, or
        the run's success outcome (``status: "SUCCEEDED"``, ``result``) when the session holds it, or
        ``{userId, sessionId, runId, retry: true, retrySize: "bigger" | "same"}`` when the run is tried again
        (:func:`retry_kind`).
    """
    manifest = None
    if needs_failed_manifest(error):
        try:
            manifest = read_manifest(s3, results_bucket, run.results_prefix)
        except ResultsInvalid as unreadable:
            logger.warning(
                "the failed run's manifest cannot be read; deciding from the task alone",
                extra={"reason": str(unreadable)},
            )
    failure = classify_failure(error, manifest)
    cause = redact(str(error.get("Cause", "")), state)[:MAX_CAUSE_CHARACTERS]
    logger.info(
        "run failed",
        extra={"errorName": error.get("Error"), "cause": cause, "failureCode": failure.code.value},
    )
    task = stopped_task(error)
    kind = retry_kind(failure, task, state)
    if kind is not None:
        _log_retry(kind, task, state[VALIDATION_FIELD])
        return retry_outcome(run, kind)
    detail = {"error": str(error.get("Error", "")), "cause": cause}
    written = status.fail_run(
        run.user_id, run.session_id, run.run_id, error=failure.as_dict(), now=now, detail=detail
    )
    if not written:
        success = succeeded_outcome(
            run,
            status=status,
            links=session_links(run.session_id, results_bucket=results_bucket, results_prefix=run.results_prefix),
        )
        if success is not None:
            logger.warning("the run had already succeeded before its step failed: its success is notified")
            return success
    return run_outcome(
        run,
        Status.FAILED,
        written=written,
        status=status,
        details={"error": failure.as_dict()},
        links=session_links(run.session_id),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    settings = ResultsSettings.from_environ(environment(), needs_classifier_table=False)
    logger.setLevel(settings.log_level)
    run = RunInput.from_dict(event)
    with session_ids(**run.log_fields()):
        return record_failure(
            run,
            event.get("error") or {},
            state=event,
            s3=client("s3"),
            status=StatusStore(client("dynamodb"), settings.status_table),
            results_bucket=settings.results_bucket,
            now=now_iso(),
        )
