"""The ingestion path of the processing component: S3 ``Object Created`` events under ``uploads/`` →
EventBridge rule → encrypted upload queue (with its dead-letter queue) → the start function's trigger.
An upload event EventBridge cannot deliver to the queue lands in the same dead-letter queue
(:mod:`components.event_delivery`), so both are replayed the same way.

Functions that declare their resources as children of the calling component (``parent``), plus the
pure :func:`upload_event_pattern`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.event_delivery import allow_rule_to_send, create_dead_letter_queue, target_with_dead_letter_queue
from components.lambda_function import LambdaFunction
from contracts.keys import UPLOAD_PREFIX

START_FUNCTION_TIMEOUT_SECONDS = 30
# AWS advises a visibility timeout of at least six times the consuming function's timeout.
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * START_FUNCTION_TIMEOUT_SECONDS
# The start function's queue trigger; each batch item can fail on its own (ReportBatchItemFailures).
START_BATCH_SIZE = 10
START_BATCHING_WINDOW_SECONDS = 5


def create_upload_queues(
    name: str, *, parent: pulumi.Resource, max_receive_count: int
) -> tuple[aws.sqs.Queue, aws.sqs.Queue]:
    """The dead-letter queue and the upload queue redriving to it after ``max_receive_count`` receives."""
    child = pulumi.ResourceOptions(parent=parent)
    dead_letter_queue = create_dead_letter_queue(f"{name}-upload-dlq", opts=child)
    queue = aws.sqs.Queue(
        f"{name}-upload-queue",
        # SSE-SQS, not an AWS-managed KMS key: EventBridge cannot send to a queue under aws/sqs.
        sqs_managed_sse_enabled=True,
        visibility_timeout_seconds=QUEUE_VISIBILITY_TIMEOUT_SECONDS,
        redrive_policy=pulumi.Output.json_dumps(
            {
                "deadLetterTargetArn": dead_letter_queue.arn,
                "maxReceiveCount": max_receive_count,
            }
        ),
        opts=child,
    )
    return dead_letter_queue, queue


def route_upload_events(
    name: str,
    *,
    parent: pulumi.Resource,
    upload_bucket_name: pulumi.Input[str],
    queue: aws.sqs.Queue,
    dead_letter_queue: aws.sqs.Queue,
) -> aws.cloudwatch.EventRule:
    """The rule matching uploads, its target (the queue, else ``dead_letter_queue``) and the queue
    policies letting that rule send."""
    child = pulumi.ResourceOptions(parent=parent)
    rule = aws.cloudwatch.EventRule(
        f"{name}-upload-created",
        description="A .zip upload arrived under uploads/",
        event_pattern=pulumi.Output.json_dumps(upload_event_pattern(upload_bucket_name)),
        opts=child,
    )
    target_with_dead_letter_queue(
        f"{name}-upload-to-queue", rule=rule, target_arn=queue.arn, dead_letter_queue=dead_letter_queue, opts=child
    )
    allow_rule_to_send(f"{name}-upload-queue-policy", queue=queue, rule=rule, opts=child)
    return rule


def trigger_start_function(
    name: str,
    *,
    parent: pulumi.Resource,
    queue: aws.sqs.Queue,
    start_function: LambdaFunction,
    max_concurrency: int,
) -> aws.lambda_.EventSourceMapping:
    """The start function's trigger on the upload queue: batches, item failures, bounded concurrency."""
    return aws.lambda_.EventSourceMapping(
        f"{name}-start-trigger",
        event_source_arn=queue.arn,
        function_name=start_function.function.arn,
        batch_size=START_BATCH_SIZE,
        maximum_batching_window_in_seconds=START_BATCHING_WINDOW_SECONDS,
        function_response_types=["ReportBatchItemFailures"],
        # Bursts wait in the queue instead of scaling the function (and the executions) without bound.
        scaling_config={"maximum_concurrency": max_concurrency},
        opts=pulumi.ResourceOptions(parent=parent),
    )


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
