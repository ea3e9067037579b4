"""Least-privilege checks of IAM policy documents, as pure functions.

The ``*_problems`` functions return a list of problems (empty = the property holds); each has a
negative twin in the tests that widens a built document and expects the problem to be reported.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult

from policy.rules import is_wildcard_action

Document = Mapping[str, Any]


def as_list(value: Any) -> list[Any]:
    """IAM allows a single string where a list is expected; normalise to a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str | dict) else list(value)


def statements(document: Document, effect: str | None = None) -> list[Mapping[str, Any]]:
    """The document's statements, optionally only those with the given ``Effect``."""
    return [
        statement
        for statement in as_list(document.get("Statement"))
        if effect is None or statement.get("Effect") == effect
    ]


def service_wide_statements(documents: Iterable[Document]) -> list[Mapping[str, Any]]:
    """Statements of any effect, in any of ``documents``, whose actions contain a wildcard."""
    return [
        statement
        for document in documents
        for statement in statements(document)
        if any(is_wildcard_action(action) for action in as_list(statement.get("Action")))
    ]


def resource_scope_problems(
    document: Document, allowed_resources: Collection[str], *, star_resource_actions: Collection[str]
) -> list[str]:
    """Allow statements naming a resource outside ``allowed_resources``.

    ``"*"`` is accepted only when every action of the statement is in ``star_resource_actions``
    (actions AWS authorises on no narrower resource). ``NotResource`` is always a problem.
    """
    problems = []
    for statement in statements(document, "Allow"):
        sid = statement.get("Sid", "<no Sid>")
        actions = as_list(statement.get("Action"))
        if "NotResource" in statement:
            problems.append(f"{sid}: uses NotResource")
        for resource in as_list(statement.get("Resource")):
            if resource == "*":
                broad = sorted(set(actions) - set(star_resource_actions))
                if broad:
                    problems.append(f"{sid}: grants {broad} on every resource")
            elif resource not in allowed_resources:
                problems.append(f"{sid}: resource {resource!r} is not one of the given ARNs or prefixes")
    return problems


def grants(document: Document) -> set[tuple[str, str]]:
    """Every (action, resource) pair an identity policy's Allow statements name, conditions aside."""
    return {
        (action, resource)
        for statement in statements(document, "Allow")
        for action in as_list(statement.get("Action"))
        for resource in as_list(statement.get("Resource"))
    }


def allows(document: Document, action: str, resource: str) -> bool:
    """Whether an Allow statement matches the request (IAM ``*``/``?`` wildcards), conditions aside;
    a ``NotResource`` statement matches every resource its patterns leave out."""
    return any(
        fnmatchcase(action, action_pattern) and fnmatchcase(resource, resource_pattern)
        for action_pattern, resource_pattern in grants(document)
    ) or any(
        any(fnmatchcase(action, pattern) for pattern in as_list(statement.get("Action")))
        and not any(fnmatchcase(resource, pattern) for pattern in as_list(statement["NotResource"]))
        for statement in statements(document, "Allow")
        if "NotResource" in statement
    )


def permitted(document: Document, action: str, resource: str, context: Mapping[str, str]) -> bool:
    """Whether the document allows the request with the given condition keys, as moto's IAM evaluator
    judges it (conditions included, unlike :func:`allows`). moto takes a ``NotResource`` statement for
    one that matches every resource: judge such documents with :func:`allows`."""
    result = IAMPolicy(json.dumps(document)).is_action_permitted(
        action, resource, incoming_condition_values=dict(context)
    )
    return result == PermissionResult.PERMITTED


def conditions_of(document: Document, action: str) -> list[Mapping[str, Any]]:
    """The ``Condition`` blocks of the Allow statements that grant ``action``."""
    return [
        statement.get("Condition", {})
        for statement in statements(document, "Allow")
        if action in as_list(statement.get("Action"))
    ]


def resources_of(document: Document, action: str) -> set[str]:
    """Every resource on which an Allow statement grants ``action``."""
    return {resource for granted_action, resource in grants(document) if granted_action == action}
