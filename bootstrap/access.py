"""IAM documents of the delivery bootstrap: who may assume the CI roles, and what the deploy role may do.

Pure functions (no Pulumi import), tested without mocks. GitHub's OIDC tokens name the repository and
the GitHub environment of the job in their ``sub`` claim, so each role trusts exactly one repository
and one environment: the ``prod`` deploy role cannot be assumed from a pull request's preview job.
"""

from __future__ import annotations

from typing import Any

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
READ_ONLY_POLICY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"

# Services the pipeline stack declares resources in; the deploy role may act on them in its own
# account and region only.
REGIONAL_SERVICES = (
    "apigateway",
    "cloudwatch",
    "cognito-idp",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "events",
    "kms",
    "lambda",
    "logs",
    "sns",
    "sqs",
    "states",
)
# Actions the deploy role never needs, denied even if a future statement would allow them.
DENIED_ACTIONS = (
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "organizations:LeaveOrganization",
    "kms:ScheduleKeyDeletion",
)


def github_trust_policy(provider_arn: str, repository: str, github_environment: str) -> dict[str, Any]:
    """Trust for jobs of ``repository`` (``owner/name``) running in one GitHub environment."""
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise ValueError(f"repository must be 'owner/name', got {repository!r}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": f"repo:{repository}:environment:{github_environment}",
                    }
                },
            }
        ],
    }


def deploy_policy(account_id: str, region: str, state_bucket_arn: str | None = None) -> dict[str, Any]:
    """What ``pulumi up`` of the pipeline needs: its services in one account and region, IAM roles it owns.

    Pulumi auto-names resources (logical name + random suffix), so resources are scoped by account,
    region and service rather than by name; IAM (global) is limited to roles and their policies,
    and roles can only be passed to the services that run them.
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PipelineServicesInThisAccountAndRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in REGIONAL_SERVICES],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "PipelineBuckets",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region, "aws:ResourceAccount": account_id}},
        },
        {
            "Sid": "PipelineRoles",
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:GetRole",
                "iam:UpdateRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:ListRoleTags",
                "iam:PutRolePolicy",
                "iam:GetRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ],
            "Resource": f"arn:aws:iam::{account_id}:role/*",
        },
        {
            "Sid": "PassRolesToTheServicesThatRunThem",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": f"arn:aws:iam::{account_id}:role/*",
            "Condition": {
                "StringEquals": {
                    "iam:PassedToService": [
                        "lambda.amazonaws.com",
                        "states.amazonaws.com",
                        "ecs-tasks.amazonaws.com",
                    ]
                }
            },
        },
        {
            "Sid": "ServiceLinkedRolesOfEcsAndApiGateway",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::{account_id}:role/aws-service-role/*",
        },
        {"Sid": "NeverNeeded", "Effect": "Deny", "Action": list(DENIED_ACTIONS), "Resource": "*"},
    ]
    if state_bucket_arn:
        statements.append(
            {
                "Sid": "PulumiStateBucket",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"],
                "Resource": [state_bucket_arn, f"{state_bucket_arn}/*"],
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
