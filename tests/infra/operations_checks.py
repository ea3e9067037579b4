"""Checks of what operators rely on: default tags on every resource, alarms on the pipeline.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from resource_types import ALARM, FUNCTION, PROVIDER
from stack_resources import StackResources


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
    """Alarms on DLQ depth, failed executions, execution time and each function's errors, all to the topic."""
    alarms = stack.of_type(ALARM)
    problems = [
        f"{alarm.name} notifies {alarm.inputs.get('alarmActions')}"
        for alarm in alarms
        if alarm.inputs.get("alarmActions") != [topic_arn]
    ]
    metrics = [(alarm.inputs.get("namespace"), alarm.inputs.get("metricName")) for alarm in alarms]
    for metric in (
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionTime"),
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
    return problems
