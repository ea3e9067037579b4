"""Checks of what operators rely on: default tags on every resource, alarms on the pipeline.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from resource_types import ALARM, EVENT_RULE, EVENT_TARGET, FUNCTION, INVOKE_CONFIG, PROVIDER, QUEUE
from stack_resources import StackResources

from contracts import pipeline_metrics


def tagging_problems(stack: StackResources, expected_tags: Mapping[str, str]) -> list[str]:
    """Every AWS resource is created through a provider whose default tags include ``expected_tags``."""
    tagged_providers = set()
    for provider in stack.of_type(PROVIDER):
        tags = json.loads(provider.inputs.get("defaultTags") or "{}").get("tags", {})
        if all(tags.get(key) == value for key, value in expected_tags.items()):
            # A provider reference is "<provider urn>::<provider id>";
            # the urn ends "...$pulumi:providers:aws::<name>".
            tagged_providers.add(f"{PROVIDER}::{provider.name}::{provider.resource_id}")
    return [
        f"{item.type_token} {item.name} is not created through the tagged provider"
        for item in stack.resources
        if item.type_token.startswith("aws:")
        and not any(item.provider.endswith(f"${reference}") for reference in tagged_providers)
    ]


def alarm_problems(stack: StackResources, topic_arn: str) -> list[str]:
    """Alarms on failed executions, the classifier container's time, each function's errors and what
    :func:`dead_letter_alarm_problems` asks for, all to the topic."""
    alarms = stack.of_type(ALARM)
    problems = [
        f"{alarm.name} notifies {alarm.inputs.get('alarmActions')}"
        for alarm in alarms
        if alarm.inputs.get("alarmActions") != [topic_arn]
    ]
    metrics = [(alarm.inputs.get("namespace"), alarm.inputs.get("metricName")) for alarm in alarms]
    for metric in (
        ("AWS/States", "ExecutionsFailed"),
        (pipeline_metrics.NAMESPACE, pipeline_metrics.CONTAINER_SECONDS),
    ):
        if metric not in metrics:
            problems.append(f"no alarm on {metric}")
    watched = {
        alarm.inputs.get("dimensions", {}).get("FunctionName")
        for alarm in alarms
        if alarm.inputs.get("metricName") == "Errors"
    }
    for function in stack.of_type(FUNCTION):
        if function.inputs["name"] not in watched:
            problems.append(f"no Errors alarm on {function.inputs['name']}")
    return problems + dead_letter_alarm_problems(stack)


def dead_letter_alarm_problems(stack: StackResources) -> list[str]:
    """Each queue that keeps failures (a redrive target, an EventBridge target's dead-letter queue, a
    Lambda on-failure destination) has a depth alarm, each rule an alarm on the events it could not
    even send to its dead-letter queue, and each function with an on-failure destination an alarm on
    the failed invocations it could not send there."""
    kept_in = {
        json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"]
        for queue in stack.of_type(QUEUE)
        if queue.inputs.get("redrivePolicy")
    }
    kept_in |= {(target.inputs.get("deadLetterConfig") or {}).get("arn") for target in stack.of_type(EVENT_TARGET)}
    kept_in |= {
        config.inputs["destinationConfig"]["onFailure"]["destination"] for config in stack.of_type(INVOKE_CONFIG)
    }
    alarmed = {
        (alarm.inputs.get("namespace"), alarm.inputs.get("metricName"), value)
        for alarm in stack.of_type(ALARM)
        for value in alarm.inputs.get("dimensions", {}).values()
    }
    problems = [
        f"no depth alarm on {queue.name}"
        for queue in stack.of_type(QUEUE)
        if queue.outputs["arn"] in kept_in
        and ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue.outputs["name"]) not in alarmed
    ]
    problems += [
        f"no alarm on events of {rule.name} lost on the way to its dead-letter queue"
        for rule in stack.of_type(EVENT_RULE)
        if ("AWS/Events", "InvocationsFailedToBeSentToDlq", rule.outputs["name"]) not in alarmed
    ]
    problems += [
        f"no alarm on failed invocations of {config.inputs['functionName']} lost on the way to their destination"
        for config in stack.of_type(INVOKE_CONFIG)
        if ("AWS/Lambda", "DestinationDeliveryFailures", config.inputs["functionName"]) not in alarmed
    ]
    return problems
