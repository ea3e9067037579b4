"""The outcome ProcessResults and RecordFailure return (:mod:`contracts.outcome`) and whether it is recorded.

Step Functions retries both steps on Lambda service errors, so an attempt can follow one whose
status write committed but whose response was lost. The retried write's condition then fails on
the run's own outcome: that outcome is recorded (and is notified), unlike a run that a newer
upload superseded or that already ended otherwise.

ProcessResults' write can also commit in an attempt whose step then fails for good; RecordFailure
then finds the run SUCCEEDED, and its outcome is that success (`succeeded_outcome`), which the state
machine notifies as one.
"""

from collections.abc import Mapping
from typing import Any

from contracts.outcome import OUTCOME_RECORDED, OUTCOME_RETRY, OUTCOME_RETRY_SIZE, RetryKind
from contracts.run_input import RunInput
from contracts.statuses import SessionAttribute, Status
from handlers.common.observability import logger
from handlers.common.status import StatusStore


def run_outcome(
    run: RunInput,
    final: Status,
    *,
    written: bool,
    status: StatusStore,
    details: Mapping[str, Any],
    links: dict[str, str],
) -> dict[str, Any]:
    """``{userId, sessionId, runId, status, **details, links, recorded}`` for ``run`` ending in ``final``.

    ``written`` is whether this attempt's conditional write happened; when it did not, the outcome
    is still recorded if the session holds this run in ``final`` already (an earlier attempt's write).
    """
    recorded = written or status.holds_run(run.user_id, run.session_id, run.run_id, final)
    if not written:
        if recorded:
            logger.info("an earlier attempt of this step already recorded the outcome", extra={"status": final.value})
        else:
            logger.warning("did not record the outcome: the session already finished or moved on from this run")
    return _outcome(run, final, details=details, links=links, recorded=recorded)


def succeeded_outcome(run: RunInput, *, status: StatusStore, links: dict[str, str]) -> dict[str, Any] | None:
    """The recorded success outcome of ``run`` when the session holds it ``SUCCEEDED``, else ``None``.

    The result is the one ProcessResults stored with the status, so the outcome is the one it returned.
    """
    item = status.get(run.user_id, run.session_id) or {}
    if item.get(SessionAttribute.RUN_ID) != run.run_id or item.get(SessionAttribute.STATUS) != Status.SUCCEEDED:
        return None
    return _outcome(run, Status.SUCCEEDED, details={"result": item.get("result")}, links=links, recorded=True)


def retry_outcome(run: RunInput, kind: RetryKind) -> dict[str, Any]:
    """RecordFailure's outcome for a run tried once more, in a bigger task or the same size (``kind``): nothing
    recorded, nothing notified."""
    return {**_run_ids(run), OUTCOME_RETRY: True, OUTCOME_RETRY_SIZE: kind.value}


def _run_ids(run: RunInput) -> dict[str, str]:
    return {"userId": run.user_id, "sessionId": run.session_id, "runId": run.run_id}


def _outcome(
    run: RunInput, final: Status, *, details: Mapping[str, Any], links: dict[str, str], recorded: bool
) -> dict[str, Any]:
    return {
        **_run_ids(run),
        "status": final.value,
        **details,
        "links": links,
        OUTCOME_RECORDED: recorded,
    }
