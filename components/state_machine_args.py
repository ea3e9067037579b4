"""The inputs of :class:`~components.state_machine.ProcessingStateMachine` and their validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.retry import DEFAULT_CAPACITY_RETRY, RetryPolicy
from components.storage import StorageLocations
from contracts.task_size import TaskSize, maximum_size


@dataclass(frozen=True, kw_only=True)
class ProcessingStateMachineArgs:
    """Inputs of :class:`ProcessingStateMachine`: storage, the classifier task, and operations settings.

    Attributes
    ----------
    storage
        The pipeline's buckets and tables (``PipelineStorage.locations``).
    cluster_arn, cluster_name, task_definition_arn, execution_role_arn
        The classifier task (from ClassifierCluster); the state machine passes its execution role.
    subnet_ids, security_group_ids
        Where the task runs.
    default_task_size, task_memory_max_mib
        The task's default size (``taskCpu``/``taskMemory``) and the most memory a run's task may be
        given (``taskMemoryMax``): the validate function sizes each run between them and refuses
        uploads predicted to need more.
    log_retention_days
        Retention of every log group created here.
    train_timeout_seconds
        Timeout of the ``TrainClassifier`` state.
    capacity_retry
        How ``TrainClassifier`` retries when Fargate has no capacity or ECS throttles (the stack's
        ``capacityWaitMinutes``); with the training timeout it bounds how long a run lasts.
    max_receive_count
        Receives before an upload event goes to the dead-letter queue.
    alarm_email
        Optional address subscribed to the notification topic.
    max_active_runs_per_user
        Sessions of one user waiting or training at once; the start function refuses more.
    start_max_concurrency
        Maximum concurrent start-function invocations of the upload queue's trigger.
    permissions_boundary_arn
        Permissions boundary of every role created here (the stack's), or ``None``.
    """

    storage: StorageLocations
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    task_definition_arn: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    default_task_size: TaskSize
    task_memory_max_mib: int
    log_retention_days: int = 30
    train_timeout_seconds: int = 3600
    capacity_retry: RetryPolicy = DEFAULT_CAPACITY_RETRY
    max_receive_count: int = 5
    alarm_email: str | None = None
    max_active_runs_per_user: int = 10
    start_max_concurrency: int = 5
    permissions_boundary_arn: str | None = None

    def __post_init__(self) -> None:
        # Raises ValueError when Fargate offers no such sizes.
        maximum_size(self.default_task_size, self.task_memory_max_mib)
        if self.max_active_runs_per_user < 1:
            raise ValueError("max_active_runs_per_user must be at least 1")
        if not 2 <= self.start_max_concurrency <= 1000:
            raise ValueError("start_max_concurrency must be within Lambda's 2..1000 for SQS sources")
        if self.train_timeout_seconds < 60:
            raise ValueError("train_timeout_seconds must be at least 60")
        if self.max_receive_count < 1:
            raise ValueError("max_receive_count must be at least 1")
