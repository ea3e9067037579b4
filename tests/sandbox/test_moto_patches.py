"""The moto adjustments the sandbox relies on, checked against a real moto server.

If a moto upgrade changes the internals these adjustments reach into, these tests fail first.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time

import boto3
import pytest
from moto.core.config import default_user_config
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from sandbox_support import execution_end

from contracts.task_size import TaskSize
from sandbox import moto_patches
from sandbox.emulator import free_port, start_server
from sandbox.moto_patches.ecs_tasks import StoppedTasks
from sandbox.task_overrides import container_memory_mib, task_environment, task_size

pytestmark = pytest.mark.moto


TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


class ProbeError(Exception):
    """Raised by the probe handler; its class name must become the state's error name."""


def probe_dispatch(function, event):
    if event.get("fail"):
        raise ProbeError(f"{function.name} was asked to fail")
    return {"handledBy": function.name, "received": event}


def probe_credentials(role_arn):
    """Any keys do while IAM is not enforced."""
    return ("probe-key", f"secret-of-{role_arn}", None)


def adjusted(launcher, denials=None):
    return moto_patches.adjusted_moto(
        probe_dispatch, launcher, probe_credentials, (denials if denials is not None else []).append
    )


class ExitCodeLauncher:
    """Stands in for the container: exits with the code the run's overrides ask for."""

    def __init__(self):
        self.started = []
        self.limits = []

    def start(self, task, overrides):
        environment = task_environment(task, overrides)
        self.started.append(environment)
        self.limits.append((task_size(task, overrides), container_memory_mib(task, overrides)))
        code = int(environment["EXIT_WITH"])
        threading.Timer(0.2, moto_patches.mark_task_stopped, (task, code, "Essential container in task exited")).start()


@pytest.fixture
def emulator(monkeypatch):
    port = free_port()
    monkeypatch.setenv("MOTO_PORT", str(port))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    launcher = ExitCodeLauncher()
    with adjusted(launcher):
        server = start_server(port)
        try:
            yield boto3.session.Session(region_name="eu-west-2"), launcher
        finally:
            server.stop()


def _run(sfn, definition, execution_input):
    machine = sfn.create_state_machine(
        name=f"probe-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/probe",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="run-1", input=json.dumps(execution_input))
    return execution_end(sfn, execution["executionArn"])


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


def test_s3_events_of_one_key_carry_increasing_sequencers(emulator):
    # GIVEN a versioned bucket whose events an EventBridge rule sends to a queue
    session, _ = emulator
    s3, sqs, events = session.client("s3"), session.client("sqs"), session.client("events")
    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    s3.put_bucket_versioning(Bucket="uploads", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket="uploads", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    queue_url = sqs.create_queue(QueueName="uploads-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="uploads", EventPattern=json.dumps({"source": ["aws.s3"], "detail-type": ["Object Created"]}))
    events.put_targets(Rule="uploads", Targets=[{"Id": "queue", "Arn": queue_arn}])
    # WHEN two versions of one key are put back to back (within the same second of event time)
    for body in (b"first", b"second"):
        s3.put_object(Bucket="uploads", Key="uploads/u/s/recording.zip", Body=body)
    # THEN the later event's sequencer is the greater, as S3 orders the events of one key
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    sequencers = [json.loads(message["Body"])["detail"]["object"]["sequencer"] for message in messages]
    assert len(sequencers) == 2
    assert moto_patches.events.MOTO_S3_SEQUENCER not in sequencers
    assert sequencers[0] < sequencers[1]


def test_leaving_the_block_restores_moto():
    patched = [(owner, name, getattr(owner, name)) for owner, name in moto_patches._PATCHED_ATTRIBUTES]
    config_before = json.dumps(default_user_config, sort_keys=True)
    with adjusted(ExitCodeLauncher()):
        assert all(getattr(owner, name) is not original for owner, name, original in patched)
        assert default_user_config["stepfunctions"]["execute_state_machine"] is True
    assert all(getattr(owner, name) is original for owner, name, original in patched)
    assert json.dumps(default_user_config, sort_keys=True) == config_before


def test_ecs_task_operations_take_turns():
    backend = ecs_backends["123456789012"]["eu-west-2"]
    with adjusted(ExitCodeLauncher()):
        describer = threading.Thread(target=_describe_ignoring_errors, args=(backend,))
        with moto_patches.ecs_tasks._ecs_task_registry_lock:
            describer.start()
            describer.join(0.3)
            blocked = describer.is_alive()
        describer.join(5)

    assert blocked, "describe_tasks ran while another task operation held the registry"
    assert not describer.is_alive()


def _describe_ignoring_errors(backend):
    with contextlib.suppress(Exception):
        EC2ContainerServiceBackend.describe_tasks(backend, "no-such-cluster", [])


def test_an_unverified_moto_release_is_refused():
    with pytest.raises(RuntimeError, match="re-verify sandbox/moto_patches/"):
        moto_patches.check_moto_version("9.9.9")


def test_a_sync_poll_wakes_when_a_task_stops_and_not_before():
    stopped = StoppedTasks()
    before = stopped.count()
    assert stopped.wait_beyond(before, timeout=0) is False
    threading.Timer(0.05, stopped.add).start()
    # Woken by the stop long before the timeout; without a stop it would answer False.
    assert stopped.wait_beyond(before, timeout=300) is True
    assert stopped.count() == before + 1
