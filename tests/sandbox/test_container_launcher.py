"""The container launcher stops each emulated task as ECS would: a container that cannot be launched, every
container when the sandbox stops, and one task stopped through ``StopTask`` (and no other)."""

from __future__ import annotations

import json
import queue
import sys
import time
from types import SimpleNamespace

import pytest

from handlers.common.failures import STOPPED_MESSAGE, classify_failure
from sandbox.container_images import SANDBOX_IMAGE
from sandbox.containers import CANNOT_START_REASON, USER_STOP_CODE, USER_STOP_REASON, ContainerLauncher

pytestmark = pytest.mark.unit


WAITING = (sys.executable, "-c", "print('up', flush=True); import time; time.sleep(60)")
DEAF_TO_SIGTERM = (
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)",
)


def _task_of_the_sandbox_image(task_id: str = "task-1", **container: object) -> SimpleNamespace:
    """What the launcher reads of a moto ECS task, and writes when it stops."""
    definition = SimpleNamespace(
        container_definitions=[{"name": "classifier", "image": SANDBOX_IMAGE, **container}],
        task_role_arn=None,
        cpu="256",
        memory="512",
    )
    return SimpleNamespace(
        id=task_id,
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
    launcher = ContainerLauncher(
        base_environment={}, log_dir=tmp_path, images={SANDBOX_IMAGE: WAITING}, on_exit=ended.put
    )
    task = _task_of_the_sandbox_image()
    launcher.start(task, {})
    _wait_until_up(tmp_path, task)
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


@pytest.fixture
def launcher_of(tmp_path):
    """A launcher running ``command`` for the sandbox image, reporting ended runs to a queue; stopped at teardown."""
    launchers = []

    def build(command, **options):
        ended = queue.Queue()
        launcher = ContainerLauncher(
            base_environment={}, log_dir=tmp_path, images={SANDBOX_IMAGE: command}, on_exit=ended.put, **options
        )
        launchers.append(launcher)
        return launcher, ended

    yield build
    for launcher in launchers:
        launcher.stop_all()


def _wait_until_up(log_dir, task) -> None:
    log = log_dir / f"{task.id}.log"
    deadline = time.monotonic() + 60
    while not (log.is_file() and "up" in log.read_text()):
        assert time.monotonic() < deadline, f"the container of {task.id} did not start"
        time.sleep(0.05)


def test_stopping_one_task_stops_its_container_and_no_other(tmp_path, launcher_of):
    # GIVEN two running containers
    launcher, ended = launcher_of(WAITING, max_running=2)
    stopped, other = _task_of_the_sandbox_image("task-1"), _task_of_the_sandbox_image("task-2")
    for task in (stopped, other):
        launcher.start(task, {})
        _wait_until_up(tmp_path, task)
    # WHEN one task is stopped (StopTask without a reason)
    launcher.stop(stopped)
    run = ended.get(timeout=60)
    # THEN its container ended on SIGTERM and the task is described as stopped by the user
    assert (run.task_id, run.exit_code, run.reason) == ("task-1", 143, USER_STOP_REASON)
    assert (stopped.status, stopped.stop_code, stopped.stopped_reason) == ("STOPPED", USER_STOP_CODE, USER_STOP_REASON)
    # AND the other still runs
    assert ended.empty()
    assert not hasattr(other, "status")


def test_a_task_stopped_while_waiting_for_a_slot_never_starts(tmp_path, launcher_of):
    # GIVEN one slot, taken by a running container, and a second task waiting for it
    launcher, ended = launcher_of(WAITING, max_running=1)
    running, waiting = _task_of_the_sandbox_image("task-1"), _task_of_the_sandbox_image("task-2")
    launcher.start(running, {})
    _wait_until_up(tmp_path, running)
    launcher.start(waiting, {})
    # WHEN the waiting task is stopped, with a reason
    launcher.stop(waiting, "operator: not needed")
    run = ended.get(timeout=60)
    # THEN it ends at once without a container, with that reason, and the running one goes on
    assert (run.task_id, run.exit_code, run.reason) == ("task-2", None, "operator: not needed")
    assert (waiting.status, waiting.stop_code) == ("STOPPED", USER_STOP_CODE)
    assert not (tmp_path / "task-2.log").exists()
    assert not hasattr(running, "status")


def test_a_container_deaf_to_sigterm_is_killed_after_its_stop_timeout(tmp_path, launcher_of):
    # GIVEN a running container that ignores SIGTERM, with a stop timeout of 1 s
    launcher, ended = launcher_of(DEAF_TO_SIGTERM)
    task = _task_of_the_sandbox_image(stopTimeout=1)
    launcher.start(task, {})
    _wait_until_up(tmp_path, task)
    # WHEN its task is stopped
    launcher.stop(task)
    # THEN it is killed once the stop timeout has passed (exit 137), still a stop by request
    run = ended.get(timeout=30)
    assert (run.exit_code, run.reason, task.stop_code) == (137, USER_STOP_REASON, USER_STOP_CODE)
