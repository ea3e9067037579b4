"""Private networking for the classifier task when the stack is not given subnets (used by ClassifierCluster).

A VPC with two private subnets in two availability zones and no route to the internet: no
internet gateway, no NAT gateway. Fargate reaches what it needs through VPC endpoints:
S3 and DynamoDB gateway endpoints (ECR image layers live in S3) and interface endpoints for
``ecr.api``, ``ecr.dkr`` and ``logs``. The task security group has no ingress and allows HTTPS
out only to the VPC (the interface endpoints) and to S3's prefix list. Every endpoint carries a
policy limiting it to the stack's own resources (:mod:`components.endpoint_policies`). A DNS
Firewall lets the VPC's resolver answer AWS service names only (:mod:`components.dns_firewall`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import endpoint_policies
from components.dns_firewall import create_dns_firewall

VPC_CIDR = "10.40.0.0/16"
SUBNET_CIDRS = ("10.40.0.0/20", "10.40.16.0/20")
GATEWAY_ENDPOINT_SERVICES = ("s3", "dynamodb")
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "logs")
HTTPS_PORT = 443


@dataclass(frozen=True, kw_only=True)
class EndpointScope:
    """The stack's resources the endpoints may reach (plain ARNs or Outputs)."""

    upload_bucket_arn: pulumi.Input[str]
    results_bucket_arn: pulumi.Input[str]
    table_arns: Sequence[pulumi.Input[str]]
    repository_arn: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]

    def policies(self, region: pulumi.Input[str]) -> dict[str, pulumi.Output[str]]:
        """Endpoint service → its policy as JSON text."""
        return {
            "s3": _policy_json(
                endpoint_policies.s3_endpoint_policy,
                region=region,
                upload_bucket_arn=self.upload_bucket_arn,
                results_bucket_arn=self.results_bucket_arn,
            ),
            "dynamodb": _policy_json(
                endpoint_policies.dynamodb_endpoint_policy, table_arns=pulumi.Output.all(*self.table_arns)
            ),
            **dict.fromkeys(
                ("ecr.api", "ecr.dkr"),
                _policy_json(endpoint_policies.ecr_endpoint_policy, repository_arn=self.repository_arn),
            ),
            "logs": _policy_json(endpoint_policies.logs_endpoint_policy, log_group_arn=self.log_group_arn),
        }


def _policy_json(builder: Callable[..., dict[str, Any]], **inputs: Any) -> pulumi.Output[str]:
    return pulumi.Output.all(**inputs).apply(lambda values: json.dumps(builder(**values)))


@dataclass(frozen=True)
class PrivateNetwork:
    """What the task definition and the state machine need from the created network."""

    vpc: aws.ec2.Vpc
    subnet_ids: pulumi.Output[list[str]]
    task_security_group: aws.ec2.SecurityGroup
    endpoint_security_group: aws.ec2.SecurityGroup


def create_private_network(
    name: str, *, parent: pulumi.Resource, region: pulumi.Input[str], scope: EndpointScope
) -> PrivateNetwork:
    """Declare the private VPC, its subnets, endpoints, security groups and DNS Firewall as children of
    ``parent``.

    Parameters
    ----------
    name
        Prefix of the child names (``f"{name}-vpc"`` ...).
    parent
        The owning component.
    region
        The stack's region, for the endpoint service names.
    scope
        The resources the endpoint policies allow.

    Returns
    -------
    PrivateNetwork
    """
    child = pulumi.ResourceOptions(parent=parent)
    endpoint_policy = scope.policies(region)
    vpc = aws.ec2.Vpc(
        f"{name}-vpc", cidr_block=VPC_CIDR, enable_dns_hostnames=True, enable_dns_support=True, opts=child
    )
    create_dns_firewall(name, parent=parent, vpc_id=vpc.id)
    zones = aws.get_availability_zones_output(
        state="available", opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    route_table = aws.ec2.RouteTable(f"{name}-private-routes", vpc_id=vpc.id, opts=child)
    subnets = []
    for index, cidr in enumerate(SUBNET_CIDRS):
        subnet = aws.ec2.Subnet(
            f"{name}-private-{index}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zones.names[index],
            map_public_ip_on_launch=False,
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-private-{index}-routes", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
        )
        subnets.append(subnet)

    gateway_endpoints = {
        service: aws.ec2.VpcEndpoint(
            f"{name}-{service}-endpoint",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", region, f".{service}"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[route_table.id],
            policy=endpoint_policy[service],
            opts=child,
        )
        for service in GATEWAY_ENDPOINT_SERVICES
    }
    task_security_group = aws.ec2.SecurityGroup(
        f"{name}-task-sg",
        vpc_id=vpc.id,
        description="Classifier task: no inbound; HTTPS out to the VPC endpoints and S3 only",
        egress=[
            _https_rule("HTTPS to the interface endpoints", cidr_blocks=[VPC_CIDR]),
            _https_rule(
                "HTTPS to S3 (gateway endpoint)", prefix_list_ids=[gateway_endpoints["s3"].prefix_list_id]
            ),
        ],
        opts=child,
    )
    endpoint_security_group = aws.ec2.SecurityGroup(
        f"{name}-endpoint-sg",
        vpc_id=vpc.id,
        description="Interface endpoints: HTTPS from the classifier task only",
        ingress=[_https_rule("HTTPS from the classifier task", security_groups=[task_security_group.id])],
        opts=child,
    )
    for service in INTERFACE_ENDPOINT_SERVICES:
        aws.ec2.VpcEndpoint(
            f"{name}-{service.replace('.', '-')}-endpoint",
            vpc_id=vpc.id,
            service_name=pulumi.Output.concat("com.amazonaws.", region, f".{service}"),
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            policy=endpoint_policy[service],
            subnet_ids=[subnet.id for subnet in subnets],
            security_group_ids=[endpoint_security_group.id],
            opts=child,
        )
    return PrivateNetwork(
        vpc=vpc,
        subnet_ids=pulumi.Output.all(*[subnet.id for subnet in subnets]),
        task_security_group=task_security_group,
        endpoint_security_group=endpoint_security_group,
    )


def _https_rule(description: str, **targets: object) -> dict[str, object]:
    return {
        "description": description,
        "protocol": "tcp",
        "from_port": HTTPS_PORT,
        "to_port": HTTPS_PORT,
        **targets,
    }
