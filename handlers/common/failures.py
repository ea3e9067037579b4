"""Failure codes and the pure mapping from a state machine error to the code and message a user sees.

The codes and the handler errors that carry them are in :mod:`contracts.failures`. The input is
the ``$.error`` a Catch stores, ``{"Error": name, "Cause": text}``: for a Lambda task the cause is the
function's error JSON (``errorType``, ``errorMessage``, ``stackTrace``); for the classifier task
it is the described ECS task as JSON. Messages are written for the person who uploaded the
session and never include stack traces or internal details.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.failures import HANDLER_ERROR_CODES, RUN_TASK_CAPACITY_ERRORS, ExitCode, FailureCode
from contracts.manifest import Manifest
from handlers.common.printable import printable_line


@dataclass(frozen=True)
class Failure:
    code: FailureCode
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "message": self.message}


MAX_MESSAGE_LENGTH = 500
# How much of an original Step Functions cause is logged and kept in the status record for
# operators (DynamoDB items stay far below their 400 KB limit).
MAX_CAUSE_CHARACTERS = 4000
_TIMEOUT_ERRORS = frozenset({"States.Timeout", "States.HeartbeatTimeout"})
#: How Fargate describes a task it could not place.
_CAPACITY_MARKERS = ("Capacity is unavailable",)
_PULL_FAILURE_MARKERS = (
    "CannotPullContainerError",
    "ResourceInitializationError",
    "pull image",
    "image manifest",
)
#: The ECS stop code of a task whose essential container ended on its own.
CONTAINER_EXITED_STOP_CODE = "EssentialContainerExited"
#: The ECS stop code of a task ECS accepted but stopped before its container ran (ENI provisioning, image
#: pull, registry auth or secrets, capacity at the task's start).
FAILED_TO_START_STOP_CODE = "TaskFailedToStart"
#: ECS stop codes of a task something stopped (StopTask, ECS, Fargate maintenance or Spot): its container got
#: SIGTERM, then SIGKILL (exit 137) if it outlived the stop timeout.
STOP_REQUEST_CODES = frozenset(
    {"UserInitiated", "ServiceSchedulerInitiated", "SpotInterruption", "TerminationNotice", "InfrastructureHealth"}
)
STOPPED_MESSAGE = (
    "The classifier was stopped before it finished (its task was stopped by AWS or an operator). Nothing is "
    "wrong with the upload: please upload it again."
)
ACCESS_EXPIRED_MESSAGE = (
    "The run's access to storage expired before the classifier's results were written. "
    "Nothing is wrong with the upload: please upload it again; if it keeps happening, contact support."
)

GENERIC_MESSAGES = {
    FailureCode.INVALID_UPLOAD: "The upload was rejected by the classifier as malformed.",
    FailureCode.INSUFFICIENT_DATA: "The recording holds too little data to train a classifier.",
    FailureCode.CLASSIFIER_ERROR: "The classifier stopped with an unexpected error while training.",
    FailureCode.OUT_OF_MEMORY: "The classifier ran out of memory while training on this recording.",
    FailureCode.IMAGE_UNAVAILABLE: "The classifier could not be started because its container image was "
    "unavailable. Please upload again later.",
    FailureCode.TIMEOUT: "Processing did not finish within the time limit.",
    FailureCode.RESULTS_INVALID: "The classifier finished but its results could not be verified.",
    FailureCode.INTERNAL_ERROR: "The pipeline failed because of an internal error. Please upload again; "
    "if it keeps failing, contact support.",
    FailureCode.CAPACITY_UNAVAILABLE: "AWS had no capacity to run the classifier. Nothing is wrong with the "
    "upload: please upload it again later.",
    FailureCode.TOO_MANY_ACTIVE_RUNS: "Too many of your sessions are being processed at once. Upload this "
    "session again once one of them has finished.",
}


def _clean_message(text: object, fallback: str) -> str:
    """A printable single-line, length-limited message; ``fallback`` when ``text`` is empty or not text."""
    single_line = printable_line(text) if isinstance(text, str) else ""
    if not single_line:
        return fallback
    if len(single_line) > MAX_MESSAGE_LENGTH:
        single_line = single_line[: MAX_MESSAGE_LENGTH - 1].rstrip() + "…"
    return single_line


def _parse_cause(cause: object) -> Any:
    if isinstance(cause, Mapping):
        return cause
    if not isinstance(cause, str):
        return None
    try:
        return json.loads(cause)
    except ValueError:
        return None


def _field(mapping: Mapping[str, Any], name: str) -> Any:
    """A field by name whatever its case: Step Functions reports ECS tasks in PascalCase, ECS in camelCase."""
    wanted = name.lower()
    return next((value for key, value in mapping.items() if key.lower() == wanted), None)


@dataclass(frozen=True)
class StoppedTask:
    """What decides a classifier task's failure: container exit codes and reasons, the task's stop code and
    reason (``stopped_reason``, also the last but one of ``reasons`` when given)."""

    exit_codes: tuple[int | None, ...]
    reasons: tuple[str, ...]
    stop_code: str
    stopped_reason: str

    def mentions(self, *markers: str) -> bool:
        return any(marker.lower() in reason.lower() for reason in self.reasons for marker in markers)

    @property
    def out_of_memory(self) -> bool:
        """ECS says so, or the container was killed (137) while nothing was stopping its task."""
        killed = ExitCode.KILLED in self.exit_codes and self.stop_code == CONTAINER_EXITED_STOP_CODE
        return killed or self.mentions("OutOfMemory")

    @property
    def failed_to_start(self) -> bool:
        """ECS stopped the task before its container ran: ``TaskFailedToStart`` and no exit code."""
        return self.stop_code == FAILED_TO_START_STOP_CODE and all(code is None for code in self.exit_codes)


def parse_stopped_task(cause: object) -> StoppedTask | None:
    """The exit codes, reasons and stop code in an ECS task description, or ``None`` if ``cause`` is not one."""
    task = _parse_cause(cause)
    if not isinstance(task, Mapping):
        return None
    containers = _field(task, "containers")
    looks_like_task = _field(task, "taskArn") is not None or _field(task, "lastStatus") is not None
    if not isinstance(containers, list) or not looks_like_task:
        return None
    exit_codes: list[int | None] = []
    reasons: list[str] = []
    for container in containers:
        if not isinstance(container, Mapping):
            continue
        exit_code = _field(container, "exitCode")
        exit_codes.append(
            exit_code if isinstance(exit_code, int) and not isinstance(exit_code, bool) else None
        )
        reasons.append(str(_field(container, "reason") or ""))
    stop_code = str(_field(task, "stopCode") or "")
    stopped_reason = str(_field(task, "stoppedReason") or "")
    reasons += [stopped_reason, stop_code]
    return StoppedTask(
        exit_codes=tuple(exit_codes),
        reasons=tuple(reason for reason in reasons if reason),
        stop_code=stop_code,
        stopped_reason=stopped_reason,
    )


def stopped_task(error: Mapping[str, Any]) -> StoppedTask | None:
    """The stopped classifier task a caught error describes, or ``None`` for any other error."""
    return parse_stopped_task(error.get("Cause")) if error.get("Error") == "States.TaskFailed" else None


def needs_failed_manifest(error: Mapping[str, Any]) -> bool:
    """Whether the error is a stopped classifier task, whose manifest may say why it failed."""
    return stopped_task(error) is not None


def _manifest_failure(document: Mapping[str, Any] | None) -> Failure | None:
    if document is None:
        return None
    try:
        manifest = Manifest.from_dict(document)
    except ValueError:
        return None
    if manifest.error is None or manifest.error.code not in set(FailureCode):
        return None
    code = FailureCode(manifest.error.code)
    return Failure(code, _clean_message(manifest.error.message, GENERIC_MESSAGES[code]))


def _task_failure(task: StoppedTask) -> Failure:
    if task.out_of_memory:
        code = FailureCode.OUT_OF_MEMORY
    elif task.mentions(*_CAPACITY_MARKERS):
        code = FailureCode.CAPACITY_UNAVAILABLE
    elif task.mentions(*_PULL_FAILURE_MARKERS):
        code = FailureCode.IMAGE_UNAVAILABLE
    elif task.stop_code in STOP_REQUEST_CODES:
        return Failure(FailureCode.INTERNAL_ERROR, STOPPED_MESSAGE)
    elif ExitCode.ACCESS_EXPIRED in task.exit_codes:
        return Failure(FailureCode.INTERNAL_ERROR, ACCESS_EXPIRED_MESSAGE)
    elif ExitCode.REJECTED in task.exit_codes:
        code = FailureCode.INVALID_UPLOAD
    elif ExitCode.UNEXPECTED in task.exit_codes:
        code = FailureCode.CLASSIFIER_ERROR
    else:
        code = FailureCode.INTERNAL_ERROR
    return Failure(code, GENERIC_MESSAGES[code])


def classify_failure(error: Mapping[str, Any], failed_manifest: Mapping[str, Any] | None = None) -> Failure:
    """Turn a caught state machine error into the failure code and message a user sees.

    Parameters
    ----------
    error : mapping
        ``{"Error": ..., "Cause": ...}`` as stored by a Catch.
    failed_manifest : mapping, optional
        The run's ``manifest.json`` when the classifier task failed and one was written; a
        manifest with ``status: failed`` and a known code decides the outcome.
    """
    name = error.get("Error")
    if name in HANDLER_ERROR_CODES:
        code = HANDLER_ERROR_CODES[name]
        cause = _parse_cause(error.get("Cause"))
        message = cause.get("errorMessage") if isinstance(cause, Mapping) else None
        return Failure(code, _clean_message(message, GENERIC_MESSAGES[code]))
    if name in _TIMEOUT_ERRORS:
        return Failure(FailureCode.TIMEOUT, GENERIC_MESSAGES[FailureCode.TIMEOUT])
    if name in RUN_TASK_CAPACITY_ERRORS:
        return Failure(FailureCode.CAPACITY_UNAVAILABLE, GENERIC_MESSAGES[FailureCode.CAPACITY_UNAVAILABLE])
    task = stopped_task(error)
    if task is not None:
        return _manifest_failure(failed_manifest) or _task_failure(task)
    return Failure(FailureCode.INTERNAL_ERROR, GENERIC_MESSAGES[FailureCode.INTERNAL_ERROR])
