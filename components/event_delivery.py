"""How the pipeline's EventBridge rules deliver their events without losing one.

Each rule's target retries for at most :data:`UNDELIVERED_AFTER_SECONDS`, then EventBridge sends the
event to an encrypted dead-letter queue whose policy lets only that rule send
(:func:`components.resource_policies.queue_policy`). There it waits
:data:`DEAD_LETTER_RETENTION_SECONDS` for an operator to replay it (``docs/operations.md``), and
an alarm says it is there (:mod:`components.processing_monitoring`).

Functions that declare their resources with the caller's ``opts``.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components import resource_policies

#: SQS's longest retention: time to notice, fix the cause and replay.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600
#: How long an event is retried before it goes to its dead-letter queue. Retries only help against
#: throttling and passing service errors, which an hour outlasts (a refused delivery, such as a
#: policy or a missing target, is not retried at all); EventBridge's default of 24 hours would
#: keep a session waiting and the operators unaware for a day.
UNDELIVERED_AFTER_SECONDS = 3600
#: EventBridge's largest retry count, so that the hour above, not the count, ends the retries.
EVENTBRIDGE_MAX_RETRY_ATTEMPTS = 185


def create_dead_letter_queue(resource_name: str, *, opts: pulumi.ResourceOptions) -> aws.sqs.Queue:
    """An encrypted queue keeping what could not be delivered for :data:`DEAD_LETTER_RETENTION_SECONDS`.

    SSE-SQS, not an AWS-managed KMS key: EventBridge cannot send to a queue under aws/sqs.
    """
    return aws.sqs.Queue(
        resource_name,
        sqs_managed_sse_enabled=True,
        message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
        opts=opts,
    )


def target_with_dead_letter_queue(
    resource_name: str,
    *,
    rule: aws.cloudwatch.EventRule,
    target_arn: pulumi.Input[str],
    dead_letter_queue: aws.sqs.Queue,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.EventTarget:
    """The rule's target, retried for an hour and then kept in ``dead_letter_queue``, and the
    dead-letter queue's policy letting that rule send (``{resource_name}-dlq-policy``)."""
    allow_rule_to_send(f"{resource_name}-dlq-policy", queue=dead_letter_queue, rule=rule, opts=opts)
    return aws.cloudwatch.EventTarget(
        resource_name,
        rule=rule.name,
        arn=target_arn,
        dead_letter_config={"arn": dead_letter_queue.arn},
        retry_policy={
            "maximum_event_age_in_seconds": UNDELIVERED_AFTER_SECONDS,
            "maximum_retry_attempts": EVENTBRIDGE_MAX_RETRY_ATTEMPTS,
        },
        opts=opts,
    )


def allow_rule_to_send(
    resource_name: str, *, queue: aws.sqs.Queue, rule: aws.cloudwatch.EventRule, opts: pulumi.ResourceOptions
) -> aws.sqs.QueuePolicy:
    """The queue's policy: only ``rule`` may send to it."""
    return aws.sqs.QueuePolicy(
        resource_name,
        queue_url=queue.url,
        policy=pulumi.Output.all(queue_arn=queue.arn, rule_arn=rule.arn).apply(
            lambda arns: json.dumps(resource_policies.queue_policy(**arns))
        ),
        opts=opts,
    )
