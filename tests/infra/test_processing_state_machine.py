"""ProcessingStateMachine's state machine: standard, logged and traced, built from the stack's ARNs,
sizing the training task per run, waiting for capacity as long as the stack says, and assumed by Step
Functions only."""

import json
from unittest import mock

import pulumi.runtime.mocks
import pytest
from function_checks import function_named
from pulumi_mocks import run_main_program
from resource_types import LOG_GROUP

from components.execution_budget import execution_timeout_seconds

pytestmark = pytest.mark.unit

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def state_machine(stack):
    return stack.one(STATE_MACHINE, "processing-test-state-machine")


def test_state_machine_is_standard_logged_and_traced(self_contained_stack):
    stack = self_contained_stack.resources
    machine = state_machine(stack).inputs
    log_group = stack.one(LOG_GROUP, "processing-state-machine-logs")

    assert machine["type"] == "STANDARD"
    assert machine["tracingConfiguration"] == {"enabled": True}
    assert machine["loggingConfiguration"] == {
        "level": "ALL",
        "includeExecutionData": True,
        "logDestination": f"{log_group.outputs['arn']}:*",
    }
    assert log_group.inputs["retentionInDays"] == 14


def test_a_stack_deployed_before_the_state_machines_name_held_the_stack_keeps_its_state_machine(
    build_self_contained_stack,
):
    # Pulumi would otherwise replace the state machine of such a stack (a new logical name is a new
    # resource); its alias carries the resource, and the name it was given, over to the new logical name.
    registered = []
    register = pulumi.runtime.mocks.MockMonitor.RegisterResource

    def record(monitor, request):
        registered.append(request)
        return register(monitor, request)

    with mock.patch.object(pulumi.runtime.mocks.MockMonitor, "RegisterResource", record):
        build_self_contained_stack("dev")
    (request,) = [request for request in registered if request.type == STATE_MACHINE]

    assert request.name == "processing-dev-state-machine"
    # the alias's parent is left out: the resource's own, the component
    assert [(alias.spec.name, alias.spec.parentUrn, alias.spec.noParent) for alias in request.aliases] == [
        ("processing-state-machine", "", False)
    ]


def test_state_machine_definition_is_built_from_this_stacks_arns(self_contained_stack):
    stack = self_contained_stack.resources
    definition = json.loads(state_machine(stack).inputs["definition"])
    text = json.dumps(definition)
    (cluster,) = stack.of_type("aws:ecs/cluster:Cluster")
    (task,) = stack.of_type("aws:ecs/taskDefinition:TaskDefinition")
    task_resources = {state["Resource"] for state in definition["States"].values() if state["Type"] == "Task"}

    for logical_name in (
        "processing-validate-fn",
        "processing-process-results-fn",
        "processing-record-failure-fn",
    ):
        assert function_named(stack, logical_name).outputs["arn"] in task_resources
    for arn in (cluster.outputs["arn"], task.outputs["arn"], self_contained_stack.exports["topicArn"]):
        assert arn in text
    assert self_contained_stack.exports["statusTableName"] in text
    assert all(state.get("Catch") for state in definition["States"].values() if state["Type"] == "Task")


def test_the_training_task_is_sized_per_run_and_its_container_limit_follows(self_contained_stack):
    stack = self_contained_stack.resources
    definition = json.loads(state_machine(stack).inputs["definition"])
    overrides = definition["States"]["TrainClassifier"]["Parameters"]["Overrides"]
    (task,) = stack.of_type("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    (container_override,) = overrides["ContainerOverrides"]

    # The task definition keeps the default size; each run overrides it with Validate's choice.
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("2048", "8192")
    assert {"Cpu.$", "Memory.$"} <= set(overrides)
    # The container sets a hard memory limit, so the run's override raises it too.
    assert container["memory"] == 8192
    assert container_override["Name"] == container["name"]
    assert "Memory.$" in container_override
    # The container is told the default size's CPU units; each run's environment override replaces them.
    assert {"name": "FBCSP_TASK_CPU", "value": task.inputs["cpu"]} in container["environment"]


def test_a_longer_capacity_wait_lengthens_the_retries_the_execution_and_the_run_window():
    stack = run_main_program(
        {"aws:region": "eu-west-2", "eeg-pipeline:environment": "dev", "eeg-pipeline:capacityWaitMinutes": "60"}
    ).resources
    definition = json.loads(state_machine(stack).inputs["definition"])
    (retrier,) = definition["States"]["TrainClassifier"]["Retry"]
    start = function_named(stack, "processing-start-fn").inputs["environment"]["variables"]
    presign = function_named(stack, "processing-presign-run-fn").inputs["environment"]["variables"]

    # 33 retries wait at most 15 + 30 + 60 + 30 x 120 = 3,705 s in all, the fewest reaching an hour.
    assert {key: retrier[key] for key in ("IntervalSeconds", "MaxAttempts", "MaxDelaySeconds", "JitterStrategy")} == {
        "IntervalSeconds": 15,
        "MaxAttempts": 33,
        "MaxDelaySeconds": 120,
        "JitterStrategy": "FULL",
    }
    # Each of the two trainings may wait 3,000 s longer for capacity than with the default 705 s.
    assert definition["TimeoutSeconds"] == execution_timeout_seconds(3600) + 2 * (3705 - 705)
    # A session counts as active, and its URLs last, for the longer wait, the training and 15 minutes.
    assert start["ACTIVE_RUN_WINDOW_SECONDS"] == presign["RUN_ACCESS_SECONDS"] == str(3705 + 3600 + 900)


def test_state_machine_role_is_assumable_by_step_functions(self_contained_stack):
    stack = self_contained_stack.resources
    role = stack.one("aws:iam/role:Role", "processing-state-machine-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])

    assert state_machine(stack).inputs["roleArn"] == role.outputs["arn"]
    assert [statement["Principal"] for statement in trust["Statement"]] == [
        {"Service": "states.amazonaws.com"}
    ]
