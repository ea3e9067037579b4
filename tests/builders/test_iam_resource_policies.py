"""Trust, resource and key policies: who may assume a role, send to a queue and use the topic's key."""

from __future__ import annotations

import pytest
from iam_checks import as_list, statements
from iam_examples import ACCOUNT_ID, QUEUE_ARN, RULE_ARN

from components import policies, resource_policies

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "service", ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "states.amazonaws.com"]
)
def test_trust_policy_lets_only_the_service_assume_the_role(service):
    (statement,) = statements(policies.assume_role_policy(service))

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": service}
    assert as_list(statement["Action"]) == ["sts:AssumeRole"]


def test_trust_policy_rejects_a_principal_that_is_not_a_service():
    with pytest.raises(ValueError, match="service principal"):
        policies.assume_role_policy(f"arn:aws:iam::{ACCOUNT_ID}:root")


def test_queue_accepts_messages_only_from_its_rule():
    (statement,) = statements(resource_policies.queue_policy(queue_arn=QUEUE_ARN, rule_arn=RULE_ARN))

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Resource"] == QUEUE_ARN
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": RULE_ARN}}


ACCOUNT_ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}


def test_topic_key_is_administered_by_the_account_and_used_by_this_accounts_alarms():
    document = resource_policies.topic_key_policy(account_id=ACCOUNT_ID)
    root_actions = {
        action
        for statement in statements(document)
        if statement["Principal"] == ACCOUNT_ROOT
        for action in statement["Action"]
    }
    (cloudwatch,) = [statement for statement in statements(document) if statement["Principal"] == CLOUDWATCH]

    assert {
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    } <= root_actions
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    # In a key policy "*" is the key itself; nothing else may appear.
    assert {statement["Resource"] for statement in statements(document)} == {"*"}
    assert all(statement["Effect"] == "Allow" for statement in statements(document))


def test_topic_key_policy_grants_nothing_to_other_principals():
    document = resource_policies.topic_key_policy(account_id=ACCOUNT_ID)

    assert all(statement["Principal"] in (ACCOUNT_ROOT, CLOUDWATCH) for statement in statements(document))
