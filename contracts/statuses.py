"""Session statuses, the moves allowed between them, and the status table's keys and shared attributes.

Within one run a session moves ``RECEIVED → PROCESSING → SUCCEEDED`` and may fail from
``RECEIVED`` or ``PROCESSING``; a newer upload version starts a new run from any state. The
start handler, the state machine's ``MarkProcessing`` and the result handlers write these
transitions as conditional updates.
"""

from enum import StrEnum

from contracts.task_size import TASK_SIZE_KEY


class Status(StrEnum):
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


FINAL_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED})

#: Moves allowed within one run (same ``runId``).
RUN_TRANSITIONS: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.RECEIVED, Status.PROCESSING),
        (Status.PROCESSING, Status.SUCCEEDED),
        (Status.RECEIVED, Status.FAILED),
        (Status.PROCESSING, Status.FAILED),
    }
)

#: Statuses a newer upload version may start its run in, whatever the session's state:
#: ``RECEIVED`` normally, ``FAILED`` straight away when its key is rejected.
NEW_RUN_STATUSES = frozenset({Status.RECEIVED, Status.FAILED})


def is_allowed(current: Status | None, new: Status, *, same_run: bool, newer_upload: bool = False) -> bool:
    """Whether a write of ``new`` may replace a session currently in ``current``.

    Parameters
    ----------
    current : Status or None
        The stored status, ``None`` when the session has no item yet.
    new : Status
        The status the writer wants to record.
    same_run : bool
        Whether the writer belongs to the run currently stored (same ``runId``).
    newer_upload : bool
        For a different run: whether its upload is newer than the stored one.
    """
    if current is None:
        return new in NEW_RUN_STATUSES
    if same_run:
        return (current, new) in RUN_TRANSITIONS
    return newer_upload and new in NEW_RUN_STATUSES


def statuses_before(new: Status) -> tuple[Status, ...]:
    """The statuses of the same run from which ``new`` may be written, in a stable order."""
    return tuple(
        sorted((source for source, target in RUN_TRANSITIONS if target == new), key=list(Status).index)
    )


class SessionAttribute(StrEnum):
    """Status table attributes that more than one writer names (handlers and the state machine)."""

    USER_ID = "userId"
    SESSION_ID = "sessionId"
    STATUS = "status"
    RUN_ID = "runId"
    STARTED_AT = "startedAt"
    UPDATED_AT = "updatedAt"
    EXECUTION_ARN = "executionArn"
    #: The run's task size (``contracts.task_size.TaskSize.to_dict``), set by ``MarkProcessing``.
    TASK_SIZE = TASK_SIZE_KEY


#: Partition and sort key of the status and classifier tables.
PARTITION_KEY = SessionAttribute.USER_ID
SORT_KEY = SessionAttribute.SESSION_ID
