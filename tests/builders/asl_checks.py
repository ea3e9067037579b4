"""Structural checks of an ASL definition, as pure functions returning a list of problems.

An empty list means the property holds. Each check has a negative twin in the tests: the built
definition is mutated so that the property breaks, and the check must report it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

Definition = Mapping[str, Any]


def transition_targets(state: Mapping[str, Any]) -> Iterator[str]:
    """Every state name a state can move to: ``Next``, Choice rules and ``Default``, Catch targets."""
    if "Next" in state:
        yield state["Next"]
    for rule in state.get("Choices", []):
        yield rule["Next"]
    if "Default" in state:
        yield state["Default"]
    for catcher in state.get("Catch", []):
        yield catcher["Next"]


def transition_problems(definition: Definition) -> list[str]:
    """``StartAt`` and every transition name an existing state; non-terminal states go somewhere."""
    states = definition.get("States", {})
    problems = []
    if definition.get("StartAt") not in states:
        problems.append(f"StartAt {definition.get('StartAt')!r} is not a state")
    for name, state in states.items():
        problems.extend(
            f"{name} moves to missing state {target!r}"
            for target in transition_targets(state)
            if target not in states
        )
        ends = state["Type"] in ("Succeed", "Fail") or state.get("End") is True
        if not ends and "Next" not in state and state["Type"] != "Choice":
            problems.append(f"{name} has neither Next nor End")
    return problems


def unreachable_states(definition: Definition) -> list[str]:
    """States that no path from ``StartAt`` reaches."""
    states = definition.get("States", {})
    reached: set[str] = set()
    pending = [definition.get("StartAt")]
    while pending:
        name = pending.pop()
        if name in reached or name not in states:
            continue
        reached.add(name)
        pending.extend(transition_targets(states[name]))
    return sorted(set(states) - reached)


def catch_problems(definition: Definition) -> list[str]:
    """Task states without a Catch covering ``States.ALL``."""
    return [
        f"{name} has no Catch for States.ALL"
        for name, state in definition.get("States", {}).items()
        if state["Type"] == "Task"
        and not any("States.ALL" in catcher.get("ErrorEquals", []) for catcher in state.get("Catch", []))
    ]


def wait_states(definition: Definition) -> list[str]:
    """Names of Wait states (nothing may poll: the one Wait is the pause before the retry of a task that
    failed to start)."""
    return [name for name, state in definition.get("States", {}).items() if state["Type"] == "Wait"]


def retry_problems(state: Mapping[str, Any], allowed_errors: Sequence[str]) -> list[str]:
    """Retriers of a state that retry anything outside ``allowed_errors``; also flags no Retry."""
    retriers = state.get("Retry", [])
    if not retriers:
        return ["no Retry"]
    return [
        f"retries {error}"
        for retrier in retriers
        for error in retrier.get("ErrorEquals", [])
        if error not in allowed_errors
    ]


def path_from(definition: Definition, start: str) -> list[str]:
    """The states visited from ``start`` along ``Next`` (a Choice's first rule) to a state without one."""
    states, path = definition["States"], [start]
    while len(path) <= len(states):
        state = states[path[-1]]
        following = state["Choices"][0]["Next"] if "Choices" in state else state.get("Next")
        if following is None:
            break
        path.append(following)
    return path
