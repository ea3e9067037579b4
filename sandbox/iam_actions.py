"""The IAM actions and resource ARNs AWS authorises one API request against (pure functions).

moto evaluates identity policies, but for most services against the resource ``*`` and under the
API operation's name, so a statement scoped to a table or a function never matches and
``lambda:InvokeFunction`` is asked as ``lambda:Invoke``. These functions give, for the requests
the pipeline makes, what AWS checks instead (the service authorisation reference):

* DynamoDB: the operation on the table (a transaction: each item's operation on its table);
* Lambda: ``lambda:InvokeFunction`` on the function (qualified when the request names a version);
* ECS: ``RunTask`` on the task definition, task operations on the task;
* SNS: the operation on the topic; Step Functions: on the state machine or the execution;
* EventBridge: the operation on the rule; KMS: on the key.

``None`` means "not covered here": moto's own evaluation applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

Permission = tuple[str, str]
_LAMBDA_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations$")
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_TRANSACTIONS = {"TransactWriteItems", "TransactGetItems"}


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _table_arn(name: str, region: str, account: str) -> str:
    return name if name.startswith("arn:") else _arn("dynamodb", region, account, f"table/{name}")


def dynamodb_permissions(
    action: str, parameters: Mapping[str, Any], region: str, account: str
) -> list[Permission] | None:
    if action in _TRANSACTIONS:
        return [
            (f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(operation["TableName"], region, account))
            for item in parameters.get("TransactItems", [])
            for kind, operation in item.items()
        ]
    if action in {"BatchWriteItem", "BatchGetItem"}:
        return [
            (f"dynamodb:{action}", _table_arn(table, region, account))
            for table in parameters.get("RequestItems", {})
        ]
    table = parameters.get("TableName")
    if not table:
        return None
    resource = _table_arn(table, region, account)
    if parameters.get("IndexName"):
        resource += f"/index/{parameters['IndexName']}"
    return [(f"dynamodb:{action}", resource)]


def lambda_permissions(
    path: str, query: Mapping[str, Any], region: str, account: str
) -> list[Permission] | None:
    found = _LAMBDA_INVOKE_PATH.match(path)
    if found is None:
        return None
    function = unquote(found["function"])
    arn = function if function.startswith("arn:") else _arn("lambda", region, account, f"function:{function}")
    qualifier = query.get("Qualifier")
    return [("lambda:InvokeFunction", f"{arn}:{qualifier}" if qualifier else arn)]


def _name_of(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1]


def ecs_permissions(
    action: str, parameters: Mapping[str, Any], region: str, account: str
) -> list[Permission] | None:
    if action == "RunTask":
        definition = parameters["taskDefinition"]
        if not definition.startswith("arn:"):
            definition = _arn("ecs", region, account, f"task-definition/{definition}")
        return [("ecs:RunTask", definition)]
    if action in {"DescribeTasks", "StopTask"}:
        cluster = _name_of(parameters.get("cluster", "default"))
        tasks = parameters.get("tasks") or [parameters.get("task")]
        return [
            (
                f"ecs:{action}",
                task if task.startswith("arn:") else _arn("ecs", region, account, f"task/{cluster}/{task}"),
            )
            for task in tasks
        ]
    return None


def named_resource_permissions(
    service: str, action: str, parameters: Mapping[str, Any], region: str, account: str
) -> list[Permission] | None:
    """SNS, Step Functions, EventBridge and KMS requests, which name their resource in a parameter."""
    match service:
        case "sns":
            arn = parameters.get("TopicArn") or parameters.get("TargetArn")
        case "states":
            arn = parameters.get("executionArn") or parameters.get("stateMachineArn")
        case "events":
            rule = parameters.get("Rule") or parameters.get("Name")
            arn = _arn("events", region, account, f"rule/{rule}") if rule else None
        case "kms":
            key = parameters.get("KeyId", "")
            arn = (
                key
                if key.startswith("arn:")
                else (_arn("kms", region, account, f"key/{key}") if key else None)
            )
        case _:
            arn = None
    return [(f"{service}:{action}", arn)] if arn else None


def requested_permissions(
    service: str,
    action: str,
    *,
    parameters: Mapping[str, Any],
    path: str,
    query: Mapping[str, Any],
    region: str,
    account: str,
) -> list[Permission] | None:
    """Every (action, resource) AWS would authorise for one request; ``None`` when not covered here.

    ``service`` is the signing name (``dynamodb``, ``lambda``, ``ecs``, ``sns``, ``states``, ``events``,
    ``kms``), ``action`` the API operation, ``parameters`` the request's parameters.
    """
    match service:
        case "dynamodb":
            return dynamodb_permissions(action, parameters, region, account)
        case "lambda":
            return lambda_permissions(path, query, region, account)
        case "ecs":
            return ecs_permissions(action, parameters, region, account)
    return named_resource_permissions(service, action, parameters, region, account)
