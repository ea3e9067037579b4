"""How the state machine retries transient errors: the policies and the ASL Retry rules built from them.

Pure values and functions (no Pulumi import), used by :mod:`components.asl` and by whatever needs to
know how long a retry, or a whole run, can last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How transient errors are retried; small values keep local runs and tests fast.

    Attributes
    ----------
    interval_seconds
        Wait before the first retry (ASL ``IntervalSeconds``, at least 1).
    backoff_rate
        Multiplier applied to the interval after each attempt (ASL ``BackoffRate``, at least 1.0).
    max_attempts
        Retries after the first failure (ASL ``MaxAttempts``; 0 disables retrying).
    max_delay_seconds
        Upper bound of any one wait (ASL ``MaxDelaySeconds``), or ``None`` for no bound.
    full_jitter
        Wait a random time between 0 and the computed interval (ASL ``JitterStrategy: FULL``), so
        that executions refused at the same moment do not all come back at the same moment.
    """

    interval_seconds: int = 2
    backoff_rate: float = 2.0
    max_attempts: int = 3
    max_delay_seconds: int | None = None
    full_jitter: bool = False

    def __post_init__(self) -> None:
        if self.interval_seconds < 1:
            raise ValueError(f"interval_seconds must be at least 1, got {self.interval_seconds}")
        if self.backoff_rate < 1.0:
            raise ValueError(f"backoff_rate must be at least 1.0, got {self.backoff_rate}")
        if self.max_attempts < 0:
            raise ValueError(f"max_attempts must not be negative, got {self.max_attempts}")
        if self.max_delay_seconds is not None and self.max_delay_seconds < self.interval_seconds:
            raise ValueError(
                f"max_delay_seconds ({self.max_delay_seconds}) must be at least interval_seconds "
                f"({self.interval_seconds})"
            )


#: Errors of the Lambda service itself (not of our handlers), worth retrying.
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
#: DynamoDB throttling and internal errors; a failed condition is final and goes to the Catch.
DYNAMODB_TRANSIENT_ERRORS = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.InternalServerErrorException",
)
#: Errors of SNS ``Publish`` that pass: ``InternalErrorException`` and ``KMSThrottlingException``
#: (the topic's KMS key throttled) from its API reference, and ``ThrottlingException``, AWS's common
#: error for a publish over the account's rate. Any other error would fail again.
SNS_TRANSIENT_ERRORS = (
    "SNS.InternalErrorException",
    "SNS.KMSThrottlingException",
    "SNS.ThrottlingException",
)

DEFAULT_RETRY = RetryPolicy()
#: SNS and KMS throttling or internal errors of a notification: up to 5 retries within about a
#: minute (waits of 2, 4, 8, 16, 30 s), spread by full jitter since executions ending together
#: publish together; then the execution fails, and the session keeps its recorded status.
NOTIFY_RETRY = RetryPolicy(
    interval_seconds=2, backoff_rate=2.0, max_attempts=5, max_delay_seconds=30, full_jitter=True
)


def retry_waits_seconds(retry: RetryPolicy) -> list[float]:
    """The longest wait before each retry (full jitter waits a random share of it)."""
    waits = [retry.interval_seconds * retry.backoff_rate**attempt for attempt in range(retry.max_attempts)]
    if retry.max_delay_seconds is None:
        return waits
    return [min(wait, retry.max_delay_seconds) for wait in waits]


def retry_budget_seconds(retry: RetryPolicy) -> int:
    """The longest total time a Retry rule waits before it gives up."""
    return math.ceil(sum(retry_waits_seconds(retry)))


#: The fewest retries of Fargate capacity and ECS throttling, and their waits: 15, 30, 60 s, then 120 s each.
MIN_CAPACITY_ATTEMPTS = 8
_CAPACITY_FIRST_WAIT_SECONDS = 15
_CAPACITY_LONGEST_WAIT_SECONDS = 120
#: The stack's ``capacityWaitMinutes`` unless set, and its least value: the most whole minutes that
#: :data:`MIN_CAPACITY_ATTEMPTS` retries cover (705 s).
DEFAULT_CAPACITY_WAIT_MINUTES = 11


def capacity_retry_policy(wait_minutes: int) -> RetryPolicy:
    """How ``TrainClassifier`` retries Fargate capacity and ECS throttling errors so that its waits add up
    to at least ``wait_minutes``: waits of 15, 30, 60 s, then 120 s each, at least
    :data:`MIN_CAPACITY_ATTEMPTS` of them, spread by full jitter (so that the uploads of a burst do not
    all ask again at once, and a run gives up after about half the longest total); then the run fails
    as CAPACITY_UNAVAILABLE."""
    shortest = _capacity_retry(MIN_CAPACITY_ATTEMPTS)
    # The shortest policy's last waits are at the longest already, so each retry added waits that long.
    missing_seconds = max(0, wait_minutes * 60 - retry_budget_seconds(shortest))
    return _capacity_retry(MIN_CAPACITY_ATTEMPTS + math.ceil(missing_seconds / _CAPACITY_LONGEST_WAIT_SECONDS))


def _capacity_retry(max_attempts: int) -> RetryPolicy:
    return RetryPolicy(
        interval_seconds=_CAPACITY_FIRST_WAIT_SECONDS,
        backoff_rate=2.0,
        max_attempts=max_attempts,
        max_delay_seconds=_CAPACITY_LONGEST_WAIT_SECONDS,
        full_jitter=True,
    )


#: The capacity retries of a stack that leaves ``capacityWaitMinutes`` unset: 8 retries, at most 705 s.
DEFAULT_CAPACITY_RETRY = capacity_retry_policy(DEFAULT_CAPACITY_WAIT_MINUTES)


# A session still RECEIVED or PROCESSING after its longest possible run (capacity retries, then
# training, plus this margin for the steps around them) is stale and no longer counts as active.
ACTIVE_RUN_MARGIN_SECONDS = 15 * 60


def active_run_window_seconds(train_timeout_seconds: int, capacity_retry: RetryPolicy) -> int:
    """How long a session may legitimately stay RECEIVED or PROCESSING: the capacity retries of
    ``TrainClassifier`` (the stack's ``capacity_retry``), its timeout, and a margin for the other steps.
    Also how long a run's presigned URLs stay valid (they are signed just before ``TrainClassifier``)."""
    return retry_budget_seconds(capacity_retry) + train_timeout_seconds + ACTIVE_RUN_MARGIN_SECONDS


def retrier(errors: Sequence[str], retry: RetryPolicy) -> dict[str, Any]:
    """One ASL Retry rule: ``errors`` retried as ``retry`` says."""
    rule: dict[str, Any] = {
        "ErrorEquals": list(errors),
        "IntervalSeconds": retry.interval_seconds,
        "BackoffRate": retry.backoff_rate,
        "MaxAttempts": retry.max_attempts,
    }
    if retry.max_delay_seconds is not None:
        rule["MaxDelaySeconds"] = retry.max_delay_seconds
    if retry.full_jitter:
        rule["JitterStrategy"] = "FULL"
    return rule
