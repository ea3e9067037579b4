"""moto adjustments that send Lambda invocations to the sandbox's handlers: the ``Invoke`` API and EventBridge rules.

Part of :mod:`sandbox.moto_patches` (see there for what each stands in for).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.events.models import Rule
from moto.utilities.arns import parse_arn


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
