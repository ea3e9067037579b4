"""The processing state machine's definition (Amazon States Language, JSONPath) from plain values.

One pure function, :func:`build_definition`, is the single source of the definition: the Pulumi
component calls it inside ``Output.all(...).apply(...)`` with resolved ARNs, and the sandbox
calls it with the emulator's ARNs. No Pulumi import here.

The flow and what each state reads and writes are pinned in ``docs/contracts.md`` ("States")::

    Validate -> MarkProcessing -> PresignRun -> TrainClassifier -> RedactRunAccess -> ProcessResults
        -> SuccessRecorded? -> NotifySuccess -> Succeeded  |  (superseded) -> Superseded
    any step Task --Catch States.ALL, ResultPath $.error--> RecordFailure -> FailureRecorded?
        -> NotifyFailure -> Failed  |  (found SUCCEEDED: ProcessResults' write committed) -> NotifySuccess
        |  (not recorded: a newer run holds the session) -> Failed
        |  (retry "bigger": out of memory, a bigger size left) -> UseRetryTaskSize -> RecordRetryTaskSize
           -> PresignRun -> TrainClassifier -> ...
        |  (retry "same": the task failed to start) -> UseSameTaskSize -> WaitBeforeStartRetry (60 s)
           -> RecordRetryTaskSize -> PresignRun -> TrainClassifier -> ...
    NotifySuccess, NotifyFailure --Catch (after their retries)--> NotificationFailed

An execution takes one of the two retries at most (RecordFailure decides; either retry leaves
``$.validation.retryTaskSize`` equal to ``$.validation.taskSize``, which it reads as the retry spent).
``TrainClassifier`` uses the ``.sync`` ECS integration, so nothing polls; the one Wait state is the
pause before the retry of a task that failed to start.
The run's presigned URLs never reach the execution's output: the Succeed states output ``$.outcome``
only, the Fail states fixed texts, and the URLs leave the state once a training has stopped and
succeeded (RecordFailure redacts them from a failed task's description with the value itself).
The shapes of single states and the integrations' parameters are built in :mod:`components.asl_states`,
the retries' states in :mod:`components.asl_retry_states`, the execution's timeout in
:mod:`components.execution_budget`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from components.asl_retry_states import USE_RETRY_TASK_SIZE, USE_SAME_TASK_SIZE, retry_states
from components.asl_states import (
    RUN_TASK_SYNC_RESOURCE,
    VALIDATION_PATH,
    catch_all,
    lambda_task,
    mark_processing_parameters,
    notify_task,
    outcome_succeed,
    redact_run_access,
    run_task_parameters,
    update_item_task,
    when_failure_recorded,
    when_recorded,
)
from components.execution_budget import execution_timeout_seconds
from components.retry import (
    DEFAULT_CAPACITY_RETRY,
    DEFAULT_RETRY,
    DYNAMODB_TRANSIENT_ERRORS,
    LAMBDA_TRANSIENT_ERRORS,
    NOTIFY_RETRY,
    SNS_TRANSIENT_ERRORS,
    RetryPolicy,
    retrier,
)
from contracts.failures import RUN_TASK_CAPACITY_ERRORS
from contracts.outcome import OUTCOME_PATH
from contracts.run_access import RUN_ACCESS_PATH

VALIDATE = "Validate"
MARK_PROCESSING = "MarkProcessing"
PRESIGN_RUN = "PresignRun"
TRAIN_CLASSIFIER = "TrainClassifier"
REDACT_RUN_ACCESS = "RedactRunAccess"
PROCESS_RESULTS = "ProcessResults"
SUCCESS_RECORDED = "SuccessRecorded"
NOTIFY_SUCCESS = "NotifySuccess"
SUCCEEDED = "Succeeded"
SUPERSEDED = "Superseded"
RECORD_FAILURE = "RecordFailure"
FAILURE_RECORDED = "FailureRecorded"
NOTIFY_FAILURE = "NotifyFailure"
FAILED = "Failed"
NOTIFICATION_FAILED = "NotificationFailed"

SUCCESS_SUBJECT = "EEG classifier training succeeded"
FAILURE_SUBJECT = "EEG classifier training failed"


@dataclass(frozen=True, kw_only=True)
class AslResources:
    """The deployed resources the definition refers to, as plain strings.

    Attributes
    ----------
    validate_function_arn, presign_run_function_arn, process_results_function_arn,
    record_failure_function_arn
        ARNs of the step Lambdas (used as plain ``Resource`` ARNs).
    status_table_name
        Status table that ``MarkProcessing`` updates.
    cluster_arn, task_definition_arn, container_name
        Where and what ``TrainClassifier`` runs; ``container_name`` receives the overrides.
    subnet_ids, security_group_ids
        The task's network (``awsvpc``, no public IP).
    topic_arn
        Notification topic for both outcomes.
    """

    validate_function_arn: str
    presign_run_function_arn: str
    process_results_function_arn: str
    record_failure_function_arn: str
    status_table_name: str
    cluster_arn: str
    task_definition_arn: str
    container_name: str
    subnet_ids: Sequence[str]
    security_group_ids: Sequence[str]
    topic_arn: str

    def __post_init__(self) -> None:
        for field_name in ("subnet_ids", "security_group_ids"):
            values = getattr(self, field_name)
            # A bare string is a Sequence too; iterating it would give one "subnet" per character.
            if isinstance(values, str) or not values:
                raise ValueError(f"{field_name} must be a non-empty sequence of ids, got {values!r}")


def build_definition(
    resources: AslResources,
    *,
    train_timeout_seconds: int = 3600,
    retry: RetryPolicy = DEFAULT_RETRY,
    capacity_retry: RetryPolicy = DEFAULT_CAPACITY_RETRY,
) -> dict[str, Any]:
    """Build the processing state machine definition.

    Parameters
    ----------
    resources
        ARNs and names of the resources the states use.
    train_timeout_seconds
        ``TimeoutSeconds`` of ``TrainClassifier``; when it passes the state fails with
        ``States.Timeout`` (recorded as ``TIMEOUT``) and Step Functions stops the task.
    retry
        Interval, backoff and attempts of the Lambda and DynamoDB Retry rules.
    capacity_retry
        The Retry rule of ``TrainClassifier`` for ECS capacity and throttling errors: the stack's
        ``capacityWaitMinutes`` (:func:`components.retry.capacity_retry_policy`).

    Returns
    -------
    dict
        The definition, JSON-serialisable (``json.dumps`` it for ``CreateStateMachine``).

    Raises
    ------
    ValueError
        If ``train_timeout_seconds`` is not a positive integer.
    """
    if isinstance(train_timeout_seconds, bool) or not isinstance(train_timeout_seconds, int):
        raise ValueError(f"train_timeout_seconds must be an integer, got {train_timeout_seconds!r}")
    if train_timeout_seconds < 1:
        raise ValueError(f"train_timeout_seconds must be positive, got {train_timeout_seconds}")

    lambda_retry = retrier(LAMBDA_TRANSIENT_ERRORS, retry)
    dynamodb_retry = retrier(DYNAMODB_TRANSIENT_ERRORS, retry)
    notify_retry = retrier(SNS_TRANSIENT_ERRORS, NOTIFY_RETRY)
    return {
        "Comment": (
            "EEG upload processing: validate the upload, mark the session PROCESSING, train the FBCSP "
            "classifier on ECS Fargate, record the results and notify; a task out of memory is retried once "
            "in a bigger one, a task that failed to start once in the same size after a wait; any other "
            "error is recorded as FAILED and notified."
        ),
        "StartAt": VALIDATE,
        "TimeoutSeconds": execution_timeout_seconds(train_timeout_seconds, retry, capacity_retry),
        "States": {
            VALIDATE: lambda_task(
                resources.validate_function_arn,
                result_path=VALIDATION_PATH,
                next_state=MARK_PROCESSING,
                retrier=lambda_retry,
                catch_to=RECORD_FAILURE,
            ),
            MARK_PROCESSING: update_item_task(
                mark_processing_parameters(resources.status_table_name),
                comment=(
                    "RECEIVED -> PROCESSING with the run's task size, only for this run "
                    "(a newer upload may have replaced it)."
                ),
                next_state=PRESIGN_RUN,
                retrier=dynamodb_retry,
                catch_to=RECORD_FAILURE,
            ),
            PRESIGN_RUN: lambda_task(
                resources.presign_run_function_arn,
                result_path=RUN_ACCESS_PATH,
                next_state=TRAIN_CLASSIFIER,
                retrier=lambda_retry,
                catch_to=RECORD_FAILURE,
            ),
            TRAIN_CLASSIFIER: {
                "Type": "Task",
                "Comment": (
                    "Runs the classifier container in a task of the size Validate chose and returns "
                    "when the task stops (.sync)."
                ),
                "Resource": RUN_TASK_SYNC_RESOURCE,
                "Parameters": run_task_parameters(
                    cluster_arn=resources.cluster_arn,
                    task_definition_arn=resources.task_definition_arn,
                    container_name=resources.container_name,
                    subnet_ids=resources.subnet_ids,
                    security_group_ids=resources.security_group_ids,
                ),
                "TimeoutSeconds": train_timeout_seconds,
                "ResultPath": None,
                "Retry": [retrier(RUN_TASK_CAPACITY_ERRORS, capacity_retry)],
                "Catch": [catch_all(RECORD_FAILURE)],
                "Next": REDACT_RUN_ACCESS,
            },
            # Not on the Catch: RecordFailure redacts the URLs from the caught task's description.
            REDACT_RUN_ACCESS: redact_run_access(PROCESS_RESULTS),
            PROCESS_RESULTS: lambda_task(
                resources.process_results_function_arn,
                result_path=OUTCOME_PATH,
                next_state=SUCCESS_RECORDED,
                retrier=lambda_retry,
                catch_to=RECORD_FAILURE,
            ),
            NOTIFY_SUCCESS: notify_task(
                resources.topic_arn,
                subject=SUCCESS_SUBJECT,
                next_state=SUCCEEDED,
                retrier=notify_retry,
                catch_to=NOTIFICATION_FAILED,
            ),
            SUCCESS_RECORDED: when_recorded(NOTIFY_SUCCESS, otherwise=SUPERSEDED),
            SUCCEEDED: outcome_succeed(),
            SUPERSEDED: outcome_succeed("A newer upload replaced this run: its results are kept, not the session's."),
            RECORD_FAILURE: lambda_task(
                resources.record_failure_function_arn,
                result_path=OUTCOME_PATH,
                next_state=FAILURE_RECORDED,
                retrier=lambda_retry,
                catch_to=FAILED,
            ),
            FAILURE_RECORDED: when_failure_recorded(
                NOTIFY_FAILURE,
                retry_bigger=USE_RETRY_TASK_SIZE,
                retry_same=USE_SAME_TASK_SIZE,
                already_succeeded=NOTIFY_SUCCESS,
                otherwise=FAILED,
            ),
            **retry_states(
                resources.status_table_name, next_state=PRESIGN_RUN, retrier=dynamodb_retry, catch_to=RECORD_FAILURE
            ),
            NOTIFY_FAILURE: notify_task(
                resources.topic_arn,
                subject=FAILURE_SUBJECT,
                next_state=FAILED,
                retrier=notify_retry,
                catch_to=NOTIFICATION_FAILED,
            ),
            FAILED: {
                "Type": "Fail",
                "Error": "ProcessingFailed",
                "Cause": "No classifier was trained; the session's status holds the reason.",
            },
            # Not RecordFailure: the outcome is recorded (a success stays SUCCEEDED); only its
            # message is lost, and the failed execution is what tells operators.
            NOTIFICATION_FAILED: {
                "Type": "Fail",
                "Error": "NotificationFailed",
                "Cause": (
                    "The session's status holds the outcome; its notification could not be published "
                    "(the execution's history has the error)."
                ),
            },
        },
    }
