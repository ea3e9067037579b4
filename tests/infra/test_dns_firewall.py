"""The created network's DNS Firewall: the VPC's resolver answers AWS service names only, so a compromised
classifier container cannot carry data out in the names it looks up; none in a network the stack is given."""

import pytest
from network_checks import dns_firewall_problems, dns_firewall_rules
from resource_types import (
    FIREWALL_ASSOCIATION,
    FIREWALL_CONFIG,
    FIREWALL_DOMAIN_LIST,
    FIREWALL_RULE,
    FIREWALL_RULE_GROUP,
    VPC,
)

pytestmark = pytest.mark.unit


def test_the_created_vpc_answers_aws_service_names_and_nxdomain_for_any_other(self_contained_stack):
    stack = self_contained_stack.resources
    (vpc,) = stack.of_type(VPC)
    (group,) = stack.of_type(FIREWALL_RULE_GROUP)
    (association,) = stack.of_type(FIREWALL_ASSOCIATION)

    assert dns_firewall_problems(stack) == []
    assert (association.inputs["vpcId"], association.inputs["firewallRuleGroupId"]) == (
        vpc.resource_id,
        group.resource_id,
    )
    assert dns_firewall_rules(stack, group.resource_id) == [
        ("ALLOW", ["amazonaws.com", "*.amazonaws.com"], None),
        ("BLOCK", ["*"], "NXDOMAIN"),
    ]


FIREWALL_TYPES = {FIREWALL_DOMAIN_LIST, FIREWALL_RULE_GROUP, FIREWALL_RULE, FIREWALL_ASSOCIATION, FIREWALL_CONFIG}
BLOCK_RULE = (FIREWALL_RULE, "classifier-dns-block-every-other-name")
CONFIG = (FIREWALL_CONFIG, "classifier-dns-firewall-config")
ASSOCIATION = (FIREWALL_ASSOCIATION, "classifier-dns-firewall-association")


@pytest.mark.parametrize(
    ("resource", "change", "expected"),
    [
        # The block rule evaluated first: every name, the AWS services' too, gets NXDOMAIN.
        (BLOCK_RULE, lambda inputs: inputs.update(priority=50), "rules"),
        # Only logged: every name is answered.
        (BLOCK_RULE, lambda inputs: inputs.update(action="ALERT"), "rules"),
        (CONFIG, lambda inputs: inputs.update(firewallFailOpen="ENABLED"), "does not fail closed"),
        (ASSOCIATION, lambda inputs: inputs.update(vpcId="vpc-0another"), "rule groups associated with"),
    ],
    ids=["block-first", "alert-only", "fail-open", "another-vpc"],
)
def test_the_dns_firewall_check_reports_a_weakened_firewall(self_contained_stack, resource, change, expected):
    stack = self_contained_stack.resources.mutated(*resource, change)

    (problem,) = dns_firewall_problems(stack)
    assert expected in problem


def test_the_dns_firewall_check_reports_a_vpc_without_an_association(self_contained_stack):
    stack = self_contained_stack.resources.without(*ASSOCIATION)

    (problem,) = dns_firewall_problems(stack)
    assert "rule groups associated with []" in problem


def test_only_the_vpc_the_stack_creates_gets_a_dns_firewall(self_contained_stack, external_stack):
    def firewall_types(built):
        return {item.type_token for item in built.resources.resources if item.type_token in FIREWALL_TYPES}

    assert firewall_types(self_contained_stack) == FIREWALL_TYPES
    # Given subnets are the user's network: filtering its DNS is the network owner's (docs/operations.md).
    assert firewall_types(external_stack) == set()
