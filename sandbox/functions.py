"""The Lambda runtime, as far as the sandbox emulates it: each invocation of a deployed function runs
its handler from ``handlers/`` in this process, with the function's own environment variables and
the credentials of its own role, as Lambda would set them (per invocation, so concurrent
invocations of different functions never see each other's).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers.common.clients import invocation_environment

from .identities import RoleSessions
from .moto_patches import DeployedFunction

LambdaHandler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class LambdaContext:
    """The parts of the Lambda context object the handlers may read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def handler_of(function: DeployedFunction) -> LambdaHandler:
    """The handler a function's ``Handler`` setting names (``handlers.validate.handler``)."""
    module_name, _, attribute = function.handler.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


@dataclass
class FunctionRuntime:
    """Invokes deployed functions in process.

    ``base_environment`` holds what Lambda sets for every function (region, and here the
    emulator's endpoint); ``overrides`` is applied over the function's own variables (the
    sandbox's log level).
    """

    roles: RoleSessions
    region: str
    account_id: str
    base_environment: Mapping[str, str]
    overrides: Mapping[str, str] = field(default_factory=dict)

    def environment(self, function: DeployedFunction) -> dict[str, str]:
        return {
            **function.environment,
            **self.overrides,
            **self.base_environment,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            **self.roles.environment(function.role_arn),
        }

    def invoke(self, function: DeployedFunction, event: dict[str, Any]) -> Any:
        arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{function.name}"
        with invocation_environment(self.environment(function)):
            return handler_of(function)(event, LambdaContext(function.name, arn))

    def handler(self, function: DeployedFunction) -> LambdaHandler:
        """A handler-shaped callable that invokes ``function`` (for the served Status API)."""
        return lambda event, context: self.invoke(function, event)  # noqa: ARG005 - the runtime makes its own context
