"""Lookup and checks of the Lambda functions: runtime, tracing, log group, a handler that exists.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from pulumi_mocks import REPO_ROOT
from resource_types import FUNCTION, LOG_GROUP
from stack_resources import RecordedResource, StackResources


def function_named(stack, logical_name):
    """The Lambda function the program declares under ``logical_name``."""
    return stack.one(FUNCTION, logical_name)


def function_problems(stack: StackResources, function: RecordedResource) -> list[str]:
    """Runtime, X-Ray, a log group with retention named after the function, a handler that exists."""
    inputs, problems = function.inputs, []
    if inputs.get("runtime") != "python3.12":
        problems.append(f"{function.name}: runtime is {inputs.get('runtime')}")
    if inputs.get("tracingConfig", {}).get("mode") != "Active":
        problems.append(f"{function.name}: X-Ray tracing is not active")
    log_groups = stack.attached_to(LOG_GROUP, "name", f"/aws/lambda/{inputs.get('name')}")
    if not any(group.inputs.get("retentionInDays") for group in log_groups):
        problems.append(f"{function.name}: no log group with retention")
    problems += handler_problems(inputs.get("handler", ""), REPO_ROOT)
    return problems


def handler_problems(handler: str, root: Path) -> list[str]:
    """The handler string names a module file under ``handlers/`` that defines a top-level ``handler``."""
    *module_parts, attribute = handler.split(".")
    if not module_parts or module_parts[0] != "handlers":
        return [f"handler {handler!r} is not in the handlers package"]
    path = root.joinpath(*module_parts).with_suffix(".py")
    if not path.is_file():
        return [f"handler {handler!r}: {path.relative_to(root)} does not exist"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    names |= {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    names |= {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return [] if attribute in names else [f"handler {handler!r}: {path.name} defines no {attribute!r}"]
