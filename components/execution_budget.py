"""How long one execution of the processing state machine may last: its own ``TimeoutSeconds``, and the
timeout of the step Lambdas that budget counts. Pure values and a function; no Pulumi import.

:mod:`components.asl` sets the definition's timeout from :func:`execution_timeout_seconds`; the component
deploys the step Lambdas with :data:`STEP_FUNCTION_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

from components.retry import DEFAULT_CAPACITY_RETRY, DEFAULT_RETRY, NOTIFY_RETRY, RetryPolicy, retry_budget_seconds
from contracts.outcome import START_RETRY_WAIT_SECONDS

#: Trainings one execution may run: the first, and one retry (in a bigger task after running out of memory,
#: or in the same size after a task that failed to start).
TRAINING_ATTEMPTS = 2

#: Timeout of each step Lambda (Validate, PresignRun, ProcessResults, RecordFailure); the component
#: deploys them with it.
STEP_FUNCTION_TIMEOUT_SECONDS = 60
#: What no state's timeout bounds: the Fargate task's provisioning and image pull before the
#: container starts, and the DynamoDB and SNS steps.
EXECUTION_MARGIN_SECONDS = 900


def execution_timeout_seconds(
    train_timeout_seconds: int,
    retry: RetryPolicy = DEFAULT_RETRY,
    capacity_retry: RetryPolicy = DEFAULT_CAPACITY_RETRY,
) -> int:
    """The execution's own ``TimeoutSeconds``: the longest an execution still making progress takes.

    The longest path trains :data:`TRAINING_ATTEMPTS` times (the first task runs out of memory or fails
    to start, the retry's ProcessResults fails): it runs Validate, then for each training PresignRun and
    RecordFailure or ProcessResults, and a last RecordFailure, each step Lambda through every retry and
    its wait; it waits out the retries of one DynamoDB update and the capacity retries of
    ``TrainClassifier`` per training, the wait before a retry after a failed start
    (:data:`contracts.outcome.START_RETRY_WAIT_SECONDS`), and the retries of one notification; each
    training lasts the whole training timeout (a task that fails to start takes less, but nothing bounds
    it more closely); and it gets :data:`EXECUTION_MARGIN_SECONDS` besides. Past it the execution ends
    ``TIMED_OUT``, which the reconcile function records as ``TIMEOUT``.
    """
    step_waits = retry_budget_seconds(retry)
    lambda_steps = 2 + 2 * TRAINING_ATTEMPTS
    lambda_seconds = lambda_steps * ((retry.max_attempts + 1) * STEP_FUNCTION_TIMEOUT_SECONDS + step_waits)
    per_training = step_waits + retry_budget_seconds(capacity_retry) + train_timeout_seconds
    return (
        lambda_seconds
        + TRAINING_ATTEMPTS * per_training
        + START_RETRY_WAIT_SECONDS
        + retry_budget_seconds(NOTIFY_RETRY)
        + EXECUTION_MARGIN_SECONDS
    )
