"""Checks of the private network: no path to the internet, the endpoints Fargate needs, a closed task
security group, a DNS Firewall that answers AWS service names only.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

from resource_types import (
    FIREWALL_ASSOCIATION,
    FIREWALL_CONFIG,
    FIREWALL_DOMAIN_LIST,
    FIREWALL_RULE,
    VPC,
    VPC_ENDPOINT,
)
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


#: What the created VPC's rule group must do, by ascending priority: (action, domains, block response).
EXPECTED_DNS_RULES = [
    ("ALLOW", ["amazonaws.com", "*.amazonaws.com"], None),
    ("BLOCK", ["*"], "NXDOMAIN"),
]


def dns_firewall_problems(stack: StackResources) -> list[str]:
    """Every created VPC has one rule group associated: AWS service names are answered, any other
    name gets NXDOMAIN; and the firewall fails closed."""
    problems = []
    vpc_ids = sorted(vpc.resource_id for vpc in stack.of_type(VPC))
    associations = stack.of_type(FIREWALL_ASSOCIATION)
    associated = sorted(association.inputs.get("vpcId") for association in associations)
    if associated != vpc_ids:
        problems.append(f"rule groups associated with {associated}, the stack's VPCs are {vpc_ids}")
    fail_open = {
        config.inputs.get("resourceId"): config.inputs.get("firewallFailOpen")
        for config in stack.of_type(FIREWALL_CONFIG)
    }
    problems += [
        f"{vpc_id}: DNS Firewall does not fail closed" for vpc_id in vpc_ids if fail_open.get(vpc_id) != "DISABLED"
    ]
    for association in associations:
        rules = dns_firewall_rules(stack, association.inputs.get("firewallRuleGroupId"))
        if rules != EXPECTED_DNS_RULES:
            problems.append(f"{association.name}: rules {rules}, expected {EXPECTED_DNS_RULES}")
    return problems


def dns_firewall_rules(stack: StackResources, rule_group_id: str) -> list[tuple[str, list[str], str | None]]:
    """The rules of one rule group by ascending priority: (action, domains of its list, block response)."""
    domains = {item.resource_id: item.inputs.get("domains") for item in stack.of_type(FIREWALL_DOMAIN_LIST)}
    rules = sorted(
        (rule.inputs for rule in stack.attached_to(FIREWALL_RULE, "firewallRuleGroupId", rule_group_id)),
        key=lambda inputs: inputs["priority"],
    )
    return [
        (inputs["action"], domains.get(inputs["firewallDomainListId"]), inputs.get("blockResponse"))
        for inputs in rules
    ]
