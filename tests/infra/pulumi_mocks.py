"""Pulumi mocks and program runners for the infrastructure tests.

``PipelineMocks.new_resource`` answers like AWS would (:mod:`mock_answers`: ids, names and ARNs in the
real formats) and records every resource with its inputs and outputs (:mod:`stack_resources`), so tests
can ask for "all resources of type X" and check the values the components computed.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import pulumi
from mock_answers import ACCOUNT_ID, REGION, ZONES, resource_outputs
from stack_resources import RecordedResource, StackResources

# The bootstrap's boundary for a stack named `test` (the mocks' stack name).
PERMISSIONS_BOUNDARY_ARN = (
    f"arn:aws:iam::{ACCOUNT_ID}:policy/eeg-pipeline-delivery/test-pipeline-role-boundary"
)

T = TypeVar("T")


class PipelineMocks(pulumi.runtime.Mocks):
    """Realistic outputs per type token, and a record of every resource declared."""

    def __init__(self) -> None:
        self.recorded: list[RecordedResource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, computed = resource_outputs(args.typ, args.name, args.inputs)
        outputs = {**args.inputs, **computed}
        self.recorded.append(
            RecordedResource(
                type_token=args.typ,
                name=args.name,
                inputs=dict(args.inputs),
                provider=args.provider or "",
                resource_id=resource_id,
                outputs=outputs,
            )
        )
        return resource_id, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None] | dict[str, Any]:
        match args.token:
            case "aws:index/getRegion:getRegion":
                return {
                    "id": REGION,
                    "name": REGION,
                    "region": REGION,
                    "description": "Europe (London)",
                    "endpoint": f"ec2.{REGION}.amazonaws.com",
                }
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    "id": ACCOUNT_ID,
                    "accountId": ACCOUNT_ID,
                    "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci",
                    "userId": "AIDAEXAMPLE",
                }
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                return {
                    "id": REGION,
                    "names": list(ZONES),
                    "zoneIds": ["euw2-az2", "euw2-az3", "euw2-az1"],
                    "groupNames": [REGION],
                }
            case "aws:index/getPartition:getPartition":
                return {
                    "id": "aws",
                    "partition": "aws",
                    "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws",
                }
        raise AssertionError(f"the program called an invoke the mocks do not answer: {args.token}")

    @property
    def stack(self) -> StackResources:
        return StackResources(list(self.recorded))


def run_program(build: Callable[[], T]) -> T:
    """Run ``build`` as a Pulumi program on the mocks and wait until every resource is registered."""
    result: dict[str, T] = {}

    def program() -> None:
        result["value"] = build()

    pulumi.runtime.test(program)()
    return result["value"]


def resolve(output: pulumi.Input[Any]) -> Any:
    """The resolved value of an Output (after :func:`run_program`)."""
    box: dict[str, Any] = {}
    pulumi.runtime.test(
        lambda: pulumi.Output.from_input(output).apply(lambda value: box.setdefault("value", value))
    )()
    return box["value"]


REPO_ROOT = Path(__file__).resolve().parents[2]


def new_mocks(project: str = "eeg-pipeline", stack: str = "test") -> PipelineMocks:
    """Install fresh mocks (not a preview) for ``project`` and ``stack`` and return them."""
    mocks = PipelineMocks()
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)
    return mocks


@dataclass
class BuiltStack:
    """Plain data left by one run of ``__main__.py``: the resources and the resolved stack outputs."""

    resources: StackResources
    exports: dict[str, Any]


def run_main_program(
    config: Mapping[str, str], *, mocks: PipelineMocks | None = None, program: Path | None = None
) -> BuiltStack:
    """Run a Pulumi program (default the pipeline's ``__main__.py``) on fresh mocks with a stack config.

    ``config`` maps ``"project:key"`` to values. ``pulumi.export`` is captured, and every exported
    Output resolved, so the result holds no Outputs. Pass ``mocks`` (from :func:`new_mocks`) to
    inspect the record even when the program raises. The program's folder is importable while it
    runs, as under the Pulumi CLI.
    """
    mocks = mocks or new_mocks()
    program = program or REPO_ROOT / "__main__.py"
    pulumi.runtime.set_all_config(dict(config))
    exported: dict[str, Any] = {}
    try:
        with (
            mock.patch.object(pulumi, "export", side_effect=exported.__setitem__),
            mock.patch.object(sys, "path", [str(program.parent), *sys.path]),
        ):
            run_program(lambda: runpy.run_path(str(program), run_name="__main__"))
        exports = {key: resolve(value) for key, value in exported.items()}
    finally:
        pulumi.runtime.set_all_config({})
    return BuiltStack(resources=mocks.stack, exports=exports)


def run_bootstrap(**settings: str) -> BuiltStack:
    """Run the delivery bootstrap (``bootstrap/__main__.py``) on fresh mocks with ``settings`` (its config
    keys without the project name) for the repository ``neuro-lab/eeg-pipeline``."""
    config = {f"eeg-pipeline-bootstrap:{key}": value for key, value in settings.items()}
    return run_main_program(
        {"eeg-pipeline-bootstrap:githubRepository": "neuro-lab/eeg-pipeline", "aws:region": REGION, **config},
        program=REPO_ROOT / "bootstrap" / "__main__.py",
        mocks=new_mocks(project="eeg-pipeline-bootstrap"),
    )
