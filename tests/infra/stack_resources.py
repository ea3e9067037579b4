"""The record of one program run on the mocks: each declared resource with its inputs (wire names, camelCase) and the
outputs the mocks returned, queryable by type and name and copyable with one change for negative tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedResource:
    """One registered resource: type token, logical name, inputs and the outputs the mock returned."""

    type_token: str
    name: str
    inputs: dict[str, Any]
    provider: str
    resource_id: str
    outputs: dict[str, Any] = field(default_factory=dict)


class StackResources:
    """The resources one program run declared, queryable by type and name."""

    def __init__(self, resources: list[RecordedResource]) -> None:
        self.resources = resources

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [item for item in self.resources if item.type_token == type_token]

    def one(self, type_token: str, name: str) -> RecordedResource:
        matches = [item for item in self.of_type(type_token) if item.name == name]
        assert len(matches) == 1, f"expected one {type_token} named {name!r}, found {len(matches)}"
        return matches[0]

    def attached_to(self, type_token: str, input_name: str, value: Any) -> list[RecordedResource]:
        """Resources of a type whose input ``input_name`` equals ``value`` (e.g. settings of one bucket)."""
        return [item for item in self.of_type(type_token) if item.inputs.get(input_name) == value]

    def mutated(self, type_token: str, name: str, change: Callable[[dict[str, Any]], None]) -> StackResources:
        """A copy where ``change`` edited the inputs of one resource (for negative tests)."""
        copied = copy.deepcopy(self.resources)
        target = StackResources(copied).one(type_token, name)
        change(target.inputs)
        return StackResources(copied)

    def without(self, type_token: str, name: str) -> StackResources:
        """A copy with one resource removed (for negative tests)."""
        return StackResources(
            [
                copy.deepcopy(item)
                for item in self.resources
                if (item.type_token, item.name) != (type_token, name)
            ]
        )

