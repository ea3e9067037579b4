"""ProcessingStateMachine: upload events → queue → start function → state machine; executions that end
without an outcome → reconcile function; alarms and dashboard."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policies
from components.alarms import above_threshold_alarm
from components.asl import STEP_FUNCTION_TIMEOUT_SECONDS, AslResources, build_definition
from components.cluster import CONTAINER_NAME
from components.dashboard import build_dashboard_body
from components.lambda_function import (
    LambdaFunction,
    LambdaFunctionSpec,
    create_errors_alarm,
    create_lambda_function,
    function_environment,
)
from components.reconciler import route_ended_executions
from components.retry import CAPACITY_RETRY, retry_budget_seconds
from components.roles import create_service_role
from components.storage import StorageLocations
from contracts.environment import FunctionVariable
from contracts.keys import UPLOAD_PREFIX
from contracts.task_size import TaskSize, maximum_size

START_FUNCTION_TIMEOUT_SECONDS = 30
# AWS advises a visibility timeout of at least six times the consuming function's timeout.
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * START_FUNCTION_TIMEOUT_SECONDS
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
# The task-duration alarm fires when an execution takes this share of the training timeout.
DURATION_ALARM_SHARE = 0.8
# The start function's queue trigger; each batch item can fail on its own (ReportBatchItemFailures).
START_BATCH_SIZE = 10
START_BATCHING_WINDOW_SECONDS = 5
# A session still RECEIVED or PROCESSING after its longest possible run (capacity retries, then
# training, plus this margin for the steps around them) is stale and no longer counts as active.
ACTIVE_RUN_MARGIN_SECONDS = 15 * 60


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


class ProcessingStateMachine(pulumi.ComponentResource):
    """Upload queue + DLQ fed by EventBridge, the six pipeline functions, the state machine, the rule
    sending its executions that end without an outcome to the reconcile function, the encrypted
    notification topic, alarms and the dashboard."""

    state_machine_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ProcessingStateMachineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eegpipeline:orchestration:ProcessingStateMachine", name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account_id = aws.get_caller_identity_output(opts=invoke).account_id

        self.dead_letter_queue, self.queue = self._create_queues()
        self.event_rule = self._route_upload_events()
        self.topic_key = aws.kms.Key(
            f"{name}-topic-key",
            description="Encrypts the pipeline notification topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account_id.apply(
                lambda account: json.dumps(policies.topic_key_policy(account_id=account))
            ),
            opts=child,
        )
        self.topic = aws.sns.Topic(f"{name}-topic", kms_master_key_id=self.topic_key.arn, opts=child)
        if args.alarm_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-alarm-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )

        self.validate_function = self._function(
            "validate-fn",
            "validate",
            policies.validate_function_policy,
            {
                FunctionVariable.TASK_CPU: str(args.default_task_size.cpu),
                FunctionVariable.TASK_MEMORY_MIB: str(args.default_task_size.memory_mib),
                FunctionVariable.TASK_MEMORY_MAX_MIB: str(args.task_memory_max_mib),
            },
            upload_bucket_arn=args.storage.upload_bucket_arn,
        )
        self.presign_run_function = self._function(
            "presign-run-fn",
            "presign_run",
            policies.presign_run_function_policy,
            {
                FunctionVariable.RUN_ACCESS_SECONDS: str(
                    active_run_window_seconds(args.train_timeout_seconds)
                )
            },
            upload_bucket_arn=args.storage.upload_bucket_arn,
            results_bucket_arn=args.storage.results_bucket_arn,
        )
        self.process_results_function = self._function(
            "process-results-fn",
            "process_results",
            policies.process_results_function_policy,
            results_bucket_arn=args.storage.results_bucket_arn,
            status_table_arn=args.storage.status_table_arn,
            classifier_table_arn=args.storage.classifier_table_arn,
        )
        self.record_failure_function = self._function(
            "record-failure-fn",
            "record_failure",
            policies.record_failure_function_policy,
            results_bucket_arn=args.storage.results_bucket_arn,
            status_table_arn=args.storage.status_table_arn,
        )
        self.state_machine = self._create_state_machine(region, account_id)
        self.start_function = self._function(
            "start-fn",
            "start",
            policies.start_function_policy,
            {
                FunctionVariable.STATE_MACHINE_ARN: self.state_machine.arn,
                FunctionVariable.MAX_ACTIVE_RUNS_PER_USER: str(args.max_active_runs_per_user),
                FunctionVariable.ACTIVE_RUN_WINDOW_SECONDS: str(
                    active_run_window_seconds(args.train_timeout_seconds)
                ),
            },
            queue_arn=self.queue.arn,
            status_table_arn=args.storage.status_table_arn,
            state_machine_arn=self.state_machine.arn,
        )
        self.reconcile_function = self._function(
            "reconcile-fn",
            "reconcile",
            policies.reconcile_function_policy,
            status_table_arn=args.storage.status_table_arn,
        )
        self.execution_ended_rule = route_ended_executions(
            name, parent=self, state_machine_arn=self.state_machine.arn, function=self.reconcile_function
        )
        aws.lambda_.EventSourceMapping(
            f"{name}-start-trigger",
            event_source_arn=self.queue.arn,
            function_name=self.start_function.function.arn,
            batch_size=START_BATCH_SIZE,
            maximum_batching_window_in_seconds=START_BATCHING_WINDOW_SECONDS,
            function_response_types=["ReportBatchItemFailures"],
            # Bursts wait in the queue instead of scaling the function (and the executions) without bound.
            scaling_config={"maximum_concurrency": args.start_max_concurrency},
            opts=child,
        )
        self.functions = (
            self.start_function,
            self.validate_function,
            self.presign_run_function,
            self.process_results_function,
            self.record_failure_function,
            self.reconcile_function,
        )
        self._create_alarms()
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{name}-{pulumi.get_stack()}",
            dashboard_body=pulumi.Output.all(
                region=region,
                state_machine_arn=self.state_machine.arn,
                queue_name=self.queue.name,
                dead_letter_queue_name=self.dead_letter_queue.name,
                function_names=pulumi.Output.all(*[item.function.name for item in self.functions]),
                cluster_name=args.cluster_name,
            ).apply(
                lambda values: json.dumps(
                    build_dashboard_body(**values, train_timeout_seconds=args.train_timeout_seconds)
                )
            ),
            opts=child,
        )

        self.state_machine_arn = self.state_machine.arn
        self.queue_url = self.queue.url
        self.queue_arn = self.queue.arn
        self.dead_letter_queue_url = self.dead_letter_queue.url
        self.topic_arn = self.topic.arn
        self.dashboard_name = self.dashboard.dashboard_name
        self.register_outputs(self.outputs)

    @property
    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The component's outputs, as registered."""
        return {
            "stateMachineArn": self.state_machine_arn,
            "queueUrl": self.queue_url,
            "queueArn": self.queue_arn,
            "deadLetterQueueUrl": self.dead_letter_queue_url,
            "topicArn": self.topic_arn,
            "dashboardName": self.dashboard_name,
        }

    def _create_queues(self) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
        child = pulumi.ResourceOptions(parent=self)
        dead_letter_queue = aws.sqs.Queue(
            f"{self._name}-upload-dlq",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            opts=child,
        )
        queue = aws.sqs.Queue(
            f"{self._name}-upload-queue",
            # SSE-SQS, not an AWS-managed KMS key: EventBridge cannot send to a queue under aws/sqs.
            sqs_managed_sse_enabled=True,
            visibility_timeout_seconds=QUEUE_VISIBILITY_TIMEOUT_SECONDS,
            redrive_policy=pulumi.Output.json_dumps(
                {
                    "deadLetterTargetArn": dead_letter_queue.arn,
                    "maxReceiveCount": self._args.max_receive_count,
                }
            ),
            opts=child,
        )
        return dead_letter_queue, queue

    def _route_upload_events(self) -> aws.cloudwatch.EventRule:
        child = pulumi.ResourceOptions(parent=self)
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-upload-created",
            description="A .zip upload arrived under uploads/",
            event_pattern=pulumi.Output.json_dumps(upload_event_pattern(self._args.storage.upload_bucket_name)),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-upload-to-queue", rule=rule.name, arn=self.queue.arn, opts=child
        )
        aws.sqs.QueuePolicy(
            f"{self._name}-upload-queue-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.all(queue_arn=self.queue.arn, rule_arn=rule.arn).apply(
                lambda arns: json.dumps(policies.queue_policy(**arns))
            ),
            opts=child,
        )
        return rule

    def _function(
        self,
        part: str,
        module: str,
        policy_builder: Callable[..., dict[str, Any]],
        variables: Mapping[FunctionVariable, pulumi.Input[str]] | None = None,
        **policy_inputs: pulumi.Input[str],
    ) -> LambdaFunction:
        """One function; its environment is what it reads of the storage locations and ``variables``."""
        timeout = START_FUNCTION_TIMEOUT_SECONDS if module == "start" else STEP_FUNCTION_TIMEOUT_SECONDS
        spec = LambdaFunctionSpec(
            part=part,
            module=module,
            memory_mb=256,
            timeout_seconds=timeout,
            environment=function_environment(
                module, {**self._args.storage.function_variables(), **(variables or {})}
            ),
            policy_builder=policy_builder,
            policy_inputs=policy_inputs,
        )
        return create_lambda_function(
            self._name,
            spec,
            parent=self,
            log_retention_days=self._args.log_retention_days,
            permissions_boundary_arn=self._args.permissions_boundary_arn,
        )

    def _create_state_machine(
        self, region: pulumi.Output[str], account_id: pulumi.Output[str]
    ) -> aws.sfn.StateMachine:
        args, child = self._args, pulumi.ResourceOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-state-machine-logs",
            # Step Functions log delivery works best with the /aws/vendedlogs/ prefix (resource policy size).
            name=f"/aws/vendedlogs/states/{self._name}-{pulumi.get_stack()}",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        role, role_policy = create_service_role(
            f"{self._name}-state-machine-role",
            "states.amazonaws.com",
            pulumi.Output.all(
                region=region,
                account_id=account_id,
                function_arns=pulumi.Output.all(
                    self.validate_function.function.arn,
                    self.presign_run_function.function.arn,
                    self.process_results_function.function.arn,
                    self.record_failure_function.function.arn,
                ),
                status_table_arn=args.storage.status_table_arn,
                cluster_arn=args.cluster_arn,
                task_definition_arn=args.task_definition_arn,
                execution_role_arn=args.execution_role_arn,
                topic_arn=self.topic.arn,
                topic_key_arn=self.topic_key.arn,
            ).apply(lambda values: json.dumps(policies.state_machine_policy(**values))),
            parent=self,
            permissions_boundary_arn=args.permissions_boundary_arn,
            policy_name=f"{self._name}-state-machine-policy",
        )
        definition = pulumi.Output.all(
            validate_function_arn=self.validate_function.function.arn,
            presign_run_function_arn=self.presign_run_function.function.arn,
            process_results_function_arn=self.process_results_function.function.arn,
            record_failure_function_arn=self.record_failure_function.function.arn,
            status_table_name=args.storage.status_table_name,
            cluster_arn=args.cluster_arn,
            task_definition_arn=args.task_definition_arn,
            subnet_ids=args.subnet_ids,
            security_group_ids=args.security_group_ids,
            topic_arn=self.topic.arn,
        ).apply(
            lambda values: build_definition(
                AslResources(container_name=CONTAINER_NAME, **values),
                train_timeout_seconds=args.train_timeout_seconds,
            )
        )
        return aws.sfn.StateMachine(
            f"{self._name}-state-machine",
            type="STANDARD",
            role_arn=role.arn,
            definition=pulumi.Output.json_dumps(definition),
            logging_configuration={
                "level": "ALL",
                "include_execution_data": True,
                "log_destination": pulumi.Output.concat(log_group.arn, ":*"),
            },
            tracing_configuration={"enabled": True},
            # Step Functions checks its role's permissions when the state machine is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )

    def _create_alarms(self) -> None:
        child = pulumi.ResourceOptions(parent=self)
        alarm_target = [self.topic.arn]
        above_threshold_alarm(
            f"{self._name}-dlq-depth-alarm",
            description="Upload events reached the dead-letter queue",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": self.dead_letter_queue.name},
            statistic="Maximum",
            alarm_actions=alarm_target,
            opts=child,
        )
        state_machine_dimensions = {"StateMachineArn": self.state_machine.arn}
        above_threshold_alarm(
            f"{self._name}-failed-executions-alarm",
            description="A pipeline execution failed",
            namespace="AWS/States",
            metric_name="ExecutionsFailed",
            dimensions=state_machine_dimensions,
            statistic="Sum",
            alarm_actions=alarm_target,
            opts=child,
        )
        above_threshold_alarm(
            f"{self._name}-execution-time-alarm",
            description=(
                f"An execution took more than {int(DURATION_ALARM_SHARE * 100)}% of the training timeout"
            ),
            namespace="AWS/States",
            metric_name="ExecutionTime",
            dimensions=state_machine_dimensions,
            statistic="Maximum",
            period=300,
            threshold=DURATION_ALARM_SHARE * self._args.train_timeout_seconds * 1000,
            alarm_actions=alarm_target,
            opts=child,
        )
        for item in self.functions:
            create_errors_alarm(
                self._name,
                item.part,
                parent=self,
                function_name_output=item.function.name,
                topic_arn=self.topic.arn,
            )


def active_run_window_seconds(train_timeout_seconds: int) -> int:
    """How long a session may legitimately stay RECEIVED or PROCESSING: the capacity retries of
    ``TrainClassifier``, its timeout, and a margin for the other steps. Also how long a run's
    presigned URLs stay valid (they are signed just before ``TrainClassifier``)."""
    return retry_budget_seconds(CAPACITY_RETRY) + train_timeout_seconds + ACTIVE_RUN_MARGIN_SECONDS


def upload_event_pattern(upload_bucket_name: pulumi.Input[str]) -> dict[str, Any]:
    """EventBridge pattern: S3 ``Object Created`` in the upload bucket under ``uploads/``.

    The ``.zip`` suffix and the key layout are checked by the start function, which records a reason.
    """
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [upload_bucket_name]},
            "object": {"key": [{"prefix": UPLOAD_PREFIX}]},
        },
    }
