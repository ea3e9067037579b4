"""Runs the Pulumi program (``__main__.py``) in process on Pulumi's mock runtime, deploying as it goes.

The mock runtime hands every resource the program registers to :class:`DeployingMocks` with its
inputs resolved (Outputs of other resources already replaced by their values). The mocks pass each
one to a ``deploy`` function that creates it in the emulator and answers with the real physical id
and attributes, so a reference between resources (a role ARN in a function, function ARNs in the
state machine definition, table names in an environment) resolves to what the emulator created.
Invokes (region, account, availability zones, partition) are answered by ``invoke``.

Nothing here knows about AWS services: :mod:`sandbox.emulation` does.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import get_root_resource, set_root_resource

from components.config import PROJECT_NAME
from components.stack_file import pulumi_config

PROGRAM = Path(__file__).resolve().parent.parent / "__main__.py"

#: ``(type token, logical name, resolved inputs, custom) -> Deployment``, or ``None`` for a component or
#: provider that has nothing to create.
Deploy = Callable[[str, str, dict[str, Any], bool], "Deployment | None"]
Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]
#: Changes the inputs of a resource before it is deployed (tests take a statement out of a policy).
AdjustInputs = Callable[[str, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Deployment:
    """What ``deploy`` answers for one resource: its physical id, the attributes it computed, and
    whether the emulator holds it (a resource it cannot hold still answers with plausible attributes)."""

    resource_id: str
    outputs: dict[str, Any]
    emulated: bool


def stack_file(stack: str) -> Path:
    return PROGRAM.parent / f"Pulumi.{stack}.yaml"


@dataclass(frozen=True)
class DeclaredResource:
    """One resource the program registered, the inputs it was created from, and whether it was emulated."""

    type_token: str
    name: str
    inputs: dict[str, Any]
    resource_id: str
    outputs: dict[str, Any]
    emulated: bool
    #: A component or a provider: declared, but nothing to create.
    logical_only: bool


@dataclass
class DeployedStack:
    """What one run of the program declared and exported (exports resolved to plain values)."""

    resources: list[DeclaredResource] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[DeclaredResource]:
        return [resource for resource in self.resources if resource.type_token == type_token]


class DeployingMocks(pulumi.runtime.Mocks):
    """Mock runtime callbacks that deploy each registered resource and record it."""

    def __init__(self, deploy: Deploy, invoke: Invoke, adjust: AdjustInputs | None = None) -> None:
        self._deploy, self._invoke, self._adjust = deploy, invoke, adjust
        self._lock = threading.Lock()
        self.stack = DeployedStack()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        if self._adjust is not None:
            inputs = self._adjust(args.typ, args.name, inputs)
        # The runtime registers resources from several threads; the emulator is driven one call at a time.
        with self._lock:
            deployment = self._deploy(args.typ, args.name, inputs, bool(args.custom))
            logical_only = deployment is None
            deployment = deployment or Deployment(args.name, {}, emulated=False)
            outputs = {**inputs, **deployment.outputs}
            self.stack.resources.append(
                DeclaredResource(
                    type_token=args.typ,
                    name=args.name,
                    inputs=inputs,
                    resource_id=deployment.resource_id,
                    outputs=outputs,
                    emulated=deployment.emulated,
                    logical_only=logical_only,
                )
            )
        return deployment.resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return self._invoke(args.token, dict(args.args))


def run_program(
    stack: str,
    deploy: Deploy,
    invoke: Invoke,
    *,
    config: Mapping[str, Any] | None = None,
    adjust: AdjustInputs | None = None,
) -> DeployedStack:
    """Run ``__main__.py`` with the config of ``Pulumi.<stack>.yaml``, deploying every resource it declares.

    ``config`` overrides project keys (as ``pulumi config set`` would). The settings go through the
    program's own validation (``load_settings``), exactly as on ``pulumi up``; an invalid stack file
    raises the program's ``ConfigError``.
    """
    mocks = DeployingMocks(deploy, invoke, adjust)
    # A fresh root stack resource, so that only this run's exports are collected.
    set_root_resource(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT_NAME, stack=stack, preview=False)
    pulumi.runtime.set_all_config(pulumi_config(stack_file(stack), config))

    def program() -> pulumi.Output[Any]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        exported: Mapping[str, Any] = dict(get_root_resource().outputs)
        return pulumi.Output.from_input(exported).apply(mocks.stack.exports.update)

    try:
        pulumi.runtime.test(program)()
    finally:
        pulumi.runtime.set_all_config({})
        set_root_resource(None)
    return mocks.stack


def report_line(stack: DeployedStack) -> str:
    """``stack: N resources declared, M emulated; not emulated: TYPE ×k, ...`` (components and providers
    are declared but have nothing to create)."""
    creatable = [resource for resource in stack.resources if not resource.logical_only]
    emulated = sum(resource.emulated for resource in creatable)
    missing: dict[str, int] = {}
    for resource in creatable:
        if not resource.emulated:
            missing[resource.type_token] = missing.get(resource.type_token, 0) + 1
    line = f"stack: {len(stack.resources)} resources declared, {emulated} emulated"
    if missing:
        line += "; not emulated: " + ", ".join(
            f"{token} ×{count}" for token, count in sorted(missing.items())
        )
    return line
