"""The rule sending the executions of the stack's state machines (the current one and those a deploy
replaced) that end without an outcome to the reconcile function."""

import json

import pytest
from delivery_checks import event_target_problems
from moto.events.models import EventPattern
from resource_types import EVENT_RULE, EVENT_TARGET, FUNCTION, INVOKE_CONFIG, QUEUE, QUEUE_POLICY, ROLE_POLICY

from components.execution_budget import EXECUTION_MARGIN_SECONDS

pytestmark = pytest.mark.unit

PERMISSION = "aws:lambda/permission:Permission"
RECONCILE_TARGET = (EVENT_TARGET, "processing-execution-ended-to-reconcile")
STATUSES = ["ABORTED", "FAILED", "TIMED_OUT"]


def test_aborted_timed_out_and_failed_executions_of_the_stacks_state_machines_reach_the_reconcile_function(
    self_contained_stack,
):
    stack = self_contained_stack.resources
    rule = stack.one(EVENT_RULE, "processing-execution-ended")
    target = stack.one(*RECONCILE_TARGET)
    function = stack.one(FUNCTION, "processing-reconcile-fn")
    pattern = json.loads(rule.inputs["eventPattern"])
    current = self_contained_stack.exports["stateMachineArn"]
    # the logical name, with the mocks' stack (test) in it, and the '-' before Pulumi's random suffix
    prefix = "arn:aws:states:eu-west-2:123456789012:stateMachine:processing-test-state-machine-"

    assert pattern == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {"stateMachineArn": [current, {"prefix": prefix}], "status": STATUSES},
    }
    # a replacement is named as the current machine is: the logical name and another suffix
    assert current.startswith(prefix) and len(current) == len(prefix) + 7
    assert (target.inputs["rule"], target.inputs["arn"]) == (rule.outputs["name"], function.outputs["arn"])


def _ending_of(state_machine_arn: str, status: str = "ABORTED") -> dict:
    return {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {"stateMachineArn": state_machine_arn, "status": status},
    }


@pytest.fixture(scope="module")
def stacks_sharing_an_account(build_self_contained_stack):
    """The rule's pattern and the state machine's ARN of two stacks deployed in one account and region,
    one named like the other and more."""
    built = {name: build_self_contained_stack(name) for name in ("dev", "dev-2")}
    return {
        name: (
            EventPattern.load(stack.resources.one(EVENT_RULE, "processing-execution-ended").inputs["eventPattern"]),
            stack.exports["stateMachineArn"],
        )
        for name, stack in built.items()
    }


@pytest.mark.parametrize("status", STATUSES)
def test_the_endings_of_a_state_machine_a_deploy_replaced_reach_the_reconcile_function(
    stacks_sharing_an_account, status
):
    pattern, current = stacks_sharing_an_account["dev"]
    replaced = f"{current[:-7]}5e6f7a8"  # the same logical name, another random suffix

    assert pattern.matches_event(_ending_of(current, status))
    assert pattern.matches_event(_ending_of(replaced, status))


def test_another_stacks_state_machines_in_the_same_account_do_not(stacks_sharing_an_account):
    for name, other in (("dev", "dev-2"), ("dev-2", "dev")):
        pattern, _ = stacks_sharing_an_account[name]
        _, others_machine = stacks_sharing_an_account[other]

        assert not pattern.matches_event(_ending_of(others_machine)), (name, others_machine)
        assert not pattern.matches_event(_ending_of(f"{others_machine[:-7]}5e6f7a8")), (name, others_machine)


def test_only_that_rule_may_invoke_the_reconcile_function(self_contained_stack):
    stack = self_contained_stack.resources
    permission = stack.one(PERMISSION, "processing-reconcile-invoked-by-rule")

    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["sourceArn"] == stack.one(EVENT_RULE, "processing-execution-ended").outputs["arn"]
    assert permission.inputs["function"] == stack.one(FUNCTION, "processing-reconcile-fn").outputs["name"]


def test_an_ending_eventbridge_cannot_deliver_waits_in_the_reconcile_dead_letter_queue(self_contained_stack):
    stack = self_contained_stack.resources
    target = stack.one(*RECONCILE_TARGET)

    assert event_target_problems(stack, target) == []
    assert target.inputs["deadLetterConfig"]["arn"] == stack.one(QUEUE, "processing-reconcile-dlq").outputs["arn"]


def test_an_ending_the_function_fails_on_after_its_retries_waits_in_the_same_queue(self_contained_stack):
    stack = self_contained_stack.resources
    (config,) = stack.of_type(INVOKE_CONFIG)
    dead_letter_queue = stack.one(QUEUE, "processing-reconcile-dlq")
    role_policy = json.loads(stack.one(ROLE_POLICY, "processing-reconcile-fn-policy").inputs["policy"])

    assert config.inputs["functionName"] == stack.one(FUNCTION, "processing-reconcile-fn").outputs["name"]
    assert config.inputs["destinationConfig"] == {"onFailure": {"destination": dead_letter_queue.outputs["arn"]}}
    assert (config.inputs["maximumRetryAttempts"], config.inputs["maximumEventAgeInSeconds"]) == (2, 3600)
    # Lambda sends to the destination with the function's role.
    assert {
        "Sid": "KeepUnrecordedEndings",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": dead_letter_queue.outputs["arn"],
    } in role_policy["Statement"]


def _send_rule(inputs, rule_arn):
    policy = json.loads(inputs["policy"])
    policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"] = rule_arn
    inputs["policy"] = json.dumps(policy)


@pytest.mark.parametrize(
    ("resource", "change", "expected"),
    [
        (RECONCILE_TARGET, lambda inputs: inputs.pop("deadLetterConfig"), "no queue"),
        (RECONCILE_TARGET, lambda inputs: inputs.pop("retryPolicy"), "retries per None"),
        (
            RECONCILE_TARGET,
            lambda inputs: inputs["retryPolicy"].update(maximumEventAgeInSeconds=86400),
            "retries per",
        ),
        ((QUEUE, "processing-reconcile-dlq"), lambda inputs: inputs.pop("sqsManagedSseEnabled"), "not encrypted"),
        (
            (QUEUE_POLICY, "processing-execution-ended-to-reconcile-dlq-policy"),
            lambda inputs: _send_rule(inputs, "arn:aws:events:eu-west-2:123456789012:rule/another"),
            "not by processing-execution-ended alone",
        ),
        (
            (QUEUE_POLICY, "processing-execution-ended-to-reconcile-dlq-policy"),
            lambda inputs: _send_rule(inputs, None),
            "not by processing-execution-ended alone",
        ),
    ],
)
def test_target_check_reports_each_removed_property(self_contained_stack, resource, change, expected):
    stack = self_contained_stack.resources.mutated(*resource, change)

    problems = event_target_problems(stack, stack.one(*RECONCILE_TARGET))

    assert len(problems) == 1 and expected in problems[0]


def test_the_deployed_execution_times_out_after_its_training_timeout_and_margins(self_contained_stack):
    stack = self_contained_stack.resources
    definition = json.loads(
        stack.one("aws:sfn/stateMachine:StateMachine", "processing-test-state-machine").inputs["definition"]
    )

    assert (
        definition["TimeoutSeconds"]
        > definition["States"]["TrainClassifier"]["TimeoutSeconds"] + EXECUTION_MARGIN_SECONDS
    )
