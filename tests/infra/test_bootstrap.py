"""The delivery bootstrap (bootstrap/): OIDC trust scoped to one repository and environment, and the mock
run of its program; the pipeline's roles sit where the deploy role may write them, under its boundary."""

import json
from fnmatch import fnmatchcase

import pytest
from mock_answers import ACCOUNT_ID, REGION
from pulumi_mocks import PERMISSIONS_BOUNDARY_ARN, run_bootstrap

from bootstrap.access import deploy_policy, github_trust_policy
from bootstrap.boundary import PIPELINE_ROLE_ACTIONS, boundary_policy_arn, role_boundary_policy
from bootstrap.environments import hosted_environments
from bootstrap.preview import preview_policy
from components.iam_names import role_path

pytestmark = pytest.mark.unit

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


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


@pytest.fixture(scope="module")
def bootstrap_stack():
    return run_bootstrap(environments='["dev", "prod"]', sharedAccountAcknowledged="true")


def test_the_bootstrap_refuses_two_environments_in_one_account_unless_that_is_acknowledged():
    shared = r"\['dev', 'prod'\] would share one AWS account.*sharedAccountAcknowledged"
    with pytest.raises(ValueError, match=shared):
        run_bootstrap(environments='["dev", "prod"]')


def test_an_account_of_one_environment_needs_no_acknowledgement():
    stack = run_bootstrap(environments='["prod"]').resources

    assert {role.name for role in stack.of_type(ROLE)} == {"deploy-prod", "preview-prod"}


def test_a_bootstrap_of_no_environment_is_refused():
    with pytest.raises(ValueError, match="environments is empty"):
        hosted_environments([], shared_account_acknowledged=True)


def test_the_bootstrap_creates_the_provider_and_two_roles_per_environment_under_the_delivery_path(
    bootstrap_stack,
):
    stack = bootstrap_stack.resources
    (provider,) = stack.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    subjects = {
        role.name: json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"][
            "token.actions.githubusercontent.com:sub"
        ]
        for role in stack.of_type(ROLE)
    }
    assert subjects == {
        "deploy-dev": "repo:neuro-lab/eeg-pipeline:environment:dev",
        "preview-dev": "repo:neuro-lab/eeg-pipeline:environment:dev-preview",
        "deploy-prod": "repo:neuro-lab/eeg-pipeline:environment:prod",
        "preview-prod": "repo:neuro-lab/eeg-pipeline:environment:prod-preview",
    }
    assert {role.inputs["path"] for role in stack.of_type(ROLE)} == {"/eeg-pipeline-delivery/"}


def test_the_bootstrap_defines_each_environments_boundary_and_bounds_its_deploy_role_by_it(bootstrap_stack):
    stack, exports = bootstrap_stack.resources, bootstrap_stack.exports
    for environment in ("dev", "prod"):
        boundary = stack.one("aws:iam/policy:Policy", f"boundary-{environment}")
        deploy = stack.one(ROLE_POLICY, f"deploy-{environment}-policy")

        assert boundary.outputs["arn"] == exports[f"{environment}PermissionsBoundaryArn"]
        assert boundary.outputs["arn"] == boundary_policy_arn(ACCOUNT_ID, environment)
        assert json.loads(boundary.inputs["policy"]) == role_boundary_policy(ACCOUNT_ID, REGION, environment)
        assert json.loads(deploy.inputs["policy"]) == deploy_policy(ACCOUNT_ID, REGION, environment)


def test_the_preview_roles_read_configuration_only_and_nothing_attaches_read_only_access(bootstrap_stack):
    stack = bootstrap_stack.resources

    assert stack.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") == []
    for environment in ("dev", "prod"):
        policy = stack.one(ROLE_POLICY, f"preview-{environment}-policy")
        assert json.loads(policy.inputs["policy"]) == preview_policy(REGION, environment)
    assert {"devDeployRoleArn", "prodDeployRoleArn", "devPreviewRoleArn", "prodPreviewRoleArn"} <= set(
        bootstrap_stack.exports
    )


def test_every_role_of_the_pipeline_is_under_the_stack_path_with_the_configured_boundary(
    self_contained_stack,
):
    roles = self_contained_stack.resources.of_type(ROLE)

    assert len(roles) == 9  # seven functions, state machine, task execution (the task has no role)
    assert {role.inputs["path"] for role in roles} == {role_path("test")} == {"/eeg-pipeline/test/"}
    assert {role.inputs["permissionsBoundary"] for role in roles} == {PERMISSIONS_BOUNDARY_ARN}


@pytest.mark.parametrize("stack", ["dev\n", "dev/x", ""])
def test_a_role_path_is_made_only_of_a_stack_name(stack):
    with pytest.raises(ValueError, match="is not a Pulumi stack name"):
        role_path(stack)


def test_the_deploy_role_of_the_stack_may_write_exactly_the_pipelines_roles(self_contained_stack):
    # The stack is named `test` in the mocks: it is deployed by the bootstrap's `test` environment.
    deploy = deploy_policy(ACCOUNT_ID, REGION, "test")
    (bounded,) = [s for s in deploy["Statement"] if "iam:CreateRole" in s["Action"]]

    for role in self_contained_stack.resources.of_type(ROLE):
        assert fnmatchcase(role.outputs["arn"], bounded["Resource"]), role.outputs["arn"]
    assert bounded["Condition"]["StringEquals"]["iam:PermissionsBoundary"] == PERMISSIONS_BOUNDARY_ARN
    assert boundary_policy_arn(ACCOUNT_ID, "test") == PERMISSIONS_BOUNDARY_ARN


def test_every_action_the_pipelines_roles_are_granted_is_within_the_boundary(self_contained_stack):
    granted = {
        action
        for policy in self_contained_stack.resources.of_type(ROLE_POLICY)
        for statement in json.loads(policy.inputs["policy"])["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }

    assert granted - {"iam:PassRole"} <= set(PIPELINE_ROLE_ACTIONS), granted - set(PIPELINE_ROLE_ACTIONS)
