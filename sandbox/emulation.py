"""Creates each resource the Pulumi program declares in the emulator, from its resolved inputs.

Each module's ``CREATORS`` maps a resource type token to a small function that makes the emulator
calls ``pulumi up`` would make and answers with the physical id and the attributes the AWS
provider computes (ARNs, URLs, generated ids): :mod:`sandbox.emulated_data` (storage, queues,
events, keys), :mod:`sandbox.emulated_compute` (IAM, Lambda, ECS, Step Functions) and
:mod:`sandbox.emulated_platform` (network, logs and alarms, ECR, Cognito, API Gateway). A type
without a creator, or one its creator finds the emulator cannot hold (an AWS-managed policy moto
does not know), is not emulated: it is answered with a generated id, reported, and nothing is
created.

Names the program leaves to Pulumi get Pulumi's auto-naming shape, ``{logical name}-{7 hex}``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from . import emulated_compute, emulated_data, emulated_platform
from .emulated_data import NotEmulated
from .program import Deployment

PARTITION = "aws"


@dataclass
class Emulator:
    """An administrator's access to the emulator, and what resource creators need to know."""

    session: boto3.session.Session
    region: str
    account_id: str
    stack: str
    _clients: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(service)
            return self._clients[service]

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{PARTITION}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def generated_id(self, logical_name: str, length: int) -> str:
        """Hex characters standing for what AWS or Pulumi generates (stable for a stack and logical name)."""
        return hashlib.sha256(f"{self.stack}/{logical_name}".encode()).hexdigest()[:length]

    def auto_name(self, logical_name: str, *, lower: bool = False) -> str:
        """A physical name shaped like Pulumi's auto-naming."""
        name = f"{logical_name}-{self.generated_id(logical_name, 7)}"
        return name.lower() if lower else name

    def name(
        self, logical_name: str, inputs: dict[str, Any], key: str = "name", *, lower: bool = False
    ) -> str:
        """The physical name the program set in ``inputs[key]``, or an auto-name."""
        return inputs.get(key) or self.auto_name(logical_name, lower=lower)


Creator = Callable[[Emulator, str, dict[str, Any]], tuple[str, dict[str, Any]]]


def make_deploy(emulator: Emulator) -> Callable[[str, str, dict[str, Any]], Deployment]:
    """The ``deploy`` function :func:`sandbox.program.run_program` calls for every custom resource."""
    creators = {**emulated_data.CREATORS, **emulated_compute.CREATORS, **emulated_platform.CREATORS}

    def deploy(type_token: str, logical_name: str, inputs: dict[str, Any], custom: bool) -> Deployment | None:
        if type_token in emulated_platform.STAND_INS:
            return Deployment(
                *emulated_platform.STAND_INS[type_token](emulator, logical_name, inputs), emulated=False
            )
        if not custom or type_token.startswith("pulumi:providers:"):
            return None
        creator = creators.get(type_token)
        if creator is None:
            return Deployment(emulator.auto_name(logical_name), {}, emulated=False)
        try:
            resource_id, outputs = creator(emulator, logical_name, inputs)
        except NotEmulated:
            return Deployment(emulator.auto_name(logical_name), {}, emulated=False)
        except Exception as error:
            raise RuntimeError(
                f"creating {type_token} {logical_name!r} in the emulator failed: {error}"
            ) from error
        return Deployment(resource_id, outputs, emulated=True)

    return deploy


def make_invoke(emulator: Emulator) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """Answers the provider functions the program calls, from the emulator."""

    def invoke(token: str, args: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001 - no invoke takes arguments here
        match token:
            case "aws:index/getRegion:getRegion":
                return {"id": emulator.region, "name": emulator.region, "region": emulator.region}
            case "aws:index/getCallerIdentity:getCallerIdentity":
                identity = emulator.client("sts").get_caller_identity()
                return {
                    "id": identity["Account"],
                    "accountId": identity["Account"],
                    "arn": identity["Arn"],
                    "userId": identity["UserId"],
                }
            case "aws:index/getAvailabilityZones:getAvailabilityZones":
                zones = emulator.client("ec2").describe_availability_zones()["AvailabilityZones"]
                return {
                    "id": emulator.region,
                    "names": [zone["ZoneName"] for zone in zones],
                    "zoneIds": [zone["ZoneId"] for zone in zones],
                }
            case "aws:index/getPartition:getPartition":
                return {"id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com"}
        raise LookupError(f"the sandbox does not answer the provider function {token}")

    return invoke
