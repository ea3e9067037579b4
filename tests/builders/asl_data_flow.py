"""Where a secret placed in the state can flow: a walk over every path of an ASL definition (JSONPath).

The walk tracks which top-level fields of the state may hold the secret (``ANY_FIELD`` when the state
was replaced by a value that may hold it) through each state's ``InputPath``, ``Parameters``,
``Result``, ``ResultPath``, ``OutputPath`` and Catch, along every transition, until nothing new is
reached. It is conservative where it cannot know: a caught error may hold whatever the failed state was
given (an ECS task's description holds its overrides), and a task whose service answers with its
request (``ecs:runTask``) returns what it was given. A Lambda's result is its handler's return value,
which holds the secret only when the state stores that result at ``secret_path`` (the state that makes it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Definition = Mapping[str, Any]
Taint = frozenset[str]

ANY_FIELD = "*"
_STATE_PATH = re.compile(r"(?<!\$)\$(?:\.[A-Za-z0-9_]+)*")
_ECHOING_RESOURCE_PREFIX = "arn:aws:states:::ecs:runTask"


def _field(path: str) -> str | None:
    """The top-level field a path starts with (``None`` for ``$``)."""
    parts = path.removeprefix("$").lstrip(".").split(".")
    return parts[0] or None


def _holds(taint: Taint, path: str | None) -> bool:
    """Whether the value at ``path`` may hold the secret (an explicit ``null`` path selects nothing)."""
    if path is None:
        return False
    field = _field(path)
    return bool(taint) if field is None else bool({field, ANY_FIELD} & taint)


def _select(taint: Taint, path: str | None) -> Taint:
    """The taint of the value at ``path``, as the new state (``InputPath``, ``OutputPath``)."""
    if path is not None and _field(path) is None:
        return taint
    return frozenset({ANY_FIELD}) if _holds(taint, path) else frozenset()


def _write(taint: Taint, path: str | None, value_holds: bool) -> Taint:
    """The state's taint after a value is written at ``path`` (``ResultPath``; ``null`` discards it)."""
    if path is None:
        return taint
    field = _field(path)
    if field is None:
        return frozenset({ANY_FIELD}) if value_holds else frozenset()
    whole_field = "." not in path.removeprefix("$.")
    kept = taint - {field} if whole_field else taint
    return kept | {field} if value_holds else kept


def _parameters_hold(taint: Taint, parameters: Any) -> bool:
    """Whether a ``Parameters`` template reads a path that may hold the secret (``$$`` paths never do)."""
    if isinstance(parameters, Mapping):
        return any(
            (key.endswith(".$") and isinstance(value, str) and _expression_holds(taint, value))
            or _parameters_hold(taint, value)
            for key, value in parameters.items()
        )
    if isinstance(parameters, list):
        return any(_parameters_hold(taint, value) for value in parameters)
    return False


def _expression_holds(taint: Taint, expression: str) -> bool:
    return any(_holds(taint, path) for path in _STATE_PATH.findall(expression.replace("$$.", "")))


@dataclass(frozen=True)
class SecretFlow:
    """What the walk found: the fields that may hold the secret as each state is entered (over all
    paths), and each way it may leave the execution (a Succeed state's output, a Fail state's
    ``ErrorPath``/``CausePath``)."""

    entered: Mapping[str, frozenset[str]]
    leaks: list[str]


def secret_flow(definition: Definition, secret_path: str) -> SecretFlow:
    """Walk ``definition`` from an input without the secret, which the Task states storing their result
    at ``secret_path`` put in the state."""
    states = definition["States"]
    entered: dict[str, set[str]] = {name: set() for name in states}
    leaks: set[str] = set()
    seen: set[tuple[str, Taint]] = set()
    pending: list[tuple[str, Taint]] = [(definition["StartAt"], frozenset())]
    while pending:
        name, taint = pending.pop()
        if (name, taint) in seen:
            continue
        seen.add((name, taint))
        entered[name] |= taint
        state = states[name]
        for following, following_taint in _transitions(state, taint, secret_path):
            pending.append((following, following_taint))
        leaks.update(f"{name} {leak}" for leak in _terminal_leaks(state, taint, secret_path))
    return SecretFlow({name: frozenset(fields) for name, fields in entered.items()}, sorted(leaks))


def _given(state: Mapping[str, Any], taint: Taint) -> bool:
    """Whether what the state acts on (its input after ``InputPath`` and ``Parameters``) may hold the secret."""
    selected = _select(taint, state.get("InputPath", "$"))
    if "Parameters" in state:
        return _parameters_hold(selected, state["Parameters"])
    return bool(selected)


def _transitions(state: Mapping[str, Any], taint: Taint, secret_path: str) -> list[tuple[str, Taint]]:
    kind = state["Type"]
    if kind == "Choice":
        return [(rule["Next"], taint) for rule in state["Choices"]] + (
            [(state["Default"], taint)] if "Default" in state else []
        )
    given = _given(state, taint)
    moves = [
        (catcher["Next"], _write(taint, catcher.get("ResultPath", "$"), given)) for catcher in state.get("Catch", [])
    ]
    if "Next" in state:
        moves.append((state["Next"], _output(state, taint, secret_path)))
    return moves


def _output(state: Mapping[str, Any], taint: Taint, secret_path: str) -> Taint:
    """The taint of a Task, Pass or Wait state's output once it succeeded."""
    kind = state["Type"]
    if kind not in ("Task", "Pass", "Wait"):
        raise ValueError(f"the walk does not follow {kind} states")
    after = _select(taint, state.get("InputPath", "$"))
    if kind != "Wait":
        given = _given(state, taint)
        if kind == "Pass":
            result_holds = False if "Result" in state else given
        else:
            echoes = state.get("Resource", "").startswith(_ECHOING_RESOURCE_PREFIX)
            result_holds = state.get("ResultPath", "$") == secret_path or (echoes and given)
        after = _write(taint, state.get("ResultPath", "$"), result_holds)
    return _select(after, state.get("OutputPath", "$"))


def _terminal_leaks(state: Mapping[str, Any], taint: Taint, secret_path: str) -> list[str]:
    kind = state["Type"]
    if kind == "Fail":
        paths = ("ErrorPath", "CausePath")
        return [f"takes its {key} from the secret" for key in paths if _holds(taint, state.get(key))]
    if kind == "Succeed":
        output = _select(_select(taint, state.get("InputPath", "$")), state.get("OutputPath", "$"))
    elif state.get("End") is True:
        output = _output(state, taint, secret_path)
    else:
        return []
    return ["outputs the secret"] if output else []
