"""moto adjustments that run the pipeline's ECS tasks: the Step Functions ``ecs:runTask.sync`` integration (its
exit codes, its waits, the stop of the task of a stopped execution) and the ECS backend's tasks.

Part of :mod:`sandbox.moto_patches` (see there for what each stands in for).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_ecs
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
    StateTaskServiceEcs,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
from moto.stepfunctions.parser.backend.execution import Execution

from .serialised import serialise_operations

_log = logging.getLogger(__name__)


class TaskLauncher(Protocol):
    def start(self, task: Task, overrides: dict[str, Any]) -> None: ...

    def stop(self, task: Task, reason: str | None) -> None: ...


@functools.cache
def _ecs_operation(action: str):
    model = botocore.session.get_session().get_service_model("ecs")
    names = {xform_name(name): name for name in model.operation_names}
    return model.operation_model(names[action])


def translate_ecs_parameters() -> None:
    def normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):  # noqa: ARG001
        operation = _ecs_operation(self._get_boto_service_action(service_action_name))
        self._to_boto_request(parameters, operation.input_shape)

    def normalise_response(self, response, boto_service_name=None, service_action_name=None):  # noqa: ARG001
        operation = _ecs_operation(self._get_boto_service_action(service_action_name))
        self._from_boto_response(response, operation.output_shape)

    StateTaskServiceEcs._normalise_parameters = normalise_parameters
    StateTaskServiceEcs._normalise_response = normalise_response


def failed_container(task_description: dict[str, Any]) -> dict[str, Any] | None:
    """The first container of a stopped task that did not exit with 0, if any."""
    for container in task_description.get("Containers", []):
        if container.get("ExitCode") != 0:
            return container
    return None


class StoppedTasks:
    """Counts tasks marked stopped, so that a ``.sync`` poll can sleep until one stops (or its execution)."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def count(self) -> int:
        with self._changed:
            return self._count

    def add(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def wake(self) -> None:
        """Have every wait ask its ``or_when`` again (an execution has stopped)."""
        with self._changed:
            self._changed.notify_all()

    def wait_beyond(self, count: int, timeout: float, *, or_when: Callable[[], bool] = lambda: False) -> bool:
        """Wait until more than ``count`` tasks have stopped or ``or_when()`` is true (asked at the start and
        at each :meth:`add` or :meth:`wake`); False if ``timeout`` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count > count or or_when(), timeout=timeout)


_stopped_tasks = StoppedTasks()
#: How long a ``.sync`` poll of a running task waits for some task to stop before it asks again (moto
#: itself then sleeps 0.5 s before the next poll; a stop during that sleep is seen after it).
SYNC_POLL_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class SyncTaskWait:
    """One ``.sync`` wait for an ECS task: called by moto's poll loop, the task's description once it has
    stopped (else ``None``); and the ``StopTask`` Step Functions sends when the execution stops first."""

    task_arn: str
    check: Callable[[], dict[str, Any] | None]
    stop_task: Callable[[], None]

    def __call__(self) -> dict[str, Any] | None:
        return self.check()


def fail_sync_tasks_on_nonzero_exit() -> None:
    build_resolver = StateTaskServiceEcs._build_sync_resolver
    if getattr(build_resolver, "_checks_exit_codes", False):
        return

    @functools.wraps(build_resolver)
    def build_checking_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        submitted = env.stack[-1]["Tasks"][0]
        resolve = build_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials)

        def resolve_checking_exit_codes():
            stopped_before = _stopped_tasks.count()
            task_description = resolve()
            if task_description is None:
                _stopped_tasks.wait_beyond(stopped_before, SYNC_POLL_WAIT_SECONDS, or_when=lambda: not env.is_running())
                task_description = resolve()
            if task_description is None or failed_container(task_description) is None:
                return task_description
            failure = StatesErrorNameType.StatesTaskFailed
            raise FailureEventException(
                FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=failure),
                    event_type=HistoryEventType.TaskFailed,
                    event_details=EventDetails(
                        taskFailedEventDetails=TaskFailedEventDetails(
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                            error=failure.to_name(),
                            cause=json.dumps(task_description, default=str),
                        )
                    ),
                )
            )

        def stop_task() -> None:
            # Looked up at each call: the sandbox signs the interpreter's clients with the state machine's role.
            ecs = state_task_service_ecs.boto_client_for(
                region=resource_runtime_part.region, service="ecs", state_credentials=state_credentials
            )
            ecs.stop_task(cluster=submitted["ClusterArn"], task=submitted["TaskArn"])

        return SyncTaskWait(task_arn=submitted["TaskArn"], check=resolve_checking_exit_codes, stop_task=stop_task)

    build_checking_resolver._checks_exit_codes = True
    StateTaskServiceEcs._build_sync_resolver = build_checking_resolver


def stop_tasks_of_stopped_executions() -> None:
    eval_sync = StateTaskServiceEcs._eval_sync
    if getattr(eval_sync, "_stops_tasks", False):
        return
    stop_execution = Execution.stop

    @functools.wraps(eval_sync)
    def eval_sync_then_stop_abandoned_task(
        self, env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint
    ):
        outcome = eval_sync(
            self,
            env=env,
            sync_resolver=sync_resolver,
            timeout_seconds=timeout_seconds,
            callback_endpoint=callback_endpoint,
            heartbeat_endpoint=heartbeat_endpoint,
        )
        # The loop also ends when the state times out (ProgramEnded): only a stopped execution stops its task.
        if outcome is None and isinstance(env.program_state(), ProgramStopped):
            try:
                sync_resolver.stop_task()
            except ClientError as refused:  # the execution is aborted whatever StopTask answers
                _log.warning("StopTask of %s (its execution stopped) failed: %s", sync_resolver.task_arn, refused)
        return outcome

    @functools.wraps(stop_execution)
    def stop_waking_sync_waits(self, stop_date, error, cause):
        stop_execution(self, stop_date=stop_date, error=error, cause=cause)
        _stopped_tasks.wake()

    eval_sync_then_stop_abandoned_task._stops_tasks = True
    StateTaskServiceEcs._eval_sync = eval_sync_then_stop_abandoned_task
    Execution.stop = stop_waking_sync_waits


def launch_containers_on_run_task(launcher: TaskLauncher) -> None:
    run_task = getattr(EC2ContainerServiceBackend.run_task, "_original", EC2ContainerServiceBackend.run_task)

    @functools.wraps(run_task)
    def run_and_launch(self, cluster_str, task_definition_str, count, overrides, *args, **kwargs):
        tasks = run_task(self, cluster_str, task_definition_str, count, overrides, *args, **kwargs)
        for task in tasks:
            launcher.start(task, overrides or {})
        return tasks

    run_and_launch._original = run_task
    EC2ContainerServiceBackend.run_task = run_and_launch


def stop_containers_on_stop_task(launcher: TaskLauncher) -> None:
    stop_task = getattr(EC2ContainerServiceBackend.stop_task, "_original", EC2ContainerServiceBackend.stop_task)

    @functools.wraps(stop_task)
    def stop_task_and_its_container(self, cluster_str, task_str, reason):
        task_id = task_str.rsplit("/", 1)[-1]
        cluster_tasks = self.tasks.get(self._get_cluster(cluster_str).name, {})
        task = next((task for arn, task in cluster_tasks.items() if arn.endswith(task_id)), None)
        if task is None:
            return stop_task(self, cluster_str, task_str, reason)  # moto's own error for an unknown task
        # STOPPED only once its container has ended, as ECS reports a task still stopping.
        if task.last_status != "STOPPED":
            task.desired_status = "STOPPED"
            launcher.stop(task, reason)
        return task

    stop_task_and_its_container._original = stop_task
    EC2ContainerServiceBackend.stop_task = stop_task_and_its_container


_ECS_TASK_OPERATIONS = ("run_task", "describe_tasks", "list_tasks", "stop_task")
_ecs_task_registry_lock = threading.RLock()


def serialise_ecs_task_registry() -> None:
    serialise_operations(EC2ContainerServiceBackend, _ECS_TASK_OPERATIONS, _ecs_task_registry_lock)


def task_definition_of(task: Task) -> Any:
    """The registered task definition a task runs (its containers, its task role)."""
    return task._backend.describe_task_definition(task.task_definition_arn)


def mark_task_stopped(
    task: Task, exit_code: int | None, reason: str, *, stop_code: str = "EssentialContainerExited"
) -> None:
    """Record that a task stopped, as ECS reports it.

    ``exit_code`` is that of its (single, essential) container, or ``None`` when the container never
    started (``stop_code="TaskFailedToStart"``, e.g. its image could not be pulled).
    """
    for container in task.containers:
        container.exitCode = exit_code
        container.last_status = "STOPPED"
        container.reason = reason
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.desired_status = "STOPPED"
    task.status = "STOPPED"
    _stopped_tasks.add()

