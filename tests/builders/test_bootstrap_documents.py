"""The delivery bootstrap's IAM documents (bootstrap/): deploy, boundary and preview, as pure documents."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from iam_checks import allows, permitted, statements
from iam_examples import widened

from bootstrap.access import BOUNDED_ROLE_WRITES, DENIED_ACTIONS, deploy_policy
from bootstrap.boundary import PIPELINE_ROLE_ACTIONS, boundary_policy_arn, role_boundary_policy
from bootstrap.preview import preview_policy
from policy.rules import wildcard_action_problems

pytestmark = pytest.mark.unit

ACCOUNT_ID, REGION = "123456789012", "eu-west-2"
BOUNDARY = f"arn:aws:iam::{ACCOUNT_ID}:policy/eeg-pipeline-delivery/dev-pipeline-role-boundary"
DEV_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/eeg-pipeline/dev/processing-start-fn-role-1a2b3c4"
# Roles the dev deploy role must never write: any other role, its own and the preview role, prod's.
FOREIGN_ROLES = (
    f"arn:aws:iam::{ACCOUNT_ID}:role/OrganizationAccountAccessRole",
    f"arn:aws:iam::{ACCOUNT_ID}:role/eeg-pipeline-delivery/deploy-dev-7d1e2f3",
    f"arn:aws:iam::{ACCOUNT_ID}:role/eeg-pipeline-delivery/preview-dev-0a9b8c7",
    f"arn:aws:iam::{ACCOUNT_ID}:role/eeg-pipeline/prod/processing-start-fn-role-1a2b3c4",
)
#: Every IAM action that changes a role's permissions or who may assume it.
ESCALATING_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)
BOUNDARY_POLICY_WRITES = ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy")


def escalation_problems(document: dict, boundary_arn: str) -> list[str]:
    """Ways the document lets its holder give a role more than the boundary allows (empty = none)."""
    problems = [
        f"{action} allowed on {role}"
        for role in FOREIGN_ROLES
        for action in ESCALATING_ROLE_ACTIONS
        if allows(document, action, role) and not denied(document, action, role)
    ]
    for statement in statements(document, "Allow"):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        bounded = [action for action in actions if action in BOUNDED_ROLE_WRITES]
        condition = statement.get("Condition", {}).get("StringEquals", {}).get("iam:PermissionsBoundary")
        if bounded and condition != boundary_arn:
            problems.append(f"{statement.get('Sid')}: {bounded} without the boundary condition")
    if not denied(document, "iam:DeleteRolePermissionsBoundary", DEV_ROLE):
        problems.append("removing a boundary is not denied")
    return problems


def denied(document: dict, action: str, resource: str) -> bool:
    """Whether an unconditional Deny statement matches the request."""
    return any(
        fnmatchcase(action, action_pattern) and fnmatchcase(resource, resource_pattern)
        for statement in statements(document, "Deny")
        if "Condition" not in statement
        for action_pattern in _as_list(statement["Action"])
        for resource_pattern in _as_list(statement["Resource"])
    )


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


def test_the_deploy_role_cannot_make_any_role_an_administrator():
    document = deploy_policy(ACCOUNT_ID, REGION, "dev")

    assert boundary_policy_arn(ACCOUNT_ID, "dev") == BOUNDARY
    assert escalation_problems(document, BOUNDARY) == []


def test_the_deploy_role_writes_its_stack_roles_only_under_the_boundary():
    document = deploy_policy(ACCOUNT_ID, REGION, "dev")

    for action in BOUNDED_ROLE_WRITES:
        assert allows(document, action, DEV_ROLE)
    (bounded,) = [s for s in statements(document, "Allow") if "iam:CreateRole" in s["Action"]]
    assert bounded["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/eeg-pipeline/dev/*"
    assert bounded["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert allows(document, "iam:PassRole", DEV_ROLE)
    assert not allows(document, "iam:PassRole", FOREIGN_ROLES[0])


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            {
                "Effect": "Allow",
                "Action": "iam:PutRolePolicy",
                "Resource": f"arn:aws:iam::{ACCOUNT_ID}:role/*",
            },
            "iam:PutRolePolicy allowed on",
        ),
        (
            {"Sid": "Unbounded", "Effect": "Allow", "Action": ["iam:CreateRole"], "Resource": DEV_ROLE},
            "Unbounded: ['iam:CreateRole'] without the boundary condition",
        ),
    ],
)
def test_the_escalation_check_sees_a_widened_deploy_policy(statement, expected):
    document = widened(deploy_policy(ACCOUNT_ID, REGION, "dev"), statement)

    assert any(expected in problem for problem in escalation_problems(document, BOUNDARY))


def test_the_deploy_role_may_never_change_the_delivery_roles_or_the_boundaries():
    document = deploy_policy(ACCOUNT_ID, REGION, "dev")

    for role in FOREIGN_ROLES[1:3]:
        for action in (*ESCALATING_ROLE_ACTIONS, "iam:DeleteRole", "iam:TagRole"):
            assert denied(document, action, role), (action, role)
    for action in BOUNDARY_POLICY_WRITES:
        assert denied(document, action, BOUNDARY)
    assert set(DENIED_ACTIONS) >= {"iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary"}


def test_the_deploy_role_cannot_lift_the_accounts_block_public_access():
    document = deploy_policy(ACCOUNT_ID, REGION, "dev")

    assert denied(document, "s3:PutAccountPublicAccessBlock", "*")
    assert not permitted(document, "s3:PutAccountPublicAccessBlock", "*", IN_OWN_ACCOUNT_AND_REGION)
    assert permitted(document, "s3:PutBucketPublicAccessBlock", "arn:aws:s3:::storage-uploads-1a2b3c4",
                     IN_OWN_ACCOUNT_AND_REGION)


def test_the_deploy_policy_stays_in_its_account_and_region():
    by_sid = {
        statement["Sid"]: statement for statement in deploy_policy(ACCOUNT_ID, REGION, "dev")["Statement"]
    }

    assert by_sid["PipelineServicesInThisAccountAndRegion"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": REGION}
    }
    assert by_sid["ServiceLinkedRolesOfEcsAndApiGateway"]["Condition"]["StringEquals"]["iam:AWSServiceName"]
    assert not any(sid.startswith("PulumiState") for sid in by_sid)


#: What ``pulumi up`` calls to declare the created network's DNS Firewall (components/dns_firewall.py).
DNS_FIREWALL_WRITES = (
    "route53resolver:CreateFirewallDomainList",
    "route53resolver:UpdateFirewallDomains",
    "route53resolver:CreateFirewallRuleGroup",
    "route53resolver:CreateFirewallRule",
    "route53resolver:AssociateFirewallRuleGroup",
    "route53resolver:UpdateFirewallConfig",
)
DNS_FIREWALL_READS = (
    "route53resolver:GetFirewallRuleGroup",
    "route53resolver:ListFirewallRules",
    "route53resolver:ListFirewallDomains",
    "route53resolver:ListFirewallConfigs",
)
RULE_GROUP = f"arn:aws:route53resolver:{REGION}:{ACCOUNT_ID}:firewall-rule-group/rslvr-frg-0123456789abcdef"


def test_the_deploy_role_may_declare_the_dns_firewall_in_its_own_region_only():
    document = deploy_policy(ACCOUNT_ID, REGION, "dev")

    for action in DNS_FIREWALL_WRITES:
        assert permitted(document, action, RULE_GROUP, {"aws:RequestedRegion": REGION}), action
        assert not permitted(document, action, RULE_GROUP, {"aws:RequestedRegion": "us-east-1"}), action


def test_the_preview_role_reads_the_dns_firewall_configuration_in_its_own_region_only():
    document = preview_policy(REGION, "dev")

    for action in DNS_FIREWALL_READS:
        assert permitted(document, action, RULE_GROUP, {"aws:RequestedRegion": REGION}), action
        assert not permitted(document, action, RULE_GROUP, {"aws:RequestedRegion": "us-east-1"}), action
    assert not allows(document, "route53resolver:CreateFirewallRule", RULE_GROUP)


STATE_BUCKET = "arn:aws:s3:::eeg-pipeline-state"
#: What ``pulumi up`` of the dev stack writes in a self-managed bucket (Pulumi's project layout).
DEV_STATE_OBJECTS = (
    ".pulumi/stacks/eeg-pipeline/dev.json",
    ".pulumi/stacks/eeg-pipeline/dev.json.gz",
    ".pulumi/stacks/eeg-pipeline/dev.json.bak",
    ".pulumi/stacks/eeg-pipeline/dev.pulumi-tags",
    ".pulumi/history/eeg-pipeline/dev/dev-1700000000000000000.history.json",
    ".pulumi/backups/eeg-pipeline/dev/dev.1700000000000000000.json",
    ".pulumi/journal/eeg-pipeline/dev/entry-1.json",
    ".pulumi/locks/organization/eeg-pipeline/dev/3f1c2b9e-0000-4000-8000-000000000000.json",
)
#: The prod stack's objects in the same bucket, and the bucket's layout version, which decides where
#: every stack's CLI looks for its state.
FOREIGN_STATE_OBJECTS = (
    ".pulumi/meta.yaml",
    ".pulumi/stacks/eeg-pipeline/prod.json",
    ".pulumi/stacks/eeg-pipeline/prod.json.bak",
    ".pulumi/history/eeg-pipeline/prod/prod-1700000000000000000.checkpoint.json",
    ".pulumi/journal/eeg-pipeline/prod/entry-1.json",
    ".pulumi/locks/organization/eeg-pipeline/prod/3f1c2b9e-0000-4000-8000-000000000000.json",
    ".pulumi/stacks/other-project/dev.json",
)


def test_a_deploy_role_reads_and_writes_its_own_stacks_state_only():
    # Conditions aside: the worst case, a state bucket in the deploy role's own account and region,
    # where the statement on the pipeline's buckets would otherwise reach it too.
    document = deploy_policy(ACCOUNT_ID, REGION, "dev", STATE_BUCKET)

    for key in DEV_STATE_OBJECTS:
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            assert allows(document, action, f"{STATE_BUCKET}/{key}"), (action, key)
    for key in FOREIGN_STATE_OBJECTS:
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:PutObjectAcl"):
            assert not allows(document, action, f"{STATE_BUCKET}/{key}"), (action, key)
    assert allows(document, "s3:GetObject", f"{STATE_BUCKET}/.pulumi/meta.yaml")
    assert not allows(document, "s3:GetObject", f"{STATE_BUCKET}/.pulumi/stacks/eeg-pipeline/prod.json")
    assert not allows(document, "s3:PutBucketPolicy", STATE_BUCKET)
    assert allows(document, "s3:ListBucket", STATE_BUCKET)
    assert allows(document, "s3:PutBucketPolicy", "arn:aws:s3:::storage-uploads-1a2b3c4")


def test_a_preview_role_reads_its_own_stacks_state_and_writes_none():
    document = preview_policy(REGION, "dev", STATE_BUCKET)

    for key in (".pulumi/meta.yaml", *DEV_STATE_OBJECTS):
        assert allows(document, "s3:GetObject", f"{STATE_BUCKET}/{key}"), key
        assert not allows(document, "s3:PutObject", f"{STATE_BUCKET}/{key}")
    for key in FOREIGN_STATE_OBJECTS[1:]:
        assert not allows(document, "s3:GetObject", f"{STATE_BUCKET}/{key}"), key


def test_the_boundary_allows_no_iam_administration_and_passes_only_the_stacks_roles():
    document = role_boundary_policy(ACCOUNT_ID, REGION, "dev")

    assert wildcard_action_problems(document) == []
    for action in (*ESCALATING_ROLE_ACTIONS, "iam:CreateUser", "sts:AssumeRole", "iam:CreatePolicyVersion"):
        assert not allows(document, action, FOREIGN_ROLES[0])
    assert allows(document, "iam:PassRole", DEV_ROLE)
    assert not any(allows(document, "iam:PassRole", role) for role in FOREIGN_ROLES)


IN_OWN_ACCOUNT_AND_REGION = {"aws:RequestedRegion": REGION, "aws:ResourceAccount": ACCOUNT_ID}
#: One data-plane request per service the boundary allows, on a resource of the stack's account.
DATA_PLANE_REQUESTS = (
    ("s3:GetObject", "arn:aws:s3:::storage-uploads-1a2b3c4/uploads/u/s/recording.zip"),
    ("s3:PutObject", "arn:aws:s3:::storage-results-1a2b3c4/results/u/s/r/classifier.json"),
    ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/storage-status-1a2b3c4"),
    ("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:processing-queue-1a2b3c4"),
    ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:api-fn-dev"),
)


def test_the_boundary_allows_every_pipeline_action_in_its_own_account_and_region():
    document = role_boundary_policy(ACCOUNT_ID, REGION, "dev")

    for action in PIPELINE_ROLE_ACTIONS:
        assert permitted(document, action, "*", IN_OWN_ACCOUNT_AND_REGION), action


@pytest.mark.parametrize(("action", "resource"), DATA_PLANE_REQUESTS, ids=[a for a, _ in DATA_PLANE_REQUESTS])
def test_the_boundary_keeps_the_data_plane_in_its_own_region(action, resource):
    document = role_boundary_policy(ACCOUNT_ID, REGION, "dev")

    assert permitted(document, action, resource, IN_OWN_ACCOUNT_AND_REGION)
    assert not permitted(document, action, resource, {**IN_OWN_ACCOUNT_AND_REGION, "aws:RequestedRegion": "us-east-1"})


def test_the_boundary_keeps_the_data_plane_on_resources_of_its_own_account():
    # moto's evaluator ignores the IfExists operators, so the condition is checked as written: AWS
    # then refuses a request whose resource belongs to another account, and lets through the few
    # actions whose requests carry no resource account.
    document = role_boundary_policy(ACCOUNT_ID, REGION, "dev")

    (condition,) = [
        statement["Condition"] for statement in statements(document) if statement["Sid"] == "PipelineDataPlane"
    ]
    assert condition["StringEqualsIfExists"] == {"aws:ResourceAccount": ACCOUNT_ID}
    assert condition["StringEquals"] == {"aws:RequestedRegion": REGION}


def test_the_boundary_holds_actions_on_no_resource_to_its_region():
    document = role_boundary_policy(ACCOUNT_ID, REGION, "dev")

    for action in ("xray:PutTraceSegments", "ecr:GetAuthorizationToken", "logs:CreateLogDelivery"):
        assert permitted(document, action, "*", {"aws:RequestedRegion": REGION}), action
        assert not permitted(document, action, "*", {"aws:RequestedRegion": "us-east-1"}), action


#: Reads of research data or secrets: objects, items, messages, log events, execution data, secrets.
DATA_READS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:ExportTableToPointInTime",
    "sqs:ReceiveMessage",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "states:DescribeExecution",
    "states:GetExecutionHistory",
    "lambda:GetFunction",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "kms:Decrypt",
    "cognito-idp:ListUsers",
    "cognito-idp:AdminGetUser",
)


def data_read_problems(document: dict) -> list[str]:
    """Data reads an Allow statement grants on any resource (wildcard patterns included)."""
    return [
        f"{statement.get('Sid')}: {action}"
        for statement in statements(document, "Allow")
        for action in DATA_READS
        if any(fnmatchcase(action, pattern) for pattern in _as_list(statement["Action"]))
    ]


def test_the_preview_role_reads_configuration_and_no_research_data():
    document = preview_policy(REGION, "dev")

    assert data_read_problems(document) == []
    assert wildcard_action_problems(document) == []
    assert allows(document, "dynamodb:DescribeTable", "arn:aws:dynamodb:eu-west-2:1:table/storage-status")
    assert allows(document, "s3:GetBucketPolicy", "arn:aws:s3:::storage-uploads")
    assert allows(document, "apigateway:GET", "arn:aws:apigateway:eu-west-2::/apis/a1b2c3")
    assert not allows(document, "apigateway:GET", "arn:aws:apigateway:eu-west-2::/apikeys/k1")


@pytest.mark.parametrize("injected", ["s3:Get*", "dynamodb:Scan", "logs:*", "*"])
def test_the_data_read_check_sees_a_widened_preview_policy(injected):
    injection = {"Sid": "Injected", "Effect": "Allow", "Action": injected, "Resource": "*"}
    document = widened(preview_policy(REGION, "dev"), injection)

    assert data_read_problems(document)
    assert all(problem.startswith("Injected: ") for problem in data_read_problems(document))
