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
  state with ``States.TaskFailed`` and the described task as the cause, as AWS does; it also lets
  the ``.sync`` poll, which moto repeats every 0.5 s, wait until some task is marked stopped
  (:func:`mark_task_stopped`) and ask again at once, so a session does not lose up to half a second
  there (AWS learns of the stop from the task's state change event);
* nothing runs a task's container: :func:`launch_containers_on_run_task` hands every started
  task to a launcher, and the task stays ``RUNNING`` until the launcher stops it; ``StopTask`` only
  marks a task stopped: :func:`stop_containers_on_stop_task` has the launcher stop its container
  (SIGTERM, then SIGKILL after the stop timeout) and the task is ``STOPPED`` once that has ended;
* when an execution is stopped, AWS stops the ECS task its ``.sync`` state waits for (``StopTask``,
  with the state machine's role), moto leaves it running: :func:`stop_tasks_of_stopped_executions`
  sends that ``StopTask`` once moto's wait ends on the stop, and wakes the wait at the stop;
* the ECS backend's task registry is a plain dict read and written by the server's request threads:
  :func:`serialise_ecs_task_registry` makes starting, listing, describing and stopping tasks take
  turns, so many concurrent executions cannot fail a ``.sync`` poll with "dictionary changed size
  during iteration";
* moto applies a DynamoDB update one action at a time to the stored item, so a scan on another
  request thread could read a status record half updated (``SUCCEEDED`` without its ``result``):
  :func:`serialise_dynamodb_items` makes item reads and writes take turns, as each is atomic on AWS;
* Step Functions sends a ``Step Functions Execution Status Change`` event to the default bus when
  an execution ends, moto sends none: :func:`emit_execution_status_changes` puts it there;
* moto's EventBridge rules cannot target Lambda functions (``NotImplementedError``):
  :func:`deliver_rule_events_to_functions` invokes them asynchronously with the event, as AWS does;
* moto writes ``$$.State.EnteredTime`` as Python's ``isoformat()`` (microseconds, ``+00:00``), which
  ``MarkProcessing`` stores as ``startedAt``; AWS writes milliseconds and ``Z``, the shape the contracts
  give every timestamp: :func:`state_entered_times_as_on_aws` gives it that shape;
* moto gives every S3 event the same ``sequencer``, so two versions of one key uploaded within the
  same second (event times have whole seconds) look like one event and the start handler ignores
  the newer: :func:`sequence_s3_events` gives each event a greater sequencer than the one before, as
  S3 does for the events of one key;
* with IAM enforced, moto authorises most services' requests against the resource ``*`` and under
  the operation's name (``lambda:Invoke``): :func:`authorize_request_resources` authorises them as
  AWS does, against the actions and ARNs :mod:`sandbox.iam_actions` derives from the request;
* the Step Functions interpreter signs its service calls with fixed keys of no identity, where AWS
  uses the state machine's role: :func:`sign_state_machine_calls_with_its_role` gives its clients
  that role's credentials;
* a denial is only an HTTP answer: :func:`report_denials` also tells the sandbox which principal was
  denied which action on which resource;
* requests signed in the query string (presigned URLs) or in the form (presigned POST) carry no
  ``Authorization`` header, which moto's IAM check requires (it fails with a server error), and
  moto checks neither a URL's signature nor its expiry: :func:`authorize_presigned_requests`
  authorises them, as AWS does, as the identity that signed them, for the object they name, and
  refuses a URL used past its expiry or for anything its signature does not cover (another key,
  method or Content-Type);
* bucket policies are evaluated, but the ``Bool`` condition operator is ignored, so the program's
  TLS-only ``Deny`` matches every request: :func:`evaluate_bucket_policies_as_for_https` evaluates
  ``aws:SecureTransport`` as for the HTTPS requests AWS receives (the sandbox's plain-HTTP
  endpoint stands for them).

The patches live in :mod:`.lambda_invocations` (the first and ninth), :mod:`.ecs_tasks` (the
second to sixth), :mod:`.dynamodb` (the seventh), :mod:`.events` (the eighth and eleventh),
:mod:`.context_times` (the tenth) and :mod:`.iam` (the others); nothing else in the sandbox touches
moto's private classes. They reach into them, so :func:`check_moto_version` refuses any moto release
they were not verified against; ``tests/sandbox/test_moto_patches.py``,
``tests/sandbox/test_moto_state_machine_tasks.py`` and ``tests/sandbox/test_moto_iam_patches.py`` fail
loudly when moto changes underneath them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import moto
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.config import default_user_config
from moto.dynamodb.models import DynamoDBBackend
from moto.ecs.models import EC2ContainerServiceBackend
from moto.events.models import Rule
from moto.iam.access_control import IAMRequestBase
from moto.moto_api import state_manager
from moto.s3.models import FakeBucket
from moto.stepfunctions.parser.asl.component.state import state as sfn_state_module
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
    StateTaskServiceEcs,
)
from moto.stepfunctions.parser.asl.utils import boto_client as sfn_boto_client
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

from .context_times import state_entered_times_as_on_aws
from .dynamodb import DYNAMODB_ITEM_OPERATIONS, serialise_dynamodb_items
from .ecs_tasks import (
    _ECS_TASK_OPERATIONS,
    TaskLauncher,
    fail_sync_tasks_on_nonzero_exit,
    failed_container,
    launch_containers_on_run_task,
    mark_task_stopped,
    serialise_ecs_task_registry,
    stop_containers_on_stop_task,
    stop_tasks_of_stopped_executions,
    task_definition_of,
    translate_ecs_parameters,
)
from .events import emit_execution_status_changes, sequence_s3_events
from .iam import (
    Denial,
    RoleCredentials,
    _modules_using_sfn_boto_client,
    authorize_presigned_requests,
    authorize_request_resources,
    evaluate_bucket_policies_as_for_https,
    report_denials,
    sign_state_machine_calls_with_its_role,
)
from .lambda_invocations import (
    DeployedFunction,
    LambdaDispatch,
    deliver_rule_events_to_functions,
    route_lambda_invocations,
)

__all__ = [
    "Denial",
    "DeployedFunction",
    "LambdaDispatch",
    "RoleCredentials",
    "TaskLauncher",
    "adjusted_moto",
    "check_moto_version",
    "failed_container",
    "mark_task_stopped",
    "task_definition_of",
]

VERIFIED_MOTO_VERSIONS = frozenset({"5.2.5"})
# A task's status only moves when the launcher says its container stopped.
_NEVER = 10**12


def check_moto_version(version: str = moto.__version__) -> None:
    if version not in VERIFIED_MOTO_VERSIONS:
        raise RuntimeError(
            f"the sandbox adjusts moto internals verified on moto {sorted(VERIFIED_MOTO_VERSIONS)}, "
            f"but moto {version} is installed; re-verify sandbox/moto_patches/ before using it"
        )


def configure_moto() -> None:
    """Execute state machines, and keep Lambda off Docker (our dispatch runs the handlers)."""
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    default_user_config["lambda"] = {"use_docker": False}
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": _NEVER})


_PATCHED_ATTRIBUTES = (
    (LambdaSimpleBackend, "invoke"),
    (ActionAuthenticatorMixin, "_authenticate_and_authorize_normal_action"),
    (ActionAuthenticatorMixin, "_authenticate_and_authorize_s3_action"),
    (IAMRequestBase, "check_action_permitted"),
    (FakeBucket, "get_permission"),
    (StateTaskServiceEcs, "_normalise_parameters"),
    (StateTaskServiceEcs, "_normalise_response"),
    (StateTaskServiceEcs, "_build_sync_resolver"),
    (StateTaskServiceEcs, "_eval_sync"),
    (Execution, "stop"),
    (BaseExecutionWorkerCommunication, "terminated"),
    (Rule, "send_to_targets"),
    (sfn_state_module, "StateData"),
    *((EC2ContainerServiceBackend, name) for name in _ECS_TASK_OPERATIONS),
    *((DynamoDBBackend, name) for name in DYNAMODB_ITEM_OPERATIONS),
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
        stop_tasks_of_stopped_executions()
        launch_containers_on_run_task(launcher)
        stop_containers_on_stop_task(launcher)
        serialise_ecs_task_registry()
        serialise_dynamodb_items()
        emit_execution_status_changes()
        deliver_rule_events_to_functions(dispatch)
        state_entered_times_as_on_aws()
        sequence_s3_events()
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
