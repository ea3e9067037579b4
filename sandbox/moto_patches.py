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
* with IAM enforced, moto authorises most services' requests against the resource ``*`` and under
  the operation's name (``lambda:Invoke``): :func:`authorize_request_resources` authorises them as
  AWS does, against the actions and ARNs :mod:`sandbox.iam_actions` derives from the request;
* the Step Functions interpreter signs its service calls with fixed keys of no identity, where AWS
  uses the state machine's role: :func:`sign_state_machine_calls_with_its_role` gives its clients
  that role's credentials;
* a denial is only an HTTP answer: :func:`report_denials` also tells the sandbox which principal was
  denied which action on which resource;
* requests signed in the query string (presigned URLs) or in the form (presigned POST) carry no
  ``Authorization`` header, which moto's IAM check requires (it fails with a server error):
  :func:`authorize_presigned_requests` authorises them, as AWS does, as the identity that signed
  them, for the object they name (their signature is checked by moto's S3 as before);
* bucket policies are evaluated, but the ``Bool`` condition operator is ignored, so the program's
  TLS-only ``Deny`` matches every request: :func:`evaluate_bucket_policies_as_for_https` evaluates
  ``aws:SecureTransport`` as for the HTTPS requests AWS receives (the sandbox's plain-HTTP
  endpoint stands for them).

These reach into private moto classes, so :func:`check_moto_version` refuses any moto release
they were not verified against; ``tests/sandbox/test_moto_patches.py`` fails loudly when moto
changes underneath them.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlparse

import boto3
import botocore.session
import moto
from botocore import xform_name
from botocore.config import Config
from moto import settings as moto_settings
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.config import default_user_config
from moto.core.exceptions import AccessDeniedError
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.iam.access_control import IAMPolicy, IAMRequest, IAMRequestBase, PermissionResult, S3IAMRequest
from moto.moto_api import state_manager
from moto.s3.exceptions import S3AccessDeniedError
from moto.s3.models import FakeBucket
from moto.settings import moto_server_port
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
from moto.stepfunctions.parser.asl.parse import asl_parser  # noqa: F401 - loads every interpreter module now
from moto.stepfunctions.parser.asl.utils import boto_client as sfn_boto_client

from .iam_actions import requested_permissions

VERIFIED_MOTO_VERSIONS = frozenset({"5.2.5"})
# A task's status only moves when the launcher says its container stopped.
_NEVER = 10**12


class TaskLauncher(Protocol):
    def start(self, task: Task, overrides: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class DeployedFunction:
    """What an invocation needs of a deployed Lambda function."""

    name: str
    handler: str
    role_arn: str
    environment: dict[str, str]


@dataclass(frozen=True)
class Denial:
    """One request the emulator refused: who, what, on which resource."""

    principal_arn: str
    action: str
    resource: str


LambdaDispatch = Callable[[DeployedFunction, dict[str, Any]], Any]
#: Role ARN → ``(access key id, secret access key, session token)``.
RoleCredentials = Callable[[str], tuple[str, str, str | None]]


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


def _request_parameters(response) -> dict[str, Any]:
    """A request's parameters: its JSON body (already parsed by some services), or its query/form fields."""
    body = response.body
    if isinstance(body, dict):
        return body
    if isinstance(body, str) and body.lstrip().startswith("{"):
        return json.loads(body)
    return {name: values[0] for name, values in response.querystring.items() if values}


def _signing_service(response) -> str:
    """The service name of the request's SigV4 credential scope (``states`` for Step Functions)."""
    scope = response.headers.get("Authorization", "").partition("Credential=")[2].partition(",")[0]
    parts = scope.split("/")
    return parts[3] if len(parts) > 3 else ""


def _as_action(action: str):
    """An ``IAMRequest`` factory authorising ``action`` (``service:Operation``), not the operation's name."""
    operation = action.split(":", 1)[1]

    def build(**request):
        return IAMRequest(**{**request, "action": operation})

    return build


def authorize_request_resources() -> None:
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action

    def authorize_as_aws(self, resource: str = "*") -> None:
        permissions = None
        if resource == "*" and "Authorization" in self.headers:
            permissions = requested_permissions(
                _signing_service(self),
                self._get_action(),
                parameters=_request_parameters(self),
                path=urlparse(self.uri).path,
                query={name: values[0] for name, values in parse_qs(urlparse(self.uri).query).items()},
                region=self.region,
                account=self.current_account,
            )
        if not permissions:
            authorize(self, resource)
            return
        for action, arn in permissions:
            self._authenticate_and_authorize_action(_as_action(action), arn)

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize_as_aws


def sign_state_machine_calls_with_its_role(role_credentials: RoleCredentials) -> None:
    config = Config(parameter_validation=False, retries={"max_attempts": 0, "total_max_attempts": 1})

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        key_id, secret, token = role_credentials(state_credentials.role_arn)
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=f"http://localhost:{moto_server_port()}",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=config,
        )

    for module in _modules_using_sfn_boto_client():
        module.boto_client_for = boto_client_for


def _modules_using_sfn_boto_client() -> list[Any]:
    """Every interpreter module that imported ``boto_client_for`` by name (each holds its own reference)."""
    original = sfn_boto_client.boto_client_for
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser")
        and getattr(module, "boto_client_for", None) is original
    ]


