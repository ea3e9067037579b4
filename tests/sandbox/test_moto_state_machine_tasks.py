"""The moto adjustments that let state machine tasks run, checked against a real moto server: Lambda tasks run
the dispatched handler, ``ecs:runTask.sync`` tasks run the container with their overrides and fail like AWS,
and a stopped execution stops the task it waits for, as AWS does.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto_probes import SIGTERM_EXIT_CODE, UNTIL_STOPPED
from sandbox_support import execution_end

from contracts.task_size import TaskSize

pytestmark = pytest.mark.moto


TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _machine(sfn, definition):
    return sfn.create_state_machine(
        name=f"probe-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]


def _run(sfn, definition, execution_input):
    machine = _machine(sfn, definition)
    execution = sfn.start_execution(stateMachineArn=machine, name="run-1", input=json.dumps(execution_input))
    return execution_end(sfn, execution["executionArn"])


def _wait_until(condition, failure: str, timeout_seconds: float = 10) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.02)


def _lambda_machine(function_arn):
    return {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": function_arn,
                "ResultPath": "$.result",
                "Catch": [{"ErrorEquals": ["ProbeError"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def test_lambda_tasks_run_the_dispatched_handler_and_surface_its_exceptions(emulator):
    session, _ = emulator
    role_arn = session.client("iam").create_role(RoleName="probe", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    function_arn = session.client("lambda").create_function(
        FunctionName="probe",
        Runtime="python3.12",
        Role=role_arn,
        Handler="probe.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )["FunctionArn"]
    sfn = session.client("stepfunctions")

    succeeded = _run(sfn, _lambda_machine(function_arn), {"fail": False})
    assert succeeded["status"] == "SUCCEEDED"
    assert json.loads(succeeded["output"])["result"] == {"handledBy": "probe", "received": {"fail": False}}

    caught = json.loads(_run(sfn, _lambda_machine(function_arn), {"fail": True})["output"])
    assert caught["error"]["Error"] == "ProbeError"
    assert json.loads(caught["error"]["Cause"])["errorMessage"] == "probe was asked to fail"


def _ecs_machine(cluster_arn, task_definition_arn, subnet_id, group_id):
    return {
        "StartAt": "Train",
        "States": {
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::ecs:runTask.sync",
                "Parameters": {
                    "Cluster": cluster_arn,
                    "TaskDefinition": task_definition_arn,
                    "LaunchType": "FARGATE",
                    "NetworkConfiguration": {
                        "AwsvpcConfiguration": {
                            "Subnets": [subnet_id],
                            "SecurityGroups": [group_id],
                            "AssignPublicIp": "DISABLED",
                        }
                    },
                    "Overrides": {
                        "ContainerOverrides": [
                            {"Name": "classifier", "Environment": [{"Name": "EXIT_WITH", "Value.$": "$.exit"}]}
                        ]
                    },
                },
                "ResultPath": "$.task",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                "End": True,
            },
            "Failed": {"Type": "Pass", "End": True},
        },
    }


@pytest.fixture
def ecs_machine(emulator):
    session, launcher = emulator
    ec2 = session.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group_id = ec2.create_security_group(GroupName="task", Description="task", VpcId=vpc_id)["GroupId"]
    ecs = session.client("ecs")
    cluster_arn = ecs.create_cluster(clusterName="probe")["cluster"]["clusterArn"]
    task_definition_arn = ecs.register_task_definition(
        family="probe",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "classifier",
                "image": "probe:latest",
                "memory": 512,
                "essential": True,
                "environment": [{"name": "FROM_DEFINITION", "value": "yes"}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    definition = _ecs_machine(cluster_arn, task_definition_arn, subnet_id, group_id)
    return session.client("stepfunctions"), definition, launcher


def _describe(task):
    session = boto3.session.Session(region_name="eu-west-2")
    return session.client("ecs").describe_tasks(cluster=task.cluster_arn, tasks=[task.task_arn])["tasks"][0]


def test_ecs_sync_task_runs_the_container_with_overrides_and_waits_for_it(ecs_machine):
    sfn, definition, launcher = ecs_machine
    execution = _run(sfn, definition, {"exit": "0"})
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert "error" not in output
    assert output["task"]["LastStatus"] == "STOPPED"
    assert output["task"]["Containers"][0]["ExitCode"] == 0
    assert launcher.started == [{"FROM_DEFINITION": "yes", "EXIT_WITH": "0"}]
    # without size overrides the task has the task definition's size and its container's limit
    assert launcher.limits == [(TaskSize(256, 512), 512)]


@pytest.mark.parametrize(
    ("container_override", "container_memory"),
    # the container definition's own 512 MiB limit binds unless the run overrides it too
    [(True, 2048), (False, 512)],
)
def test_ecs_sync_task_gets_the_size_the_run_overrides_for_the_task_and_its_container(
    ecs_machine, container_override, container_memory
):
    sfn, definition, launcher = ecs_machine
    overrides = definition["States"]["Train"]["Parameters"]["Overrides"]
    overrides["Cpu.$"] = "States.Format('{}', $.size.cpu)"
    overrides["Memory.$"] = "States.Format('{}', $.size.memoryMiB)"
    if container_override:
        overrides["ContainerOverrides"][0]["Memory.$"] = "$.size.memoryMiB"

    execution = _run(sfn, definition, {"exit": "0", "size": TaskSize(512, 2048).to_dict()})

    assert execution["status"] == "SUCCEEDED"
    assert "error" not in json.loads(execution["output"])
    assert launcher.limits == [(TaskSize(512, 2048), container_memory)]


def test_ecs_sync_task_with_a_nonzero_exit_fails_the_state_like_aws(ecs_machine):
    sfn, definition, _ = ecs_machine
    output = json.loads(_run(sfn, definition, {"exit": "2"})["output"])
    assert output["error"]["Error"] == "States.TaskFailed"
    cause = json.loads(output["error"]["Cause"])
    assert cause["Containers"][0]["ExitCode"] == 2
    assert cause["StoppedReason"] == "Essential container in task exited"



def _start_until_stopped(sfn, machine, name, launcher):
    """An execution whose task runs until it is stopped, once its container has started."""
    started = len(launcher.tasks)
    execution_arn = sfn.start_execution(
        stateMachineArn=machine, name=name, input=json.dumps({"exit": UNTIL_STOPPED})
    )["executionArn"]
    _wait_until(lambda: len(launcher.tasks) > started, f"{name}'s task never started")
    return execution_arn, launcher.tasks[started]


def test_a_stopped_execution_stops_the_task_it_waits_for_and_no_other(ecs_machine):
    sfn, definition, launcher = ecs_machine
    machine = _machine(sfn, definition)
    # GIVEN two executions, each waiting for its running task
    stopped_execution, stopped_task = _start_until_stopped(sfn, machine, "run-stopped", launcher)
    other_execution, other_task = _start_until_stopped(sfn, machine, "run-other", launcher)
    # WHEN one of them is stopped
    sfn.stop_execution(executionArn=stopped_execution)
    # THEN Step Functions stops its task (StopTask, no reason of its own), which ECS then describes as
    # stopped by request; the other task runs on
    _wait_until(lambda: launcher.stopped, "the stopped execution's task was not stopped")
    assert launcher.stopped == [(stopped_task.id, None)]
    _wait_until(lambda: stopped_task.last_status == "STOPPED", "the stopped task was never marked stopped")
    described = _describe(stopped_task)
    assert (described["stopCode"], described["stoppedReason"]) == ("UserInitiated", "Task stopped by user")
    assert execution_end(sfn, stopped_execution)["status"] == "ABORTED"
    assert _describe(other_task)["lastStatus"] == "RUNNING"
    sfn.stop_execution(executionArn=other_execution)
    _wait_until(lambda: len(launcher.stopped) == 2, "the other execution's stop did not stop its task")


def test_a_task_stopped_through_stop_task_ends_when_its_container_has_and_fails_the_state(ecs_machine):
    sfn, definition, launcher = ecs_machine
    machine = _machine(sfn, definition)
    execution_arn, task = _start_until_stopped(sfn, machine, "run-1", launcher)
    ecs = boto3.session.Session(region_name="eu-west-2").client("ecs")

    answer = ecs.stop_task(cluster=task.cluster_arn, task=task.task_arn, reason="operator: wrong upload")["task"]

    # the container is asked to stop; the task is STOPPED once it has ended, with its exit code
    assert (answer["desiredStatus"], answer["lastStatus"]) == ("STOPPED", "RUNNING")
    assert launcher.stopped == [(task.id, "operator: wrong upload")]
    output = json.loads(execution_end(sfn, execution_arn)["output"])
    assert output["error"]["Error"] == "States.TaskFailed"
    cause = json.loads(output["error"]["Cause"])
    assert (cause["StopCode"], cause["StoppedReason"]) == ("UserInitiated", "operator: wrong upload")
    assert cause["Containers"][0]["ExitCode"] == SIGTERM_EXIT_CODE
