"""The DNS Firewall's rules as plain data: what the created VPC's resolver answers for a name."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from urllib.parse import urlsplit

import boto3
import pytest

from components.dns_firewall import FIREWALL_RULES, FirewallRule
from components.endpoint_policies import ecr_layer_bucket_arn

pytestmark = pytest.mark.unit

ACCOUNT_ID, REGION = "123456789012", "eu-west-2"


def answer(rules: Sequence[FirewallRule], query_name: str) -> str:
    """DNS Firewall's decision: the first rule by priority whose domain list matches the name decides
    (``*.example.com`` matches the names under example.com, ``*`` every name)."""
    for rule in sorted(rules, key=lambda rule: rule.priority):
        if any(_matches(domain, query_name) for domain in rule.domains):
            return " ".join(filter(None, (rule.action, rule.block_response)))
    return "no rule"


def _matches(domain: str, query_name: str) -> bool:
    if domain == "*":
        return True
    if domain.startswith("*."):
        return query_name.endswith(domain[1:])
    return query_name == domain


#: Names the classifier task resolves besides its run's URLs: ECR (API, registry, layers in S3), CloudWatch Logs.
TASK_NAMES = (
    f"api.ecr.{REGION}.amazonaws.com",
    f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com",
    f"{ecr_layer_bucket_arn(REGION).removeprefix('arn:aws:s3:::')}.s3.{REGION}.amazonaws.com",
    f"logs.{REGION}.amazonaws.com",
)
#: Names a compromised container would look up to carry data to a name server someone else runs.
EXFILTRATION_NAMES = (
    "mzxw6ytboi.attacker.example",
    "mzxw6ytboi.amazonaws.com.attacker.example",
    "mzxw6ytboi.evilamazonaws.com",
)


@pytest.mark.parametrize("query_name", TASK_NAMES)
def test_the_names_the_task_resolves_are_answered(query_name):
    assert answer(FIREWALL_RULES, query_name) == "ALLOW"


def test_the_host_of_a_runs_presigned_url_is_answered():
    # Signed offline with the tests' fake credentials, in the stack's region, as the signing function does.
    url = boto3.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": "storage-uploads-1a2b3c4", "Key": "uploads/u/s/recording.zip"}
    )

    assert answer(FIREWALL_RULES, urlsplit(url).hostname) == "ALLOW"


@pytest.mark.parametrize("query_name", EXFILTRATION_NAMES)
def test_every_other_name_gets_nxdomain(query_name):
    assert answer(FIREWALL_RULES, query_name) == "BLOCK NXDOMAIN"


def test_a_block_rule_evaluated_first_would_refuse_the_tasks_own_names():
    allow, block = sorted(FIREWALL_RULES, key=lambda rule: rule.priority)
    swapped = (dataclasses.replace(block, priority=allow.priority - 1), allow)

    assert answer(swapped, TASK_NAMES[0]) == "BLOCK NXDOMAIN"
