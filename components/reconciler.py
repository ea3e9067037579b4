"""Routes the processing executions that end without an outcome to the reconcile function.

Step Functions emits ``Execution Status Change`` events to the default EventBridge bus; one rule
matches the ``ABORTED``, ``TIMED_OUT`` and ``FAILED`` endings of this state machine
(:func:`contracts.execution_events.status_change_pattern`) and invokes the function, which may be
invoked by that rule only.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.lambda_function import LambdaFunction
from contracts.execution_events import status_change_pattern


def route_ended_executions(
    name: str, *, parent: pulumi.Resource, state_machine_arn: pulumi.Output[str], function: LambdaFunction
) -> aws.cloudwatch.EventRule:
    """The rule, its target and the function's resource policy for it; returns the rule."""
    child = pulumi.ResourceOptions(parent=parent)
    rule = aws.cloudwatch.EventRule(
        f"{name}-execution-ended",
        description="A processing execution was stopped, timed out or failed",
        event_pattern=state_machine_arn.apply(lambda arn: json.dumps(status_change_pattern(arn))),
        opts=child,
    )
    aws.cloudwatch.EventTarget(
        f"{name}-execution-ended-to-reconcile", rule=rule.name, arn=function.function.arn, opts=child
    )
    aws.lambda_.Permission(
        f"{name}-reconcile-invoked-by-rule",
        action="lambda:InvokeFunction",
        function=function.function.name,
        principal="events.amazonaws.com",
        source_arn=rule.arn,
        opts=child,
    )
    return rule
