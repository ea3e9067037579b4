"""ProcessingStateMachine's intake: the upload queue and its dead-letter queue, the EventBridge rule that
feeds it, and the start function that consumes it."""

import json

import pytest
from delivery_checks import event_target_problems
from function_checks import function_named
from resource_types import EVENT_TARGET, QUEUE, QUEUE_POLICY
from storage_checks import queue_problems

pytestmark = pytest.mark.unit


def test_queue_and_dead_letter_queue_are_encrypted_with_redrive_from_config(self_contained_stack):
    stack = self_contained_stack.resources
    queue = stack.one(QUEUE, "processing-upload-queue")
    dead_letter_queue = stack.one(QUEUE, "processing-upload-dlq")

    assert queue_problems(queue, dead_letter_queue, max_receive_count=5) == []
    assert dead_letter_queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


@pytest.mark.parametrize(
    ("queue_name", "change", "expected"),
    [
        ("processing-upload-queue", lambda inputs: inputs.pop("sqsManagedSseEnabled"), "not encrypted"),
        ("processing-upload-dlq", lambda inputs: inputs.update(sqsManagedSseEnabled=False), "not encrypted"),
        ("processing-upload-queue", lambda inputs: inputs.pop("redrivePolicy"), "does not redrive"),
    ],
)
def test_queue_check_reports_each_removed_property(self_contained_stack, queue_name, change, expected):
    stack = self_contained_stack.resources.mutated(QUEUE, queue_name, change)

    problems = queue_problems(
        stack.one(QUEUE, "processing-upload-queue"), stack.one(QUEUE, "processing-upload-dlq"), 5
    )

    assert problems and all(expected in problem or "maxReceiveCount" in problem for problem in problems)


def test_queue_visibility_covers_six_start_function_timeouts(self_contained_stack):
    stack = self_contained_stack.resources
    queue = stack.one(QUEUE, "processing-upload-queue")
    start = function_named(stack, "processing-start-fn")

    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * start.inputs["timeout"]


def test_upload_events_reach_the_queue_through_an_eventbridge_rule_on_the_upload_bucket(self_contained_stack):
    stack = self_contained_stack.resources
    rule = stack.one("aws:cloudwatch/eventRule:EventRule", "processing-upload-created")
    target = stack.one("aws:cloudwatch/eventTarget:EventTarget", "processing-upload-to-queue")
    queue_policy = stack.one(QUEUE_POLICY, "processing-upload-queue-policy")
    queue = stack.one(QUEUE, "processing-upload-queue")
    pattern = json.loads(rule.inputs["eventPattern"])

    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [self_contained_stack.exports["uploadBucketName"]]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "uploads/"}]
    assert (target.inputs["rule"], target.inputs["arn"]) == (rule.outputs["name"], queue.outputs["arn"])
    assert queue_policy.inputs["queueUrl"] == queue.outputs["url"]
    assert rule.outputs["arn"] in json.dumps(json.loads(queue_policy.inputs["policy"]))


def test_an_upload_event_eventbridge_cannot_deliver_waits_in_the_upload_dead_letter_queue(self_contained_stack):
    # The start function's failures land there too: one queue to replay, to the upload queue.
    stack = self_contained_stack.resources
    target = stack.one(EVENT_TARGET, "processing-upload-to-queue")

    assert event_target_problems(stack, target) == []
    assert target.inputs["deadLetterConfig"]["arn"] == stack.one(QUEUE, "processing-upload-dlq").outputs["arn"]


def test_start_function_consumes_the_queue_with_partial_batch_failures(self_contained_stack):
    stack = self_contained_stack.resources
    (mapping,) = stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")

    assert mapping.inputs["eventSourceArn"] == stack.one(QUEUE, "processing-upload-queue").outputs["arn"]
    assert mapping.inputs["functionName"] == function_named(stack, "processing-start-fn").outputs["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]


def test_bursts_wait_in_the_queue_behind_the_configured_start_concurrency(
    self_contained_stack, external_stack
):
    mappings = [
        stack.resources.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")[0]
        for stack in (self_contained_stack, external_stack)
    ]

    assert [mapping.inputs["scalingConfig"] for mapping in mappings] == [
        {"maximumConcurrency": 5},
        {"maximumConcurrency": 8},
    ]
