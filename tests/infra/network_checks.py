"""Checks of the private network: no path to the internet, the endpoints Fargate needs, a closed task
security group.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

from resource_types import VPC_ENDPOINT
from stack_resources import RecordedResource, StackResources


def network_problems(stack: StackResources) -> list[str]:
    """No internet path; the endpoints Fargate needs exist; the task security group is closed."""
    problems = []
    for forbidden in (
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    ):
        if stack.of_type(forbidden):
            problems.append(f"the stack declares {forbidden}")
    for route_table in stack.of_type("aws:ec2/routeTable:RouteTable"):
        if route_table.inputs.get("routes"):
            problems.append(f"{route_table.name} has routes beyond the local one")
    if stack.of_type("aws:ec2/route:Route"):
        problems.append("the stack declares explicit routes")
    # "com.amazonaws.eu-west-2.ecr.api" -> "ecr.api"
    endpoints = {
        item.inputs.get("serviceName", "").split(".", 3)[-1]: item for item in stack.of_type(VPC_ENDPOINT)
    }
    for service in ("s3", "dynamodb"):
        if endpoints.get(service) is None or endpoints[service].inputs.get("vpcEndpointType") != "Gateway":
            problems.append(f"no {service} gateway endpoint")
    for service in ("ecr.api", "ecr.dkr", "logs"):
        endpoint = endpoints.get(service)
        if endpoint is None or endpoint.inputs.get("vpcEndpointType") != "Interface":
            problems.append(f"no {service} interface endpoint")
        elif endpoint.inputs.get("privateDnsEnabled") is not True:
            problems.append(f"the {service} endpoint has no private DNS")
    for subnet in stack.of_type("aws:ec2/subnet:Subnet"):
        if subnet.inputs.get("mapPublicIpOnLaunch"):
            problems.append(f"{subnet.name} assigns public IPs")
    return problems


def task_security_group_problems(group: RecordedResource) -> list[str]:
    """No ingress; egress only HTTPS."""
    problems = []
    if group.inputs.get("ingress"):
        problems.append(f"{group.name} allows ingress")
    egress = group.inputs.get("egress", [])
    if not egress:
        problems.append(f"{group.name} has no egress to the endpoints")
    for rule in egress:
        if (rule.get("protocol"), rule.get("fromPort"), rule.get("toPort")) != ("tcp", 443, 443):
            problems.append(f"{group.name} allows egress beyond HTTPS: {rule}")
        if "0.0.0.0/0" in rule.get("cidrBlocks", []):
            problems.append(f"{group.name} allows egress to the internet")
    return problems
