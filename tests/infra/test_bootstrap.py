"""The delivery bootstrap (bootstrap/): OIDC trust scoped to one repository and environment, deploy rights."""

import json

import pytest
from pulumi_mocks import ACCOUNT_ID, REGION, REPO_ROOT, new_mocks, run_main_program

from bootstrap.access import DENIED_ACTIONS, deploy_policy, github_trust_policy

pytestmark = pytest.mark.unit

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"


def test_a_role_trusts_one_repository_in_one_github_environment():
    (statement,) = github_trust_policy(PROVIDER_ARN, "neuro-lab/eeg-pipeline", "prod")["Statement"]

    assert statement["Principal"] == {"Federated": PROVIDER_ARN}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:neuro-lab/eeg-pipeline:environment:prod",
    }


@pytest.mark.parametrize("repository", ["eeg-pipeline", "a/b/c", "/eeg", "lab/"])
def test_a_repository_that_is_not_owner_slash_name_is_refused(repository):
    with pytest.raises(ValueError, match="owner/name"):
        github_trust_policy(PROVIDER_ARN, repository, "dev")


def test_the_deploy_policy_stays_in_its_account_and_region_and_denies_user_credentials():
    statements = {statement["Sid"]: statement for statement in deploy_policy(ACCOUNT_ID, REGION)["Statement"]}

    assert statements["PipelineServicesInThisAccountAndRegion"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": REGION}
    }
    assert statements["PipelineRoles"]["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/*"
    assert all(not action.endswith(":*") for action in statements["PipelineRoles"]["Action"])
    assert statements["PassRolesToTheServicesThatRunThem"]["Condition"]["StringEquals"]["iam:PassedToService"]
    assert statements["NeverNeeded"]["Effect"] == "Deny"
    assert "iam:CreateAccessKey" in statements["NeverNeeded"]["Action"] == list(DENIED_ACTIONS)
    assert "PulumiStateBucket" not in statements


def test_a_self_managed_state_bucket_is_readable_and_writable():
    bucket = "arn:aws:s3:::eeg-pipeline-state"
    statements = {statement["Sid"]: statement for statement in deploy_policy(ACCOUNT_ID, REGION, bucket)["Statement"]}

    assert statements["PulumiStateBucket"]["Resource"] == [bucket, f"{bucket}/*"]


def test_the_bootstrap_program_creates_the_provider_and_two_roles_per_environment():
    built = run_main_program(
        {"eeg-pipeline-bootstrap:githubRepository": "neuro-lab/eeg-pipeline", "aws:region": REGION},
        program=REPO_ROOT / "bootstrap" / "__main__.py",
        mocks=new_mocks(project="eeg-pipeline-bootstrap"),
    )
    stack = built.resources

    (provider,) = stack.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    subjects = {
        role.name: json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"][
            "token.actions.githubusercontent.com:sub"
        ]
        for role in stack.of_type("aws:iam/role:Role")
    }
    assert subjects == {
        "deploy-dev": "repo:neuro-lab/eeg-pipeline:environment:dev",
        "preview-dev": "repo:neuro-lab/eeg-pipeline:environment:dev-preview",
        "deploy-prod": "repo:neuro-lab/eeg-pipeline:environment:prod",
        "preview-prod": "repo:neuro-lab/eeg-pipeline:environment:prod-preview",
    }
    attachments = stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert {item.inputs["policyArn"] for item in attachments} == {"arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert {"devDeployRoleArn", "prodDeployRoleArn", "devPreviewRoleArn", "prodPreviewRoleArn"} <= set(built.exports)
