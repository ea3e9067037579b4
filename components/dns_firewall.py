"""DNS Firewall of the created private network: its resolver answers AWS service names only.

The classifier task parses untrusted uploads and has no route out, but the VPC's Amazon-provided
resolver answers recursive queries for any domain: a compromised container could still carry data
out as the names it looks up (``{secret}.attacker.example`` reaches the attacker's name server).
The firewall answers only names under ``amazonaws.com`` (ECR, the S3 hosts of the run's presigned
URLs and of the image layers, CloudWatch Logs, the endpoints' private DNS names; AWS's own name
servers answer for them) and NXDOMAIN for every other name. A stack given existing subnets gets
none: that VPC's DNS is its owner's to filter.

The rules are plain data (:data:`FIREWALL_RULES`), tested without mocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

#: Names the task resolves: every AWS service endpoint the task reaches is under ``amazonaws.com``.
AWS_SERVICE_DOMAINS = ("amazonaws.com", "*.amazonaws.com")
EVERY_DOMAIN = ("*",)
#: The rule group's place among the VPC's rule groups (AWS allows 100–9900 and suggests 101 first).
ASSOCIATION_PRIORITY = 101
#: Fail closed: when DNS Firewall cannot evaluate a query it blocks it rather than letting it through.
#: The task then cannot resolve its endpoints either and fails, which the pipeline records; an
#: unfiltered answer would reopen the exfiltration path.
FIREWALL_FAIL_OPEN = "DISABLED"


@dataclass(frozen=True)
class FirewallRule:
    """One rule of the group: what to do with a query for a name in ``domains``."""

    name: str
    priority: int
    action: str
    domains: tuple[str, ...]
    block_response: str | None = None


#: Evaluated by ascending priority; the first rule whose list matches the query decides.
FIREWALL_RULES = (
    FirewallRule(name="allow-aws-service-names", priority=100, action="ALLOW", domains=AWS_SERVICE_DOMAINS),
    FirewallRule(
        name="block-every-other-name",
        priority=200,
        action="BLOCK",
        domains=EVERY_DOMAIN,
        block_response="NXDOMAIN",
    ),
)


def create_dns_firewall(name: str, *, parent: pulumi.Resource, vpc_id: pulumi.Input[str]) -> None:
    """Declare the rule group of :data:`FIREWALL_RULES`, its domain lists, a fail-closed
    configuration and the group's association with ``vpc_id``, as children of ``parent``."""
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.route53.ResolverFirewallRuleGroup(f"{name}-dns-firewall", opts=child)
    for rule in FIREWALL_RULES:
        domain_list = aws.route53.ResolverFirewallDomainList(
            f"{name}-dns-{rule.name}-domains", domains=list(rule.domains), opts=child
        )
        aws.route53.ResolverFirewallRule(
            f"{name}-dns-{rule.name}",
            name=rule.name,
            firewall_rule_group_id=group.id,
            firewall_domain_list_id=domain_list.id,
            priority=rule.priority,
            action=rule.action,
            block_response=rule.block_response,
            opts=child,
        )
    aws.route53.ResolverFirewallConfig(
        f"{name}-dns-firewall-config", resource_id=vpc_id, firewall_fail_open=FIREWALL_FAIL_OPEN, opts=child
    )
    aws.route53.ResolverFirewallRuleGroupAssociation(
        f"{name}-dns-firewall-association",
        firewall_rule_group_id=group.id,
        vpc_id=vpc_id,
        priority=ASSOCIATION_PRIORITY,
        opts=child,
    )
