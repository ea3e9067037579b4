"""Checks that no event of the pipeline's EventBridge rules is lost without a trace: each target keeps
what it cannot deliver, after bounded retries, in an encrypted queue only its rule may send to.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import json

from access_checks import as_list
from resource_types import EVENT_RULE, QUEUE, QUEUE_POLICY
from stack_resources import RecordedResource, StackResources

#: What each target's retry policy must be (``components.event_delivery``): an hour, not a day.
RETRY_POLICY = {"maximumEventAgeInSeconds": 3600, "maximumRetryAttempts": 185}


def event_target_problems(stack: StackResources, target: RecordedResource) -> list[str]:
    """The target retries per :data:`RETRY_POLICY`, then sends to an encrypted queue whose policy
    lets the target's rule, and nothing else, send."""
    problems = []
    if target.inputs.get("retryPolicy") != RETRY_POLICY:
        problems.append(f"{target.name} retries per {target.inputs.get('retryPolicy')}")
    queue = _queue_with_arn(stack, (target.inputs.get("deadLetterConfig") or {}).get("arn"))
    if queue is None:
        return [*problems, f"{target.name} keeps undelivered events in no queue of this stack"]
    if not (queue.inputs.get("sqsManagedSseEnabled") or queue.inputs.get("kmsMasterKeyId")):
        problems.append(f"{queue.name} is not encrypted")
    (rule,) = [rule for rule in stack.of_type(EVENT_RULE) if rule.outputs["name"] == target.inputs["rule"]]
    if _senders(stack, queue) != [rule.outputs["arn"]]:
        problems.append(f"{queue.name} may be sent to by {_senders(stack, queue)}, not by {rule.name} alone")
    return problems


def _queue_with_arn(stack: StackResources, arn: str | None) -> RecordedResource | None:
    return next((queue for queue in stack.of_type(QUEUE) if queue.outputs["arn"] == arn), None)


def _senders(stack: StackResources, queue: RecordedResource) -> list[str]:
    """The rule ARNs the queue's policies let EventBridge send for; ``"anyone"`` for a statement
    that is not so limited."""
    senders = []
    for policy in stack.attached_to(QUEUE_POLICY, "queueUrl", queue.outputs["url"]):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            source = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")
            limited = (
                statement.get("Principal") == {"Service": "events.amazonaws.com"}
                and as_list(statement.get("Action")) == ["sqs:SendMessage"]
                and statement.get("Resource") == queue.outputs["arn"]
                and isinstance(source, str)
            )
            senders.append(source if limited else "anyone")
    return senders
