"""moto adjustments that let the pipeline run end to end: Lambda dispatch, the ECS ``.sync`` task and events.

Part of :mod:`sandbox.moto_patches` (see there for what each stands in for).
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.session
from botocore import xform_name
from moto.awslambda.utils import get_backend as lambda_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.events.models import Rule, events_backends
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
    StateTaskServiceEcs,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.utilities.arns import parse_arn

from contracts.execution_events import DETAIL_TYPE, SOURCE


class TaskLauncher(Protocol):
    def start(self, task: Task, overrides: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class DeployedFunction:
    """What an invocation needs of a deployed Lambda function."""

    name: str
    handler: str
    role_arn: str
    environment: dict[str, str]


LambdaDispatch = Callable[[DeployedFunction, dict[str, Any]], Any]


def route_lambda_invocations(dispatch: LambdaDispatch) -> None:
    def invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ARG001
        function = self.get_function(function_name, qualifier)
        event = json.loads(body) if body else {}
        deployed = DeployedFunction(
            name=function.function_name,
            handler=function.handler,
            role_arn=function.role,
            environment=dict(function.environment_vars),
        )
        try:
            result = dispatch(deployed, event)
        except Exception as error:  # every handler error must surface as a Lambda function error
            response_headers["x-amz-function-error"] = "Unhandled"
            payload = {"errorType": type(error).__name__, "errorMessage": str(error)}
            return json.dumps(payload).encode()
        return json.dumps(result).encode()

    LambdaSimpleBackend.invoke = invoke


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
    """Counts tasks marked stopped, so that a ``.sync`` poll can sleep until one stops."""

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

    def wait_beyond(self, count: int, timeout: float) -> bool:
        """Wait until more than ``count`` tasks have stopped (True) or ``timeout`` seconds have passed."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count > count, timeout=timeout)


_stopped_tasks = StoppedTasks()
#: How long a ``.sync`` poll of a running task waits for some task to stop before it asks again (moto
#: itself then sleeps 0.5 s before the next poll; a stop during that sleep is seen after it).
SYNC_POLL_WAIT_SECONDS = 2.0


def fail_sync_tasks_on_nonzero_exit() -> None:
    build_resolver = StateTaskServiceEcs._build_sync_resolver
    if getattr(build_resolver, "_checks_exit_codes", False):
        return

    @functools.wraps(build_resolver)
    def build_checking_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        resolve = build_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials)

        def resolve_checking_exit_codes():
            stopped_before = _stopped_tasks.count()
            task_description = resolve()
            if task_description is None:
                _stopped_tasks.wait_beyond(stopped_before, SYNC_POLL_WAIT_SECONDS)
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

        return resolve_checking_exit_codes

    build_checking_resolver._checks_exit_codes = True
    StateTaskServiceEcs._build_sync_resolver = build_checking_resolver


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


_ECS_TASK_OPERATIONS = ("run_task", "describe_tasks", "list_tasks", "stop_task")
_ecs_task_registry_lock = threading.RLock()


def serialise_ecs_task_registry() -> None:
    for name in _ECS_TASK_OPERATIONS:
        operation = getattr(EC2ContainerServiceBackend, name)
        if getattr(operation, "_serialised", False):
            continue

        def serialised(self, *args, _operation=operation, **kwargs):
            with _ecs_task_registry_lock:
                return _operation(self, *args, **kwargs)

        functools.update_wrapper(serialised, operation)
        serialised._serialised = True
        setattr(EC2ContainerServiceBackend, name, serialised)


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


def _epoch_milliseconds(moment) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def execution_status_change(execution) -> dict[str, Any]:
    """The ``PutEvents`` entry of an ended moto execution, with the detail AWS documents."""
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": execution.exec_status.value,
        "startDate": _epoch_milliseconds(execution.start_date),
        "stopDate": _epoch_milliseconds(execution.stop_date),
        "input": json.dumps(execution.input_data),
        "inputDetails": {"included": True},
        "output": None if execution.output is None else json.dumps(execution.output),
        "outputDetails": None,
        "error": execution.error,
        "cause": execution.cause,
    }
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Resources": [execution.exec_arn],
        "Detail": json.dumps(detail),
    }


def emit_execution_status_changes() -> None:
    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self) -> None:
        original(self)
        execution = self.execution
        bus = events_backends[execution.account_id][execution.region_name]
        bus.put_events([execution_status_change(execution)])

    BaseExecutionWorkerCommunication.terminated = terminated


def deliver_rule_events_to_functions(dispatch: LambdaDispatch) -> None:
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        if not self.event_pattern.matches_event(original_event):
            return
        functions = [target for target in self.targets if parse_arn(target["Arn"]).service == "lambda"]
        for target in functions:
            arn = parse_arn(target["Arn"])
            function = lambda_backend(arn.account, arn.region).get_function(arn.resource_id)
            deployed = DeployedFunction(
                name=function.function_name,
                handler=function.handler,
                role_arn=function.role,
                environment=dict(function.environment_vars),
            )
            invocation = (deployed, copy.deepcopy(original_event))
            threading.Thread(target=dispatch, args=invocation, daemon=True).start()
        others = copy.copy(self)
        others.targets = [target for target in self.targets if target not in functions]
        original(others, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


#: The ``sequencer`` moto gives every S3 event it sends to EventBridge, whatever the object and time.
MOTO_S3_SEQUENCER = "617f08299329d189"
# next() on a count is atomic under the GIL: concurrent uploads never share a sequencer.
_s3_sequencers = itertools.count(1)


def sequence_s3_events() -> None:
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        detail = original_event.get("detail")
        s3_object = detail.get("object") if isinstance(detail, dict) else None
        # Every rule delivers the same detail: the first one to see the event stamps it, once.
        if isinstance(s3_object, dict) and s3_object.get("sequencer") == MOTO_S3_SEQUENCER:
            s3_object["sequencer"] = f"{next(_s3_sequencers):016X}"
        original(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets
