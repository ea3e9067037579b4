"""Routes the processing executions that end without an outcome to the reconcile function.

Step Functions emits ``Execution Status Change`` events to the default EventBridge bus; one rule
matches the ``ABORTED``, ``TIMED_OUT`` and ``FAILED`` endings of the stack's state machines, the
current one and any a deploy replaced, whose executions end when it is deleted
(:func:`contracts.execution_events.status_change_pattern`), and invokes the function, which may be
invoked by that rule only.

An ending the function did not record is kept in one dead-letter queue, whichever way it was
lost: EventBridge sends it there when it cannot invoke the function
(:func:`components.event_delivery.target_with_dead_letter_queue`), and Lambda, which runs the
function asynchronously, when the function still fails after :data:`RECONCILE_MAX_RETRY_ATTEMPTS`
retries or the event waited longer than ``UNDELIVERED_AFTER_SECONDS`` (the function's on-failure
destination). Either message holds the event, which names the execution; replaying it is
invoking the function with that event.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.event_delivery import UNDELIVERED_AFTER_SECONDS, create_dead_letter_queue, target_with_dead_letter_queue
from components.lambda_function import LambdaFunction
from contracts.execution_events import status_change_pattern

#: Lambda's retries of a failed reconcile invocation (its default and largest): the conditional write
#: makes a repeated one harmless.
RECONCILE_MAX_RETRY_ATTEMPTS = 2


def create_reconcile_dead_letter_queue(name: str, *, parent: pulumi.Resource) -> aws.sqs.Queue:
    """The queue keeping the endings the reconcile function did not record (the function's role
    must be allowed to send to it: Lambda sends as the function)."""
    return create_dead_letter_queue(f"{name}-reconcile-dlq", opts=pulumi.ResourceOptions(parent=parent))


def route_ended_executions(
    name: str,
    *,
    parent: pulumi.Resource,
    state_machine_arn: pulumi.Output[str],
    state_machine_name_prefix: str,
    function: LambdaFunction,
    dead_letter_queue: aws.sqs.Queue,
) -> aws.cloudwatch.EventRule:
    """The rule, its target, the function's resource policy for it and where both keep what they
    could not deliver or process (``dead_letter_queue``); returns the rule. The rule matches the
    current state machine and those named with ``state_machine_name_prefix``."""
    child = pulumi.ResourceOptions(parent=parent)
    rule = aws.cloudwatch.EventRule(
        f"{name}-execution-ended",
        description="A processing execution was stopped, timed out or failed",
        event_pattern=state_machine_arn.apply(
            lambda arn: json.dumps(status_change_pattern(arn, name_prefix=state_machine_name_prefix))
        ),
        opts=child,
    )
    target_with_dead_letter_queue(
        f"{name}-execution-ended-to-reconcile",
        rule=rule,
        target_arn=function.function.arn,
        dead_letter_queue=dead_letter_queue,
        opts=child,
    )
    aws.lambda_.Permission(
        f"{name}-reconcile-invoked-by-rule",
        action="lambda:InvokeFunction",
        function=function.function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=child,
    )
    aws.lambda_.FunctionEventInvokeConfig(
        f"{name}-reconcile-invoke-config",
        function_name=function.function.name,
        maximum_retry_attempts=RECONCILE_MAX_RETRY_ATTEMPTS,
        maximum_event_age_in_seconds=UNDELIVERED_AFTER_SECONDS,
        destination_config={"on_failure": {"destination": dead_letter_queue.arn}},
        opts=child,
    )
    return rule
