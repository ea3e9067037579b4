"""Checks of who may reach what: the JWT authorizer on every API route, buckets that deny requests
without TLS, and role policies scoped to the stack's own resources.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from resource_types import AUTHORIZER, ROLE_POLICY, ROUTE, STATE_MACHINE, TASK_DEFINITION
from stack_resources import StackResources

from contracts.keys import execution_arn_for


def denies_insecure_transport(policy: Mapping[str, Any], bucket_arn: str) -> bool:
    """Whether a bucket policy denies every action on the bucket and its objects when TLS is not used."""
    for statement in _statements(policy):
        condition = statement.get("Condition", {}).get("Bool", {})
        resources = set(as_list(statement.get("Resource")))
        if (
            statement.get("Effect") == "Deny"
            and str(condition.get("aws:SecureTransport")).lower() == "false"
            and {bucket_arn, f"{bucket_arn}/*"} <= resources
            and set(as_list(statement.get("Action"))) & {"s3:*"}
        ):
            return True
    return False


def route_problems(stack: StackResources) -> list[str]:
    """Every route uses JWT authorization with the API's JWT authorizer."""
    jwt_authorizers = {
        item.resource_id for item in stack.of_type(AUTHORIZER) if item.inputs.get("authorizerType") == "JWT"
    }
    return [
        f"route {route.inputs.get('routeKey')!r} is not protected by the JWT authorizer"
        for route in stack.of_type(ROUTE)
        if route.inputs.get("authorizationType") != "JWT"
        or route.inputs.get("authorizerId") not in jwt_authorizers
    ]


def s3_scope_problems(
    policy: Mapping[str, Any], allowed_prefixes: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """Every S3 statement names only the given buckets (``arn``) or objects under their prefixes.

    ``allowed_prefixes`` maps a bucket ARN to the key prefixes objects may be under.
    """
    problems = []
    allowed = {arn for arn in allowed_prefixes} | {
        f"{arn}/{prefix}*" for arn, prefixes in allowed_prefixes.items() for prefix in prefixes
    }
    for statement in _statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        if not any(action.startswith("s3:") for action in actions):
            continue
        if any(action in ("s3:*", "*") for action in actions):
            problems.append(f"wildcard S3 action in {actions}")
        for resource in as_list(statement.get("Resource")):
            if not _within(resource, allowed):
                problems.append(f"S3 resource {resource!r} is outside the stack's buckets and prefixes")
    return problems


def _within(resource: str, allowed: set[str]) -> bool:
    if resource in allowed:
        return True
    # A narrower resource under an allowed prefix (e.g. `.../results/*/manifest.json`) is fine too.
    return any(
        pattern.endswith("*") and resource.startswith(pattern[:-1]) and resource != pattern[:-1]
        for pattern in allowed
    )


def _statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy.get("Statement"))


def as_list(value: Any) -> list[Any]:
    """A policy field that may be a single value or a list, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def unscoped_resource_problems(stack: StackResources, wildcard_actions: frozenset[str]) -> list[str]:
    """Every role-policy resource belongs to this stack; ``"*"`` only for actions AWS cannot scope.

    A resource is in scope when it starts with the ARN of a resource the stack declared (a bucket
    ARN covers its key prefixes, a log group ARN its streams), is a task of this stack's cluster, a
    revision of its task definition's family or an execution of its state machine, or is the rule Step
    Functions manages for ``.sync`` ECS tasks.
    """
    scopes = {item.outputs["arn"] for item in stack.resources if isinstance(item.outputs.get("arn"), str)}
    scopes.update(execution_arn_for(machine.outputs["arn"], "") for machine in stack.of_type(STATE_MACHINE))
    for cluster in stack.of_type("aws:ecs/cluster:Cluster"):
        scopes.add(cluster.outputs["arn"].replace(":cluster/", ":task/") + "/")
    scopes.update(f"{family.outputs['arnWithoutRevision']}:" for family in stack.of_type(TASK_DEFINITION))
    account_region = stack.of_type("aws:ecs/cluster:Cluster")[0].outputs["arn"].split(":cluster/")[0]
    scopes.add(account_region.replace(":ecs:", ":events:") + ":rule/StepFunctionsGetEventsForECSTaskRule")
    problems = []
    for policy in stack.of_type(ROLE_POLICY):
        for statement in _statements(json.loads(policy.inputs["policy"])):
            actions = set(as_list(statement.get("Action")))
            for resource in as_list(statement.get("Resource")):
                if resource == "*" and not actions <= wildcard_actions:
                    problems.append(f"{policy.name}: {sorted(actions - wildcard_actions)} on '*'")
                elif resource != "*" and not any(resource.startswith(scope) for scope in scopes):
                    problems.append(f"{policy.name}: {resource} is not a resource of this stack")
    return problems
