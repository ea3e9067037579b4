"""One Lambda function with everything it needs, from one call.

Used by :class:`~components.state_machine.ProcessingStateMachine` and
:class:`~components.status_api.StatusApi` so the function + role + inline policy + log group
shape is written once. Not a ComponentResource: the children belong to the calling component.

Functions run on arm64 (Graviton): the handlers and the packages vendored with them
(:mod:`components.lambda_archive`) are pure Python, and arm64 is the cheaper architecture for the
same memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import above_threshold_alarm
from components.lambda_archive import HANDLERS_DIR, handlers_archive
from components.roles import create_service_role
from contracts.environment import DEFAULT_LOG_LEVEL, FUNCTION_ENVIRONMENTS, FunctionVariable

LAMBDA_RUNTIME = "python3.12"
LAMBDA_ARCHITECTURE = "arm64"
_MAX_FUNCTION_NAME_LENGTH = 64
# Lambda's function name characters. A Pulumi stack name may also hold periods; the CloudWatch
# dashboard and ECS task family names, which embed the stack name too, accept these characters only.
_FUNCTION_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


def function_environment(
    module: str, available: Mapping[FunctionVariable, pulumi.Input[str]]
) -> dict[str, pulumi.Input[str]]:
    """The environment of the function running ``handlers.{module}``: exactly the variables it reads
    (:data:`contracts.environment.FUNCTION_ENVIRONMENTS`), out of ``available``, at the default log level."""
    return FUNCTION_ENVIRONMENTS[module].pick({FunctionVariable.LOG_LEVEL: DEFAULT_LOG_LEVEL, **available})


@dataclass(frozen=True, kw_only=True)
class LambdaFunctionSpec:
    """What differs between our functions.

    Attributes
    ----------
    part
        Kebab-case part of the child names (``validate-fn``); also the function name suffix.
    module
        Module under ``handlers/`` whose ``handler`` is the entry point (``validate``).
    memory_mb, timeout_seconds
        Function size and timeout.
    environment
        Environment variables (only the ones this handler reads, per docs/contracts.md).
    policy_builder
        A function of :mod:`components.policies` returning the role's policy document; it receives
        ``log_group_arn`` plus ``policy_inputs`` as keyword arguments.
    policy_inputs
        The other keyword arguments of ``policy_builder`` (ARNs, possibly Outputs).
    reserved_concurrency
        Concurrent executions reserved for (and capping) the function; ``None`` for the unreserved pool.
    """

    part: str
    module: str
    memory_mb: int
    timeout_seconds: int
    environment: Mapping[str, pulumi.Input[str]]
    policy_builder: Callable[..., dict[str, Any]]
    policy_inputs: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        if not (HANDLERS_DIR / f"{self.module}.py").is_file() and not (HANDLERS_DIR / self.module).is_dir():
            raise ValueError(f"handlers/{self.module}.py does not exist")
        if not 1 <= self.timeout_seconds <= 900:
            raise ValueError(f"timeout_seconds {self.timeout_seconds} is outside Lambda's 1..900")
        if not 128 <= self.memory_mb <= 10240:
            raise ValueError(f"memory_mb {self.memory_mb} is outside Lambda's 128..10240")
        if self.reserved_concurrency is not None and self.reserved_concurrency < 1:
            raise ValueError(f"reserved_concurrency must be at least 1, got {self.reserved_concurrency}")


@dataclass(frozen=True)
class LambdaFunction:
    """The resources made for one function (``part`` as in its spec)."""

    part: str
    function: aws.lambda_.Function
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup


def function_name(owner_name: str, part: str) -> str:
    """The physical function name: ``{owner}-{part}-{stack}``, so the log group name is known up front."""
    stack = pulumi.get_stack()
    name = f"{owner_name}-{part}-{stack}"
    if not _FUNCTION_NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"Lambda function name {name!r} may hold only letters, digits, hyphens and underscores: "
            f"the stack name {stack!r} must hold only these characters"
        )
    if len(name) > _MAX_FUNCTION_NAME_LENGTH:
        raise ValueError(
            f"Lambda function name {name!r} is longer than {_MAX_FUNCTION_NAME_LENGTH} characters"
        )
    return name


def create_lambda_function(
    owner_name: str,
    spec: LambdaFunctionSpec,
    *,
    parent: pulumi.Resource,
    log_retention_days: int,
    permissions_boundary_arn: str | None = None,
) -> LambdaFunction:
    """Declare a function, its log group (created first, with retention), its role and inline policy.

    Parameters
    ----------
    owner_name
        Logical name of the calling component; children are ``f"{owner_name}-{spec.part}..."``.
    spec
        The function's module, size, environment and policy.
    parent
        The calling component (children inherit its provider and so the default tags).
    log_retention_days
        Retention of the function's log group.
    permissions_boundary_arn
        Permissions boundary of the function's role (the stack's), or ``None``.

    Returns
    -------
    LambdaFunction
    """
    child = pulumi.ResourceOptions(parent=parent)
    physical_name = function_name(owner_name, spec.part)
    log_group = aws.cloudwatch.LogGroup(
        f"{owner_name}-{spec.part}-logs",
        name=f"/aws/lambda/{physical_name}",
        retention_in_days=log_retention_days,
        opts=child,
    )
    policy_document = pulumi.Output.all(log_group_arn=log_group.arn, **spec.policy_inputs).apply(
        lambda arns: json.dumps(spec.policy_builder(**arns))
    )
    role, role_policy = create_service_role(
        f"{owner_name}-{spec.part}-role",
        "lambda.amazonaws.com",
        policy_document,
        parent=parent,
        permissions_boundary_arn=permissions_boundary_arn,
        policy_name=f"{owner_name}-{spec.part}-policy",
    )
    function = aws.lambda_.Function(
        f"{owner_name}-{spec.part}",
        name=physical_name,
        code=handlers_archive(),
        handler=f"handlers.{spec.module}.handler",
        runtime=LAMBDA_RUNTIME,
        architectures=[LAMBDA_ARCHITECTURE],
        memory_size=spec.memory_mb,
        timeout=spec.timeout_seconds,
        role=role.arn,
        environment={"variables": dict(spec.environment)},
        tracing_config={"mode": "Active"},
        reserved_concurrent_executions=spec.reserved_concurrency,
        # The role policy must exist before the first invocation, the log group before the first log line.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_group, role_policy]),
    )
    return LambdaFunction(
        part=spec.part, function=function, role=role, role_policy=role_policy, log_group=log_group
    )


def create_errors_alarm(
    owner_name: str,
    part: str,
    *,
    parent: pulumi.Resource,
    function_name_output: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
) -> aws.cloudwatch.MetricAlarm:
    """Alarm (to ``topic_arn``) as soon as one invocation of the function fails in a minute."""
    return above_threshold_alarm(
        f"{owner_name}-{part}-errors-alarm",
        description=pulumi.Output.concat("Errors of Lambda function ", function_name_output),
        namespace="AWS/Lambda",
        metric_name="Errors",
        dimensions={"FunctionName": function_name_output},
        statistic="Sum",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
    )