def report_denials(on_denied: Callable[[Denial], None]) -> None:
    check = IAMRequestBase.check_action_permitted

    def check_reporting(self, resource: str) -> None:
        try:
            check(self, resource)
        except (AccessDeniedError, S3AccessDeniedError):
            on_denied(Denial(principal_arn=self._access_key.arn, action=self._action, resource=resource))
            raise

    IAMRequestBase.check_action_permitted = check_reporting


def _true_over_https(condition: dict[str, Any]) -> bool:
    """Whether a statement's ``Bool`` test of ``aws:SecureTransport`` holds for an HTTPS request."""
    expected = condition.get("Bool", {}).get("aws:SecureTransport")
    if expected is None:
        return True
    values = expected if isinstance(expected, list) else [expected]
    return "true" in [str(value).lower() for value in values]


def as_for_https(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy without the statements that do not apply to an HTTPS request."""
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    applying = [item for item in statements if _true_over_https(item.get("Condition", {}))]
    return {**policy, "Statement": applying}


def evaluate_bucket_policies_as_for_https() -> None:
    def get_permission(self, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = as_for_https(json.loads(self.policy.decode()))
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def authorize_presigned_requests() -> None:
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action

    def authorize_signer(self, bucket_name: str | None = None, key_name: str | None = None) -> None:
        fields = {name.lower(): values[0] for name, values in self.querystring.items() if values}
        enforcing = ActionAuthenticatorMixin.request_count >= moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        if "Authorization" in self.headers or "x-amz-credential" not in fields or not enforcing:
            authorize(self, bucket_name, key_name)
            return
        key_name = key_name or fields.get("key")
        headers = {
            **dict(self.headers),
            "Authorization": f"AWS4-HMAC-SHA256 Credential={fields['x-amz-credential']}, SignedHeaders=host, "
            f"Signature={fields.get('x-amz-signature', '')}",
        }
        if "x-amz-security-token" in fields:
            headers["X-Amz-Security-Token"] = fields["x-amz-security-token"]
        signer = S3IAMRequest(
            account_id=self.current_account,
            method=self.method,
            path=self.raw_path,
            data=self.data,
            body=self.raw_body,
            headers=headers,
            action=self._get_action(),
        )
        target = f"{bucket_name}/{key_name}" if key_name else bucket_name
        signer.check_action_permitted(f"arn:aws:s3:::{target}")

    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = authorize_signer


_PATCHED_ATTRIBUTES = (
    (LambdaSimpleBackend, "invoke"),
    (ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action"),
    (ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action"),
    (IAMRequestBase, "check_action_permitted"),
    (FakeBucket, "get_permission"),
    (StateTaskServiceEcs, "_normalise_parameters"),
    (StateTaskServiceEcs, "_normalise_response"),
    (StateTaskServiceEcs, "_build_sync_resolver"),
    *((EC2ContainerServiceBackend, name) for name in _ECS_TASK_OPERATIONS),
)


@contextmanager
def adjusted_moto(
    dispatch: LambdaDispatch,
    launcher: TaskLauncher,
    role_credentials: RoleCredentials,
    on_denied: Callable[[Denial], None],
) -> Iterator[None]:
    """Apply every adjustment for the duration of the block, then restore moto as it was."""
    check_moto_version()
    # An attribute the class only inherits is deleted again rather than copied down.
    saved_attributes = [(owner, name, owner.__dict__.get(name)) for owner, name in _PATCHED_ATTRIBUTES]
    saved_config = copy.deepcopy(dict(default_user_config))
    sfn_client_modules = _modules_using_sfn_boto_client()
    try:
        configure_moto()
        route_lambda_invocations(dispatch)
        translate_ecs_parameters()
        fail_sync_tasks_on_nonzero_exit()
        launch_containers_on_run_task(launcher)
        serialise_ecs_task_registry()
        authorize_request_resources()
        authorize_presigned_requests()
        sign_state_machine_calls_with_its_role(role_credentials)
        report_denials(on_denied)
        evaluate_bucket_policies_as_for_https()
        yield
    finally:
        for module in sfn_client_modules:
            module.boto_client_for = sfn_boto_client.boto_client_for
        for owner, name, original in saved_attributes:
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        default_user_config.clear()
        default_user_config.update(saved_config)
        state_manager.unset_transition("ecs::task")
