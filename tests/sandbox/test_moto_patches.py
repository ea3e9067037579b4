"""The moto adjustments the sandbox relies on, checked against a real moto server and moto's own classes:
S3 event sequencers, restoring moto, the ECS task registry's and the DynamoDB items' turns, the moto version
check and the wake-up of a ``.sync`` poll (by a task's stop or its execution's).

If a moto upgrade changes the internals these adjustments reach into, these tests fail first.
"""

from __future__ import annotations

import contextlib
import json
import threading

import pytest
from moto.core.config import default_user_config
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto_probes import ExitCodeLauncher, adjusted

from sandbox import moto_patches
from sandbox.moto_patches.ecs_tasks import StoppedTasks

pytestmark = pytest.mark.moto


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


def _describe_tasks():
    backend = ecs_backends["123456789012"]["eu-west-2"]
    EC2ContainerServiceBackend.describe_tasks(backend, "no-such-cluster", [])


def _scan():
    backend = dynamodb_backends["123456789012"]["eu-west-2"]
    no_options = (None,) * 6
    DynamoDBBackend.scan(backend, "no-such-table", {}, *no_options, False, None, (None, None))


@pytest.mark.parametrize(
    ("lock", "operation"),
    [
        # describing tasks must not iterate the registry while another request changes it
        (moto_patches.ecs_tasks._ecs_task_registry_lock, _describe_tasks),
        # a scan must not read an item while another request's update or transaction is half applied
        (moto_patches.dynamodb._dynamodb_items_lock, _scan),
    ],
    ids=["ecs-tasks", "dynamodb-items"],
)
def test_operations_of_a_serialised_backend_take_turns(lock, operation):
    with adjusted(ExitCodeLauncher()):
        caller = threading.Thread(target=_ignoring_errors, args=(operation,))
        with lock:
            caller.start()
            caller.join(0.3)
            blocked = caller.is_alive()
        caller.join(5)

    assert blocked, f"{operation.__name__} ran while another operation of its backend held the lock"
    assert not caller.is_alive()


def _ignoring_errors(operation):
    with contextlib.suppress(Exception):
        operation()


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


def test_a_sync_poll_wakes_when_its_execution_stops():
    stopped, execution_stopped = StoppedTasks(), threading.Event()

    def stop_the_execution():
        execution_stopped.set()
        stopped.wake()

    threading.Timer(0.05, stop_the_execution).start()
    # Woken by the stop long before the timeout, though no task has stopped.
    assert stopped.wait_beyond(stopped.count(), timeout=300, or_when=execution_stopped.is_set) is True
