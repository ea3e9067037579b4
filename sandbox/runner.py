"""Runs the whole pipeline on this machine against emulated AWS (architecture.md §9).

An in-process moto server stands in for AWS; the Pulumi program itself declares what is created on
it, and IAM is enforced, every function and the classifier task acting with its own role. An
upload goes through exactly the deployed path: ``PutObject`` → EventBridge →
queue → start handler → state machine (the deployed ASL) → validate → mark processing → the
classifier container → process results / record failure → notify. :class:`LocalPipeline` owns the
emulator and deploys the stack on it; :class:`sandbox.running_pipeline.RunningPipeline`, its base,
uploads, waits and fetches results; :mod:`sandbox.outcomes` keeps what each session produced.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import boto3
from moto.moto_api._internal.models import moto_api_backend

from components.config import StackSettings
from contracts.environment import FunctionVariable

from . import moto_patches
from .containers import ContainerLauncher, ContainerRun
from .definition_changes import with_definition_changes
from .emulation import Emulator, make_deploy, make_invoke
from .emulator import free_port, quiet_logs, start_server
from .filter_designs_cache import designs_environment
from .functions import FunctionRuntime, LambdaHandler
from .heap import built_without_collection
from .identities import RoleSessions, create_administrator, iam_enforced
from .moto_patches import Denial, DeployedFunction
from .program import AdjustInputs, DeployedStack, report_line, run_program
from .running_pipeline import RunningPipeline
from .signals import stop_deferred
from .stack import DEFAULT_STACK, LocalStack, stack_settings

#: aws-lambda-powertools' switch for the metric lines (handlers.common.observability), read from the process.
METRICS_DISABLED_VARIABLE = "POWERTOOLS_METRICS_DISABLED"
ROLE = "aws:iam/role:Role"
FUNCTION = "aws:lambda/function:Function"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
_one_at_a_time = threading.Lock()


def container_exit_line(run: ContainerRun, log_dir: Path) -> str:
    """The progress line of a container that ended; one that failed names the log holding its output."""
    line = (
        f"{run.user_id}/{run.session_id}: classifier container exited with {run.exit_code} "
        f"after {run.seconds:.1f}s (task {run.task_size})"
    )
    return line if run.exit_code in (0, None) else f"{line}; its output: {log_dir / f'{run.task_id}.log'}"


def _restore_variable(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def existing_network_stand_in(ec2, settings: StackSettings) -> dict[str, list[str]]:
    """``subnetIds`` and ``securityGroupIds`` of a network created in the emulator for a stack that runs
    its task in existing ones (the emulator holds none of the account's)."""
    vpc_id = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.50.{index * 16}.0/20")["Subnet"]["SubnetId"]
        for index in range(len(settings.subnet_ids))
    ]
    groups = [
        ec2.create_security_group(GroupName=f"existing-{index}", Description="stand-in", VpcId=vpc_id)
        for index in range(len(settings.security_group_ids))
    ]
    return {"subnetIds": subnets, "securityGroupIds": [group["GroupId"] for group in groups]}


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class LocalPipeline(RunningPipeline):
    """The emulated AWS endpoint, the program's stack deployed on it, and helpers to drive it.

    Use as a context manager: entering starts the server, runs the Pulumi program against it (every
    declared resource is created from its resolved inputs), assumes each declared role and turns
    IAM enforcement on; leaving stops every container, enforcement and the server. ``progress``
    receives one line per event worth telling a person about. One runs at a time in a process:
    moto's backends and its IAM enforcement are process-wide.

    Parameters
    ----------
    work_dir : Path
        Where container logs go.
    stack : str
        The stack whose file (``Pulumi.<stack>.yaml``) configures the program; default ``dev``.
    config : mapping, optional
        Overrides of project config keys (``{"taskMemory": 1024}``), validated like the file's.
    train_timeout_seconds : int, optional
        Overrides the ``TrainClassifier`` state's timeout in the deployed definition.
    start_retry_wait_seconds : int, optional
        Overrides the ``WaitBeforeStartRetry`` state's 60 s in the deployed definition (moto sleeps them).
    adjust_inputs : callable, optional
        ``(type token, logical name, inputs) -> inputs``, applied to every resource before it is
        created (tests take a statement out of a role's policy this way).
    docker : bool
        Run the classifier image with Docker instead of its entrypoint as a subprocess.
    max_running : int, optional
        Classifier containers running at once (default: the number of CPUs).
    launcher_factory : callable, optional
        Builds the container launcher from :class:`ContainerLauncher`'s keyword arguments (tests
        substitute containers this way).
    """

    def __init__(
        self,
        *,
        work_dir: Path,
        stack: str = DEFAULT_STACK,
        config: Mapping[str, Any] | None = None,
        train_timeout_seconds: int | None = None,
        start_retry_wait_seconds: int | None = None,
        adjust_inputs: AdjustInputs | None = None,
        progress: Callable[[str], None] = _stderr,
        container_environment: dict[str, str] | None = None,
        handler_log_level: str = "WARNING",
        docker: bool = False,
        max_running: int | None = None,
        launcher_factory: Callable[..., ContainerLauncher] = ContainerLauncher,
    ) -> None:
        self.config = dict(config or {})
        super().__init__(settings=stack_settings(stack, self.config), progress=progress)
        self.work_dir = work_dir
        self.stack_name = stack
        self.adjust_inputs = with_definition_changes(
            adjust_inputs,
            train_timeout_seconds=train_timeout_seconds,
            start_retry_wait_seconds=start_retry_wait_seconds,
        )
        self.container_environment = container_environment or {}
        self.handler_log_level = handler_log_level
        self.docker = docker
        self.max_running = max_running or max(1, os.cpu_count() or 1)
        self.launcher_factory = launcher_factory
        self._exit_stack = ExitStack()
        self.endpoint = ""
        self.deployed: DeployedStack | None = None
        self.roles = RoleSessions()
        self.runtime: FunctionRuntime | None = None
        self.denials: list[Denial] = []

    def _set_environment(self, values: dict[str, str]) -> None:
        self.environment.update(values)
        for name, value in values.items():
            previous = os.environ.get(name)
            self._exit_stack.callback(_restore_variable, name, previous)
            os.environ[name] = value

    def __enter__(self) -> LocalPipeline:
        if not _one_at_a_time.acquire(blocking=False):
            raise RuntimeError("another sandbox is running in this process; moto's state is process-wide")
        self._exit_stack.callback(_one_at_a_time.release)
        with ExitStack() as unwind_on_error:
            unwind_on_error.push(self._exit_stack)
            self._start()
            unwind_on_error.pop_all()
        return self

    def _start(self) -> None:
        # What exists now, and what the deploy builds, stays out of the collector's reach (sandbox.heap)
        # until the pipeline is left, so that what it leaves behind can then be freed.
        gc.freeze()
        self._exit_stack.callback(gc.unfreeze)
        port = free_port()
        region = self.settings.region
        self.endpoint = f"http://127.0.0.1:{port}"
        aws_environment = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }
        # The Step Functions interpreter sends its own AWS calls to localhost:$MOTO_PORT. The stack runs
        # no instances, so moto need not build its thousands of default AMIs (seconds at first EC2 call).
        # No CloudWatch reads the functions' metric lines here: they would only interleave with the output.
        self._set_environment(
            {
                **aws_environment,
                "MOTO_PORT": str(port),
                "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
                METRICS_DISABLED_VARIABLE: "true",
            }
        )
        quiet_logs()
        self.launcher = self.launcher_factory(
            # a real image has its stored filter designs; a local process gets the same file
            base_environment={
                **aws_environment,
                **({} if self.docker else designs_environment()),
                **self.container_environment,
            },
            log_dir=self.work_dir / "container-logs",
            max_running=self.max_running,
            docker=self.docker,
            role_environment=self.roles.environment,
            on_exit=self._container_exited,
        )
        self._exit_stack.enter_context(
            moto_patches.adjusted_moto(self._invoke, self.launcher, self.roles.credentials, self._denied)
        )
        server = start_server(port)
        self._exit_stack.callback(server.stop)
        self._exit_stack.callback(moto_api_backend.reset)
        # A container still running once every session is final (a timed-out run) is stopped, as
        # Step Functions stops the task of a timed-out state.
        self._exit_stack.callback(self.launcher.stop_all)
        self.say(f"emulated AWS listening on {self.endpoint}")
        with built_without_collection():
            self._deploy(aws_environment)
        self._exit_stack.enter_context(iam_enforced(self.endpoint))
        self.say(
            f"stack {self.stack_name} deployed from the Pulumi program, IAM enforced "
            f"(task {self.settings.default_task_size}, runs sized up to {self.settings.maximum_task_size}; "
            f"{self.max_running} container(s) at a time)"
        )

    def _deploy(self, aws_environment: dict[str, str]) -> None:
        """Create the administrator, run the program as it, and assume every role it declared."""
        region = self.settings.region
        # Before enforcement any keys are accepted; the administrator's are used from then on.
        bootstrap = boto3.session.Session("bootstrap", "bootstrap", region_name=region)
        key_id, secret = create_administrator(bootstrap.client("iam"))
        self._set_environment({"AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret})
        self.session = boto3.session.Session(key_id, secret, region_name=region)
        account_id = self.session.client("sts").get_caller_identity()["Account"]
        if self.settings.subnet_ids:
            stand_in = existing_network_stand_in(self.session.client("ec2"), self.settings)
            self.config.update(stand_in)
            created = [*stand_in["subnetIds"], *stand_in["securityGroupIds"]]
            self.say(f"the stack's existing subnets and security groups stand in as {', '.join(created)}")
        emulator = Emulator(self.session, region, account_id, self.stack_name)
        with stop_deferred():
            self.deployed = run_program(
                self.stack_name,
                make_deploy(emulator),
                make_invoke(emulator),
                config=self.config,
                adjust=self.adjust_inputs,
            )
        self.say(report_line(self.deployed))
        self.stack = LocalStack.from_outputs(self.deployed.exports)
        role_arns = [role.outputs["arn"] for role in self.deployed.of_type(ROLE)]
        self.roles.assume(self.session.client("sts"), role_arns)
        self.runtime = FunctionRuntime(
            self.roles,
            region,
            account_id,
            base_environment=aws_environment,
            overrides={FunctionVariable.LOG_LEVEL: self.handler_log_level},
        )

    def _invoke(self, function: DeployedFunction, event: dict[str, Any]) -> Any:
        return self.runtime.invoke(function, event)

    def _denied(self, denial: Denial) -> None:
        self.denials.append(denial)
        self.say(f"access denied: {denial.principal_arn} may not {denial.action} on {denial.resource}")

    def api_handler(self) -> LambdaHandler:
        """A handler-shaped callable invoking the function behind the stack's HTTP API integration."""
        targets = {integration.inputs["integrationUri"] for integration in self.deployed.of_type(INTEGRATION)}
        for function in self.deployed.of_type(FUNCTION):
            if any(f"/functions/{function.outputs['arn']}/" in target for target in targets):
                return self.runtime.handler(
                    DeployedFunction(
                        name=function.outputs["name"],
                        handler=function.inputs["handler"],
                        role_arn=function.inputs["role"],
                        environment=dict((function.inputs.get("environment") or {}).get("variables") or {}),
                    )
                )
        raise LookupError("the stack declares no function behind an HTTP API integration")

    def _container_exited(self, run: ContainerRun) -> None:
        self.say(container_exit_line(run, self.launcher.log_dir))

    def __exit__(self, *exc_info: object) -> None:
        self._exit_stack.close()
