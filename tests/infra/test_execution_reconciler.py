"""The rule sending this state machine's executions that end without an outcome to the reconcile function."""

import json

import pytest
from resource_types import FUNCTION

from components.asl import EXECUTION_MARGIN_SECONDS

pytestmark = pytest.mark.unit

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
PERMISSION = "aws:lambda/permission:Permission"


def test_aborted_timed_out_and_failed_executions_of_this_state_machine_reach_the_reconcile_function(
    self_contained_stack,
):
    stack = self_contained_stack.resources
    rule = stack.one(RULE, "processing-execution-ended")
    target = stack.one(TARGET, "processing-execution-ended-to-reconcile")
    function = stack.one(FUNCTION, "processing-reconcile-fn")
    pattern = json.loads(rule.inputs["eventPattern"])

    assert pattern == {
        "source": ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        "detail": {
            "stateMachineArn": [self_contained_stack.exports["stateMachineArn"]],
            "status": ["ABORTED", "FAILED", "TIMED_OUT"],
        },
    }
    assert (target.inputs["rule"], target.inputs["arn"]) == (rule.outputs["name"], function.outputs["arn"])


def test_only_that_rule_may_invoke_the_reconcile_function(self_contained_stack):
    stack = self_contained_stack.resources
    permission = stack.one(PERMISSION, "processing-reconcile-invoked-by-rule")

    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["sourceArn"] == stack.one(RULE, "processing-execution-ended").outputs["arn"]
    assert permission.inputs["function"] == stack.one(FUNCTION, "processing-reconcile-fn").outputs["name"]


def test_the_deployed_execution_times_out_after_its_training_timeout_and_margins(self_contained_stack):
    stack = self_contained_stack.resources
    definition = json.loads(
        stack.one("aws:sfn/stateMachine:StateMachine", "processing-state-machine").inputs["definition"]
    )

    assert (
        definition["TimeoutSeconds"]
        > definition["States"]["TrainClassifier"]["TimeoutSeconds"] + EXECUTION_MARGIN_SECONDS
    )
