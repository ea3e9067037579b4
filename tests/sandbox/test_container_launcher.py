"""The container launcher stops each emulated task as ECS would: a container that cannot be launched, and one
the launcher stops."""

from __future__ import annotations

import json
import queue
import sys
import time
from types import SimpleNamespace

import pytest

from handlers.common.failures import STOPPED_MESSAGE, classify_failure
from sandbox.container_images import SANDBOX_IMAGE
from sandbox.containers import CANNOT_START_REASON, ContainerLauncher

pytestmark = pytest.mark.unit


def _task_of_the_sandbox_image() -> SimpleNamespace:
    """What the launcher reads of a moto ECS task, and writes when it stops."""
    definition = SimpleNamespace(
        container_definitions=[{"name": "classifier", "image": SANDBOX_IMAGE}],
        task_role_arn=None,
        cpu="256",
        memory="512",
    )
    return SimpleNamespace(
        id="task-1",
        task_definition_arn="arn:aws:ecs:eu-west-2:123456789012:task-definition/classifier:1",
        _backend=SimpleNamespace(describe_task_definition=lambda arn: definition),
        containers=[SimpleNamespace()],
    )


def test_a_container_that_cannot_be_launched_stops_its_task_instead_of_leaving_it_running(tmp_path):
    # GIVEN a launcher whose command for the image cannot be executed
    ended = queue.Queue()
    launcher = ContainerLauncher(
        base_environment={},
        log_dir=tmp_path,
        images={SANDBOX_IMAGE: (str(tmp_path / "no-such-interpreter"),)},
        on_exit=ended.put,
    )
    task = _task_of_the_sandbox_image()
    # WHEN a task is started
    launcher.start(task, {})
    run = ended.get(timeout=60)
    # THEN the task is stopped as ECS stops a task whose container could not start
    assert run.exit_code is None
    assert (task.status, task.stop_code) == ("STOPPED", "TaskFailedToStart")
    assert task.stopped_reason.startswith(f"{CANNOT_START_REASON}: FileNotFoundError")


def test_a_container_the_launcher_stops_is_reported_as_ecs_reports_a_stopped_task(tmp_path):
    # GIVEN a running container
    ended = queue.Queue()
    waiting = (sys.executable, "-c", "print('up', flush=True); import time; time.sleep(60)")
    launcher = ContainerLauncher(
        base_environment={}, log_dir=tmp_path, images={SANDBOX_IMAGE: waiting}, on_exit=ended.put
    )
    task = _task_of_the_sandbox_image()
    launcher.start(task, {})
    log = tmp_path / f"{task.id}.log"
    deadline = time.monotonic() + 60
    while not (log.is_file() and "up" in log.read_text()):
        assert time.monotonic() < deadline, "the container did not start"
        time.sleep(0.05)
    # WHEN the launcher stops every task (SIGTERM)
    launcher.stop_all()
    run = ended.get(timeout=60)
    # THEN the task is stopped by request, and its failure says so rather than blaming memory
    (container,) = task.containers
    description = {
        "taskArn": task.id,
        "stopCode": task.stop_code,
        "stoppedReason": task.stopped_reason,
        "containers": [{"exitCode": container.exitCode, "reason": container.reason}],
    }
    assert (run.exit_code, task.stop_code) == (143, "UserInitiated")
    failure = classify_failure({"Error": "States.TaskFailed", "Cause": json.dumps(description)})
    assert failure.message == STOPPED_MESSAGE
