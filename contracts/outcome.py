"""The outcome ProcessResults and RecordFailure return: what the state machine notifies.

Both handlers return ``{userId, sessionId, runId, status, result | error, links, recorded}`` at
:data:`OUTCOME_PATH`. ``recorded`` is whether the session holds that outcome: their conditional
write changed it, or an earlier attempt of the same step did (Step Functions retries a step whose
response was lost). It is ``False`` for a run that a newer upload superseded (or that already
reached another final status), and the state machine then skips the notification, since that
outcome is not the session's.

RecordFailure returns instead ``{userId, sessionId, runId, retry: true}``, recording nothing, for a
run whose task ran out of memory while Validate's ``retryTaskSize`` allows a bigger one: the state
machine then runs the classifier once more in that size.
"""

#: Where the outcome lands in the state (``ResultPath`` of both handlers).
OUTCOME_PATH = "$.outcome"
#: The outcome's field saying whether the handler's status write happened.
OUTCOME_RECORDED = "recorded"
#: The outcome's field saying that the run is tried once more in a bigger task (RecordFailure only).
OUTCOME_RETRY = "retry"
