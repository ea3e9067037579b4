"""What operators are told and shown of the processing path: the alarms publishing to the notification
topic (each dead-letter queue's depth, an event lost between a rule and its dead-letter queue or
between a function and its on-failure destination, failed executions, long trainings, each
function's errors) and the CloudWatch dashboard (body from
:func:`components.dashboard.build_dashboard_body`).

Functions that declare their resources as children of the calling component (``parent``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alarms import above_threshold_alarm
from components.dashboard import build_dashboard_body
from components.lambda_function import LambdaFunction, create_errors_alarm
from contracts import pipeline_metrics

# The training-time alarm fires when a classifier container runs for this share of the training timeout.
DURATION_ALARM_SHARE = 0.8


def pipeline_name(name: str) -> str:
    """The stack's pipeline, ``{name}-{stack}``: its dashboard's name and its metrics' dimension."""
    return f"{name}-{pulumi.get_stack()}"


@dataclass(frozen=True)
class DeadLetterQueue:
    """A dead-letter queue to alarm on: what lands in it, and its alarm's name part."""

    queue: aws.sqs.Queue
    contents: str
    alarm_part: str


def create_processing_alarms(
    name: str,
    *,
    parent: pulumi.Resource,
    topic_arn: pulumi.Output[str],
    dead_letter_queues: Sequence[DeadLetterQueue],
    event_rules: Mapping[str, aws.cloudwatch.EventRule],
    state_machine: aws.sfn.StateMachine,
    functions: Sequence[LambdaFunction],
    functions_with_failure_destination: Sequence[LambdaFunction],
    train_timeout_seconds: int,
) -> None:
    """Alarms to ``topic_arn``: a message in one of ``dead_letter_queues``, an event one of
    ``event_rules`` (by alarm name part) could send neither to its target nor to its dead-letter
    queue, a failed invocation one of ``functions_with_failure_destination`` could not send to its
    on-failure destination, a failed execution, a classifier container that ran past
    :data:`DURATION_ALARM_SHARE` of the training timeout, and any error of one of ``functions``.

    The training-time alarm watches the container's own time (``ContainerSeconds``, which
    process_results publishes for each successful run), not the execution's: that also counts the
    capacity retries, both trainings of a run retried after running out of memory, and the Lambda steps."""
    child = pulumi.ResourceOptions(parent=parent)
    alarm_target = [topic_arn]
    for dead_letter_queue in dead_letter_queues:
        above_threshold_alarm(
            f"{name}-{dead_letter_queue.alarm_part}-depth-alarm",
            description=f"{dead_letter_queue.contents} reached a dead-letter queue",
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dead_letter_queue.queue.name},
            statistic="Maximum",
            alarm_actions=alarm_target,
            opts=child,
        )
    for part, rule in event_rules.items():
        # Events the dead-letter queue kept are its depth alarm's; this counts those lost for good.
        above_threshold_alarm(
            f"{name}-{part}-lost-events-alarm",
            description=f"Events of rule {part} reached neither their target nor their dead-letter queue",
            namespace="AWS/Events",
            metric_name="InvocationsFailedToBeSentToDlq",
            dimensions={"RuleName": rule.name},
            statistic="Sum",
            alarm_actions=alarm_target,
            opts=child,
        )
    for item in functions_with_failure_destination:
        # Invocations the destination kept are its queue's depth alarm's; this counts those lost for good.
        above_threshold_alarm(
            f"{name}-{item.part}-lost-invocations-alarm",
            description=f"Failed invocations of {item.part} reached no on-failure destination",
            namespace="AWS/Lambda",
            metric_name="DestinationDeliveryFailures",
            dimensions={"FunctionName": item.function.name},
            statistic="Sum",
            alarm_actions=alarm_target,
            opts=child,
        )
    above_threshold_alarm(
        f"{name}-failed-executions-alarm",
        description="A pipeline execution failed",
        namespace="AWS/States",
        metric_name="ExecutionsFailed",
        dimensions={"StateMachineArn": state_machine.arn},
        statistic="Sum",
        alarm_actions=alarm_target,
        opts=child,
    )
    above_threshold_alarm(
        f"{name}-training-time-alarm",
        description=(
            f"A classifier container ran for more than {int(DURATION_ALARM_SHARE * 100)}% of the training timeout"
        ),
        namespace=pipeline_metrics.NAMESPACE,
        metric_name=pipeline_metrics.CONTAINER_SECONDS,
        dimensions={pipeline_metrics.PIPELINE_DIMENSION: pipeline_name(name)},
        statistic="Maximum",
        period=300,
        threshold=DURATION_ALARM_SHARE * train_timeout_seconds,
        alarm_actions=alarm_target,
        opts=child,
    )
    for item in functions:
        create_errors_alarm(
            name,
            item.part,
            parent=parent,
            function_name_output=item.function.name,
            topic_arn=topic_arn,
        )


def create_processing_dashboard(
    name: str,
    *,
    parent: pulumi.Resource,
    region: pulumi.Output[str],
    state_machine: aws.sfn.StateMachine,
    queue: aws.sqs.Queue,
    dead_letter_queue: aws.sqs.Queue,
    functions: Sequence[LambdaFunction],
    cluster_name: pulumi.Input[str],
    train_timeout_seconds: int,
) -> aws.cloudwatch.Dashboard:
    """The dashboard named :func:`pipeline_name` over the state machine, the queues, the functions, the
    classifier cluster and the pipeline's own metrics."""
    return aws.cloudwatch.Dashboard(
        f"{name}-dashboard",
        dashboard_name=pipeline_name(name),
        dashboard_body=pulumi.Output.all(
            region=region,
            state_machine_arn=state_machine.arn,
            queue_name=queue.name,
            dead_letter_queue_name=dead_letter_queue.name,
            function_names=pulumi.Output.all(*[item.function.name for item in functions]),
            cluster_name=cluster_name,
        ).apply(
            lambda values: json.dumps(
                build_dashboard_body(
                    **values, pipeline_name=pipeline_name(name), train_timeout_seconds=train_timeout_seconds
                )
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
