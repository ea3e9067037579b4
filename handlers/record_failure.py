"""RecordFailure Lambda: turn the caught error into a failure code and message, record ``FAILED``.

The input is the whole state with ``error = {Error, Cause}``. When the classifier task failed,
its manifest (if it wrote one with ``status: failed``) says why. The write is conditional on this
run still being open; a session that already succeeded or moved to a newer upload is left alone
(logged). The return value is the outcome; its ``recorded`` says whether the session holds it
(this write, or an earlier attempt's when Step Functions retried the step), and the state machine
notifies only a recorded outcome. A run found ``SUCCEEDED`` (ProcessResults' write committed, then
its step failed) returns that success, which the state machine notifies as a success.

A run that ran ``OUT_OF_MEMORY`` while Validate's ``retryTaskSize`` is not null (the prediction fell
short and the stack allows a bigger task) is not a failure yet: nothing is recorded, and the outcome
``{userId, sessionId, runId, retry: true}`` sends the state machine to train once more in that size.
A second ``OUT_OF_MEMORY``, in that size, is recorded.
"""

from collections.abc import Mapping
from typing import Any

from contracts.api import session_links
from contracts.failures import FailureCode
from contracts.run_access import redact
from contracts.run_input import RunInput
from contracts.statuses import Status
from contracts.task_size import RETRY_TASK_SIZE_KEY, TASK_SIZE_KEY, VALIDATION_FIELD
from handlers.common.clients import client, environment
from handlers.common.errors import ResultsInvalid
from handlers.common.failures import MAX_CAUSE_CHARACTERS, Failure, classify_failure, needs_failed_manifest
from handlers.common.manifest import read_manifest
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.outcome import retry_outcome, run_outcome, succeeded_outcome
from handlers.common.settings import ResultsSettings
from handlers.common.status import StatusStore
from handlers.common.timestamps import now_iso


def retry_task_size(failure: Failure, state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The task size the run is tried again in: Validate's ``retryTaskSize`` when the run ran out of
    memory in a smaller one, else ``None`` (also when Validate gave none, or did not get that far).

    The retry trains in that size (the state machine moves it into ``taskSize``), so a retry that runs
    out of memory too is recorded: no state has to clear the retry size.
    """
    validation = state.get(VALIDATION_FIELD)
    if failure.code is not FailureCode.OUT_OF_MEMORY or not isinstance(validation, Mapping):
        return None
    retry = validation.get(RETRY_TASK_SIZE_KEY)
    return retry if retry and retry != validation.get(TASK_SIZE_KEY) else None


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
        ``{userId, sessionId, runId, retry: true}`` when the run is tried again (:func:`retry_task_size`).
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
    retry_size = retry_task_size(failure, state)
    if retry_size is not None:
        logger.info(
            "the run ran out of memory in the task Validate sized from its prediction: not recorded, it is "
            "tried once more in a bigger task",
            extra={TASK_SIZE_KEY: state[VALIDATION_FIELD].get(TASK_SIZE_KEY), RETRY_TASK_SIZE_KEY: retry_size},
        )
        return retry_outcome(run)
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
