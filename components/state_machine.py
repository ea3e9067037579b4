"""ProcessingStateMachine: upload events → queue → start function → state machine; executions that end
without an outcome → reconcile function; alarms and dashboard.

The component declares the notification topic and the six pipeline functions itself and the rest through
:mod:`components.ingestion`, :mod:`components.workflow`, :mod:`components.reconciler` and
:mod:`components.processing_monitoring`; its inputs are :mod:`components.state_machine_args`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policies, resource_policies
from components.execution_budget import STEP_FUNCTION_TIMEOUT_SECONDS
from components.ingestion import (
    START_FUNCTION_TIMEOUT_SECONDS,
    create_upload_queues,
    route_upload_events,
    trigger_start_function,
)
from components.lambda_function import (
    LambdaFunction,
    LambdaFunctionSpec,
    create_lambda_function,
    function_environment,
)
from components.processing_monitoring import (
    DeadLetterQueue,
    create_processing_alarms,
    create_processing_dashboard,
    pipeline_name,
)
from components.reconciler import create_reconcile_dead_letter_queue, route_ended_executions
from components.retry import active_run_window_seconds
from components.state_machine_args import ProcessingStateMachineArgs
from components.workflow import StepLambdas, create_state_machine, state_machine_name_prefix
from contracts.environment import FunctionVariable


class ProcessingStateMachine(pulumi.ComponentResource):
    """Upload queue + DLQ fed by EventBridge, the six pipeline functions, the state machine, the rule
    sending the executions of the stack's state machines (this one and any a deploy replaced) that end
    without an outcome to the reconcile function, the encrypted notification topic, alarms and the
    dashboard."""

    state_machine_arn: pulumi.Output[str]
    queue_url: pulumi.Output[str]
    queue_arn: pulumi.Output[str]
    dead_letter_queue_url: pulumi.Output[str]
    reconcile_dead_letter_queue_url: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ProcessingStateMachineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eegpipeline:orchestration:ProcessingStateMachine", name, None, opts)
        self._name = name
        self._args = args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        region = aws.get_region_output(opts=invoke).region
        account_id = aws.get_caller_identity_output(opts=invoke).account_id

        self.dead_letter_queue, self.queue = create_upload_queues(
            name, parent=self, max_receive_count=args.max_receive_count
        )
        self.event_rule = route_upload_events(
            name,
            parent=self,
            upload_bucket_name=args.storage.upload_bucket_name,
            queue=self.queue,
            dead_letter_queue=self.dead_letter_queue,
        )
        self.reconcile_dead_letter_queue = create_reconcile_dead_letter_queue(name, parent=self)
        self.topic_key, self.topic = self._create_topic(account_id)
        self.step_lambdas = self._create_step_lambdas()
        self.state_machine = create_state_machine(
            name,
            parent=self,
            args=args,
            step_lambdas=self.step_lambdas,
            topic=self.topic,
            topic_key=self.topic_key,
            region=region,
            account_id=account_id,
        )
        self.start_function, self.reconcile_function = self._create_start_and_reconcile_functions()
        self.execution_ended_rule = route_ended_executions(
            name,
            parent=self,
            state_machine_arn=self.state_machine.arn,
            state_machine_name_prefix=state_machine_name_prefix(name),
            function=self.reconcile_function,
            dead_letter_queue=self.reconcile_dead_letter_queue,
        )
        trigger_start_function(
            name,
            parent=self,
            queue=self.queue,
            start_function=self.start_function,
            max_concurrency=args.start_max_concurrency,
        )
        self.functions = (
            self.start_function,
            self.step_lambdas.validate,
            self.step_lambdas.presign_run,
            self.step_lambdas.process_results,
            self.step_lambdas.record_failure,
            self.reconcile_function,
        )
        create_processing_alarms(
            name,
            parent=self,
            topic_arn=self.topic.arn,
            dead_letter_queues=(
                DeadLetterQueue(self.dead_letter_queue, "Upload events", alarm_part="dlq"),
                DeadLetterQueue(
                    self.reconcile_dead_letter_queue, "Unrecorded execution endings", alarm_part="reconcile-dlq"
                ),
            ),
            event_rules={"upload-created": self.event_rule, "execution-ended": self.execution_ended_rule},
            state_machine=self.state_machine,
            functions=self.functions,
            functions_with_failure_destination=(self.reconcile_function,),
            train_timeout_seconds=args.train_timeout_seconds,
        )
        self.dashboard = create_processing_dashboard(
            name,
            parent=self,
            region=region,
            state_machine=self.state_machine,
            queue=self.queue,
            dead_letter_queue=self.dead_letter_queue,
            functions=self.functions,
            cluster_name=args.cluster_name,
            train_timeout_seconds=args.train_timeout_seconds,
        )

        self.state_machine_arn = self.state_machine.arn
        self.queue_url = self.queue.url
        self.queue_arn = self.queue.arn
        self.dead_letter_queue_url = self.dead_letter_queue.url
        self.reconcile_dead_letter_queue_url = self.reconcile_dead_letter_queue.url
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
            "reconcileDeadLetterQueueUrl": self.reconcile_dead_letter_queue_url,
            "topicArn": self.topic_arn,
            "dashboardName": self.dashboard_name,
        }

    def _create_topic(self, account_id: pulumi.Output[str]) -> tuple[aws.kms.Key, aws.sns.Topic]:
        """The notification topic under its own rotated KMS key, e-mailed to ``alarm_email`` if set."""
        child = pulumi.ResourceOptions(parent=self)
        topic_key = aws.kms.Key(
            f"{self._name}-topic-key",
            description="Encrypts the pipeline notification topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account_id.apply(
                lambda account: json.dumps(resource_policies.topic_key_policy(account_id=account))
            ),
            opts=child,
        )
        topic = aws.sns.Topic(f"{self._name}-topic", kms_master_key_id=topic_key.arn, opts=child)
        if self._args.alarm_email is not None:
            aws.sns.TopicSubscription(
                f"{self._name}-alarm-email",
                topic=topic.arn,
                protocol="email",
                endpoint=self._args.alarm_email,
                opts=child,
            )
        return topic_key, topic

    def _create_step_lambdas(self) -> StepLambdas:
        args = self._args
        validate = self._function(
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
        presign_run = self._function(
            "presign-run-fn",
            "presign_run",
            policies.presign_run_function_policy,
            {
                FunctionVariable.RUN_ACCESS_SECONDS: str(
                    active_run_window_seconds(args.train_timeout_seconds, args.capacity_retry)
                )
            },
            upload_bucket_arn=args.storage.upload_bucket_arn,
            results_bucket_arn=args.storage.results_bucket_arn,
        )
        process_results = self._function(
            "process-results-fn",
            "process_results",
            policies.process_results_function_policy,
            {FunctionVariable.PIPELINE_NAME: pipeline_name(self._name)},
            results_bucket_arn=args.storage.results_bucket_arn,
            status_table_arn=args.storage.status_table_arn,
            classifier_table_arn=args.storage.classifier_table_arn,
        )
        record_failure = self._function(
            "record-failure-fn",
            "record_failure",
            policies.record_failure_function_policy,
            results_bucket_arn=args.storage.results_bucket_arn,
            status_table_arn=args.storage.status_table_arn,
        )
        return StepLambdas(
            validate=validate,
            presign_run=presign_run,
            process_results=process_results,
            record_failure=record_failure,
        )

    def _create_start_and_reconcile_functions(self) -> tuple[LambdaFunction, LambdaFunction]:
        """The functions around the state machine: the one starting its executions from the upload
        queue, and the one recording those that end without an outcome."""
        args = self._args
        start_function = self._function(
            "start-fn",
            "start",
            policies.start_function_policy,
            {
                FunctionVariable.STATE_MACHINE_ARN: self.state_machine.arn,
                FunctionVariable.MAX_ACTIVE_RUNS_PER_USER: str(args.max_active_runs_per_user),
                FunctionVariable.ACTIVE_RUN_WINDOW_SECONDS: str(
                    active_run_window_seconds(args.train_timeout_seconds, args.capacity_retry)
                ),
            },
            queue_arn=self.queue.arn,
            status_table_arn=args.storage.status_table_arn,
            state_machine_arn=self.state_machine.arn,
        )
        reconcile_function = self._function(
            "reconcile-fn",
            "reconcile",
            policies.reconcile_function_policy,
            status_table_arn=args.storage.status_table_arn,
            dead_letter_queue_arn=self.reconcile_dead_letter_queue.arn,
        )
        return start_function, reconcile_function

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
