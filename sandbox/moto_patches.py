"""Every adjustment to moto's internals that the offline pipeline needs, in one place.

moto emulates the AWS APIs but, out of the box, it cannot run this pipeline end to end
(see ``shared/spec/local-mode-notes.md``):

* without Docker, Lambda invocations only echo their payload: :func:`route_lambda_invocations`
  sends them to the real handler functions instead and reports handler exceptions as Lambda
  function errors, so the state machine's Retry/Catch behave as on AWS;
* the Step Functions interpreter does not translate its PascalCase ECS parameters to boto's
  camelCase (the translation is a stub): :func:`translate_ecs_parameters` restores it from
  botocore's operation model;
* ``ecs:runTask.sync`` ignores exit codes: :func:`fail_sync_tasks_on_nonzero_exit` fails the
  state with ``States.TaskFailed`` and the described task as the cause, as AWS does;
* nothing runs a task's container: :func:`launch_containers_on_run_task` hands every started
  task to a launcher, and the task stays ``RUNNING`` until the launcher stops it;
* the ECS backend's task registry is a plain dict read and written by the server's request threads:
  :func:`serialise_ecs_task_registry` makes starting, listing, describing and stopping tasks take
  turns, so many concurrent executions cannot fail a ``.sync`` poll with "dictionary changed size
  during iteration";
* Step Functions sends a ``Step Functions Execution Status Change`` event to the default bus when
  an execution ends, moto sends none: :func:`emit_execution_status_changes` puts it there;
* moto's EventBridge rules cannot target Lambda functions (``NotImplementedError``):
  :func:`deliver_rule_events_to_functions` invokes them asynchronously with the event, as AWS does.

These reach into private moto classes, so :func:`check_moto_version` refuses any moto release
they were not verified against; ``tests/sandbox/test_moto_patches.py`` fails loudly when moto
changes underneath them.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import botocore.session
import moto
from botocore import xform_name
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.config import default_user_config
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.events.models import Rule, events_backends
from moto.moto_api import state_manager
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

VERIFIED_MOTO_VERSIONS = frozenset({"5.2.5"})
# A task's status only moves when the launcher says its container stopped.
_NEVER = 10**12


class TaskLauncher(Protocol):
    def start(self, task: Task, overrides: dict[str, Any]) -> None: ...


LambdaDispatch = Callable[[str, dict[str, Any]], Any]


def check_moto_version(version: str = moto.__version__) -> None:
    if version not in VERIFIED_MOTO_VERSIONS:
        raise RuntimeError(
            f"the sandbox adjusts moto internals verified on moto {sorted(VERIFIED_MOTO_VERSIONS)}, "
            f"but moto {version} is installed; re-verify sandbox/moto_patches.py before using it"
        )


def configure_moto() -> None:
    """Execute state machines, and keep Lambda off Docker (our dispatch runs the handlers)."""
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": _NEVER})


def route_lambda_invocations(dispatch: LambdaDispatch) -> None:
    def invoke(self, function_name, qualifier, body, headers, response_headers):  # noqa: ARG001
        function = self.get_function(function_name, qualifier)
        event = json.loads(body) if body else {}
        try:
            result = dispatch(function.function_name, event)
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


def fail_sync_tasks_on_nonzero_exit() -> None:
    build_resolver = StateTaskServiceEcs._build_sync_resolver
    if getattr(build_resolver, "_checks_exit_codes", False):
        return

    @functools.wraps(build_resolver)
    def build_checking_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        resolve = build_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials)

        def resolve_checking_exit_codes():
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
            invocation = (parse_arn(target["Arn"]).resource_id, copy.deepcopy(original_event))
            threading.Thread(target=dispatch, args=invocation, daemon=True).start()
        others = copy.copy(self)
        others.targets = [target for target in self.targets if target not in functions]
        original(others, original_event, transform_input)

    Rule.send_to_targets = send_to_targets


_PATCHED_ATTRIBUTES = (
    (LambdaSimpleBackend, "invoke"),
    (StateTaskServiceEcs, "_normalise_parameters"),
    (StateTaskServiceEcs, "_normalise_response"),
    (StateTaskServiceEcs, "_build_sync_resolver"),
    (BaseExecutionWorkerCommunication, "terminated"),
    (Rule, "send_to_targets"),
    *((EC2ContainerServiceBackend, name) for name in _ECS_TASK_OPERATIONS),
)


@contextmanager
def adjusted_moto(dispatch: LambdaDispatch, launcher: TaskLauncher) -> Iterator[None]:
    """Apply every adjustment for the duration of the block, then restore moto as it was."""
    check_moto_version()
    # An attribute the class only inherits is deleted again rather than copied down.
    saved_attributes = [(owner, name, owner.__dict__.get(name)) for owner, name in _PATCHED_ATTRIBUTES]
    saved_config = copy.deepcopy(dict(default_user_config))
    try:
        configure_moto()
        route_lambda_invocations(dispatch)
        translate_ecs_parameters()
        fail_sync_tasks_on_nonzero_exit()
        launch_containers_on_run_task(launcher)
        serialise_ecs_task_registry()
        emit_execution_status_changes()
        deliver_rule_events_to_functions(dispatch)
        yield
    finally:
        for owner, name, original in saved_attributes:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        default_user_config.clear()
        default_user_config.update(saved_config)
        state_manager.unset_transition("ecs::task")
