"""Delivery bootstrap: GitHub's OIDC provider and, per environment, a deploy role, a preview role and
the permissions boundary of the stack's roles.

Run once per AWS account by an administrator (``cd bootstrap && pulumi up``), then copy the exported
role ARNs into the GitHub environments' variables: ``AWS_DEPLOY_ROLE_ARN`` of ``dev``/``prod`` and
``AWS_PREVIEW_ROLE_ARN`` of ``dev-preview``/``prod-preview``, and each ``{environment}PermissionsBoundaryArn``
into that stack's ``permissionsBoundaryArn`` setting. See docs/operations.md.
"""

import json
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws

# The pipeline's repository root: the stack's IAM naming (components.iam_names) decides what the
# deploy role may change, and the bootstrap's own documents are the package `bootstrap`.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bootstrap.access import GITHUB_OIDC_HOST, STS_AUDIENCE, deploy_policy, github_trust_policy  # noqa: E402
from bootstrap.boundary import DELIVERY_PATH, boundary_policy_name, role_boundary_policy  # noqa: E402
from bootstrap.environments import SHARED_ACCOUNT_FLAG, hosted_environments  # noqa: E402
from bootstrap.preview import preview_policy  # noqa: E402

config = pulumi.Config()
repository = config.require("githubRepository")
environments = hosted_environments(
    config.require_object("environments"), config.get_bool(SHARED_ACCOUNT_FLAG) or False
)
state_bucket_arn = config.get("stateBucketArn")

identity = aws.get_caller_identity()
region = aws.get_region()

provider = aws.iam.OpenIdConnectProvider(
    "github-actions",
    url=f"https://{GITHUB_OIDC_HOST}",
    client_id_lists=[STS_AUDIENCE],
)

for environment in environments:
    boundary = aws.iam.Policy(
        f"boundary-{environment}",
        name=boundary_policy_name(environment),
        path=DELIVERY_PATH,
        description=f"Permissions boundary of every role of the {environment} pipeline stack",
        policy=json.dumps(role_boundary_policy(identity.account_id, region.region, environment)),
    )
    deploy_role = aws.iam.Role(
        f"deploy-{environment}",
        path=DELIVERY_PATH,
        description=f"pulumi up of the {environment} stack from GitHub Actions",
        assume_role_policy=provider.arn.apply(
            lambda arn, env=environment: json.dumps(github_trust_policy(arn, repository, env))
        ),
        max_session_duration=3600,
    )
    aws.iam.RolePolicy(
        f"deploy-{environment}-policy",
        role=deploy_role.id,
        policy=json.dumps(deploy_policy(identity.account_id, region.region, environment, state_bucket_arn)),
    )
    preview_role = aws.iam.Role(
        f"preview-{environment}",
        path=DELIVERY_PATH,
        description=f"pulumi preview of the {environment} stack from pull requests",
        assume_role_policy=provider.arn.apply(
            lambda arn, env=environment: json.dumps(github_trust_policy(arn, repository, f"{env}-preview"))
        ),
        max_session_duration=3600,
    )
    aws.iam.RolePolicy(
        f"preview-{environment}-policy",
        role=preview_role.id,
        policy=json.dumps(preview_policy(region.region, environment, state_bucket_arn)),
    )
    pulumi.export(f"{environment}DeployRoleArn", deploy_role.arn)
    pulumi.export(f"{environment}PreviewRoleArn", preview_role.arn)
    pulumi.export(f"{environment}PermissionsBoundaryArn", boundary.arn)

pulumi.export("oidcProviderArn", provider.arn)
