"""RecordFailure Lambda: turn the caught error into a failure code and message, record ``FAILED``.

The input is the whole state with ``error = {Error, Cause}``. When the classifier task failed,
its manifest (if it wrote one with ``status: failed``) says why. The write is conditional on this
run still being open; a session that already succeeded or moved to a newer upload is left alone
(logged). The return value is the outcome; its ``recorded`` says whether the session holds it
(this write, or an earlier attempt's when Step Functions retried the step), and the state machine
notifies only a recorded outcome. A run found ``SUCCEEDED`` (ProcessResults' write committed, then
its step failed) returns that success, which the state machine notifies as a success.
"""

from collections.abc import Mapping
from typing import Any

from contracts.api import session_links
from contracts.run_access import redact
from contracts.run_input import RunInput
from contracts.statuses import Status
from handlers.common.clients import client, environment
from handlers.common.errors import ResultsInvalid
from handlers.common.failures import MAX_CAUSE_CHARACTERS, classify_failure, needs_failed_manifest
from handlers.common.manifest import read_manifest
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.outcome import run_outcome, succeeded_outcome
from handlers.common.settings import ResultsSettings
from handlers.common.status import StatusStore
from handlers.common.timestamps import now_iso


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
        the run's success outcome (``status: "SUCCEEDED"``, ``result``) when the session holds it.
    """
    manifest = None
    if needs_failed_manifest(error):
        try:
            manifest = read_manifest(s3, results_bucket, run.results_prefix)
        except ResultsInvalid:
            logger.warning("the failed run's manifest is not valid JSON; deciding from the task alone")
    failure = classify_failure(error, manifest)
    cause = redact(str(error.get("Cause", "")), state)[:MAX_CAUSE_CHARACTERS]
    logger.info(
        "run failed",
        extra={"errorName": error.get("Error"), "cause": cause, "failureCode": failure.code.value},
    )
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
