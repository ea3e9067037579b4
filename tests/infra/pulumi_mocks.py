"""Pulumi mocks and program runners for the infrastructure tests.

``PipelineMocks.new_resource`` answers like AWS would: ids, names and ARNs in the real formats
(account 123456789012, region eu-west-2), ``imageUri`` with a digest for ``awsx:ecr:Image``,
``invokeArn`` for functions, ``executionArn`` for HTTP APIs. Every resource is recorded with its
inputs (wire names, camelCase) and outputs, so tests can ask for "all resources of type X" and
check the values the components computed.
"""

from __future__ import annotations

import copy
import hashlib
import runpy
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import pulumi

ACCOUNT_ID = "123456789012"
REGION = "eu-west-2"
ZONES = ("eu-west-2a", "eu-west-2b", "eu-west-2c")
S3_PREFIX_LIST_ID = "pl-7ca54015"
# The bootstrap's boundary for a stack named `test` (the mocks' stack name).
PERMISSIONS_BOUNDARY_ARN = (
    f"arn:aws:iam::{ACCOUNT_ID}:policy/eeg-pipeline-delivery/test-pipeline-role-boundary"
)

T = TypeVar("T")


@dataclass
class RecordedResource:
    """One registered resource: type token, logical name, inputs and the outputs the mock returned."""

    type_token: str
    name: str
    inputs: dict[str, Any]
    provider: str
    resource_id: str
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def urn_suffix(self) -> str:
        return f"{self.type_token}::{self.name}"


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


def _suffix(name: str, length: int = 8) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def _arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _mock_outputs(type_token: str, logical_name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Physical id and computed outputs of one resource, shaped like the real provider's."""
    name = inputs.get("name") or inputs.get("bucket") or f"{logical_name}-{_suffix(logical_name, 7)}"
    short = _suffix(logical_name)
    match type_token:
        case "aws:s3/bucket:Bucket":
            return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}", "region": REGION}
        case "aws:dynamodb/table:Table":
            return name, {"name": name, "arn": _arn("dynamodb", f"table/{name}")}
        case "aws:sqs/queue:Queue":
            url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            return url, {"name": name, "arn": _arn("sqs", name), "url": url}
        case "aws:lambda/function:Function":
            arn = _arn("lambda", f"function:{name}")
            invoke_arn = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"
            return name, {"name": name, "arn": arn, "invokeArn": invoke_arn, "qualifiedArn": f"{arn}:$LATEST"}
        case "aws:iam/role:Role":
            return name, {
                "name": name,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:role{inputs.get('path', '/')}{name}",
                "uniqueId": f"AROA{short}",
            }
        case "aws:iam/policy:Policy":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:policy{inputs.get('path', '/')}{name}"
            return arn, {"name": name, "arn": arn, "policyId": f"ANPA{short}"}
        case "aws:iam/rolePolicy:RolePolicy":
            return f"{inputs.get('role')}:{name}", {"name": name}
        case "aws:sfn/stateMachine:StateMachine":
            arn = _arn("states", f"stateMachine:{name}")
            return arn, {"name": name, "arn": arn}
        case "aws:ecs/cluster:Cluster":
            arn = _arn("ecs", f"cluster/{name}")
            return arn, {"name": name, "arn": arn}
        case "aws:ecs/taskDefinition:TaskDefinition":
            family = inputs.get("family", name)
            return family, {
                "arn": _arn("ecs", f"task-definition/{family}:1"),
                "arnWithoutRevision": _arn("ecs", f"task-definition/{family}"),
                "revision": 1,
            }
        case "aws:ecr/repository:Repository":
            return name, {
                "name": name,
                "arn": _arn("ecr", f"repository/{name}"),
                "registryId": ACCOUNT_ID,
                "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{name}",
            }
        case "awsx:ecr:Image":
            digest = hashlib.sha256(str(inputs.get("context")).encode()).hexdigest()
            return short, {"imageUri": f"{inputs['repositoryUrl']}@sha256:{digest}"}
        case "aws:apigatewayv2/api:Api":
            api_id = short[:10]
            return api_id, {
                "apiEndpoint": f"https://{api_id}.execute-api.{REGION}.amazonaws.com",
                "executionArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}",
                "arn": f"arn:aws:apigateway:{REGION}::/apis/{api_id}",
            }
        case "aws:apigatewayv2/stage:Stage":
            return inputs.get("name", short), {
                "invokeUrl": f"https://api.execute-api.{REGION}.amazonaws.com/"
            }
        case "aws:cognito/userPool:UserPool":
            pool_id = f"{REGION}_{short}"
            return pool_id, {
                "arn": _arn("cognito-idp", f"userpool/{pool_id}"),
                "endpoint": f"cognito-idp.{REGION}.amazonaws.com/{pool_id}",
            }
        case "aws:kms/key:Key":
            key_id = f"{short}-1234-4abc-8def-{_suffix(logical_name + 'k', 12)}"
            return key_id, {"keyId": key_id, "arn": _arn("kms", f"key/{key_id}")}
        case "aws:cloudwatch/logGroup:LogGroup":
            return name, {"name": name, "arn": _arn("logs", f"log-group:{name}")}
        case "aws:sns/topic:Topic":
            arn = _arn("sns", name)
            return arn, {"name": name, "arn": arn}
        case "aws:cloudwatch/eventRule:EventRule":
            return name, {"name": name, "arn": _arn("events", f"rule/{name}")}
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return name, {"name": name, "arn": _arn("cloudwatch", f"alarm:{name}")}
        case "aws:cloudwatch/dashboard:Dashboard":
            dashboard = inputs.get("dashboardName", name)
            return dashboard, {"dashboardArn": f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/{dashboard}"}
        case "aws:ec2/vpc:Vpc":
            return f"vpc-0{short}", {"arn": _arn("ec2", f"vpc/vpc-0{short}")}
        case "aws:ec2/subnet:Subnet":
            return f"subnet-0{short}", {"arn": _arn("ec2", f"subnet/subnet-0{short}")}
        case "aws:ec2/securityGroup:SecurityGroup":
            return f"sg-0{short}", {"arn": _arn("ec2", f"security-group/sg-0{short}")}
        case "aws:ec2/routeTable:RouteTable":
            return f"rtb-0{short}", {}
        case "aws:ec2/vpcEndpoint:VpcEndpoint":
            gateway = inputs.get("vpcEndpointType") == "Gateway"
            return f"vpce-0{short}", {"prefixListId": S3_PREFIX_LIST_ID if gateway else ""}
        case _:
            return f"{logical_name}-{short}", {}


class PipelineMocks(pulumi.runtime.Mocks):
    """Realistic outputs per type token, and a record of every resource declared."""

    def __init__(self) -> None:
        self.recorded: list[RecordedResource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, computed = _mock_outputs(args.typ, args.name, args.inputs)
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


def new_mocks(project: str = "eeg-pipeline") -> PipelineMocks:
    """Install fresh mocks (stack ``test``, not a preview) for ``project`` and return them."""
    mocks = PipelineMocks()
    pulumi.runtime.set_mocks(mocks, project=project, stack="test", preview=False)
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
