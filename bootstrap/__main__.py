"""Delivery bootstrap: GitHub's OIDC provider and, per environment, a deploy role and a preview role.

Run once per AWS account by an administrator (``cd bootstrap && pulumi up``), then copy the exported
role ARNs into the GitHub environments' variables: ``AWS_DEPLOY_ROLE_ARN`` of ``dev``/``prod`` and
``AWS_PREVIEW_ROLE_ARN`` of ``dev-preview``/``prod-preview``. See docs/operations.md.
"""

import json

import pulumi
import pulumi_aws as aws

from access import GITHUB_OIDC_HOST, READ_ONLY_POLICY_ARN, STS_AUDIENCE, deploy_policy, github_trust_policy

config = pulumi.Config()
repository = config.require("githubRepository")
environments = config.get_object("environments") or ["dev", "prod"]
state_bucket_arn = config.get("stateBucketArn")

identity = aws.get_caller_identity()
region = aws.get_region()

provider = aws.iam.OpenIdConnectProvider(
    "github-actions",
    url=f"https://{GITHUB_OIDC_HOST}",
    client_id_lists=[STS_AUDIENCE],
)

for environment in environments:
    deploy_role = aws.iam.Role(
        f"deploy-{environment}",
        description=f"pulumi up of the {environment} stack from GitHub Actions",
        assume_role_policy=provider.arn.apply(
            lambda arn, env=environment: json.dumps(github_trust_policy(arn, repository, env))
        ),
        max_session_duration=3600,
    )
    aws.iam.RolePolicy(
        f"deploy-{environment}-policy",
        role=deploy_role.id,
        policy=json.dumps(deploy_policy(identity.account_id, region.region, state_bucket_arn)),
    )
    preview_role = aws.iam.Role(
        f"preview-{environment}",
        description=f"pulumi preview of the {environment} stack from pull requests",
        assume_role_policy=provider.arn.apply(
            lambda arn, env=environment: json.dumps(github_trust_policy(arn, repository, f"{env}-preview"))
        ),
        max_session_duration=3600,
    )
    aws.iam.RolePolicyAttachment(
        f"preview-{environment}-read-only", role=preview_role.name, policy_arn=READ_ONLY_POLICY_ARN
    )
    pulumi.export(f"{environment}DeployRoleArn", deploy_role.arn)
    pulumi.export(f"{environment}PreviewRoleArn", preview_role.arn)

pulumi.export("oidcProviderArn", provider.arn)
