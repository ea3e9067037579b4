"""The outcome ProcessResults and RecordFailure return: what the state machine notifies.

Both handlers return ``{userId, sessionId, runId, status, result | error, links, recorded}`` at
:data:`OUTCOME_PATH`. ``recorded`` is whether the session holds that outcome: their conditional
write changed it, or an earlier attempt of the same step did (Step Functions retries a step whose
response was lost). It is ``False`` for a run that a newer upload superseded (or that already
reached another final status), and the state machine then skips the notification, since that
outcome is not the session's.

RecordFailure returns instead ``{userId, sessionId, runId, retry: true, retrySize: <RetryKind>}``,
recording nothing, when the execution trains once more (once at most): ``"bigger"`` for a run whose
task ran out of memory while Validate's ``retryTaskSize`` allows a bigger one, ``"same"`` for a run
whose task ECS accepted but could not start (``TaskFailedToStart``), trained again in the same size
after :data:`START_RETRY_WAIT_SECONDS`.

``retry`` stays the boolean it was before the same-size retry existed, and the kind is a field of its
own, so that a deploy does not break executions under way: an execution keeps the definition it
started with but calls the new RecordFailure, and its Choice still sends ``retry: true`` to the bigger
retry; the new Choice sends an outcome without ``retrySize`` (the old RecordFailure, while the deploy
updates it) there too.
"""

from enum import StrEnum

#: Where the outcome lands in the state (``ResultPath`` of both handlers).
OUTCOME_PATH = "$.outcome"
#: The outcome's field saying whether the handler's status write happened.
OUTCOME_RECORDED = "recorded"
#: The outcome's field saying that the run is tried once more (``true``; RecordFailure only).
OUTCOME_RETRY = "retry"
#: The retry outcome's field saying in which size (a :class:`RetryKind`); absent means ``"bigger"``.
OUTCOME_RETRY_SIZE = "retrySize"


class RetryKind(StrEnum):
    """The value of :data:`OUTCOME_RETRY_SIZE`: in which task size the run trains once more."""

    #: The task ran out of memory: the retry trains in Validate's bigger ``retryTaskSize``.
    BIGGER = "bigger"
    #: The task failed to start (ENI, image pull, registry auth or capacity at the task's start, usually
    #: transient): the retry trains in the same size after :data:`START_RETRY_WAIT_SECONDS`.
    SAME = "same"


#: How long the state machine waits before training again after a task that failed to start, so that a
#: passing condition (ENI or ECR throttling in a burst of uploads, Fargate capacity) can clear.
START_RETRY_WAIT_SECONDS = 60
