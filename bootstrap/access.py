"""IAM documents of the delivery bootstrap: who may assume the CI roles, and what the deploy role may do.

Pure functions (no Pulumi import), tested without mocks. GitHub's OIDC tokens name the repository and
the GitHub environment of the job in their ``sub`` claim, so each role trusts exactly one repository
and one environment: the ``prod`` deploy role cannot be assumed from a pull request's preview job.

The deploy role of an environment may write IAM roles only under that stack's path
(:func:`components.iam_names.stack_roles_arn`) and only with the environment's permissions boundary
(:mod:`boundary`) attached, and may never change the delivery roles or the boundaries themselves:
it cannot make itself, or any role it creates, an administrator.
"""

from __future__ import annotations

from typing import Any

from components.config import PROJECT_NAME
from components.iam_names import stack_roles_arn

from .boundary import boundary_policy_arn, delivery_arns

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"

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
    "route53resolver",
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
    "iam:DeleteRolePermissionsBoundary",
    # The account's S3 Block Public Access is what stops even this role from making a bucket public.
    "s3:PutAccountPublicAccessBlock",
)
#: Role writes IAM can tie to the boundary the role ends up with (condition ``iam:PermissionsBoundary``).
BOUNDED_ROLE_WRITES = (
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:PutRolePermissionsBoundary",
)
#: Role actions without that condition key; allowed on the stack's own roles only.
STACK_ROLE_ACTIONS = (
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
)
#: Service-linked roles the stack's services create on first use (ECS, API Gateway).
SERVICE_LINKED_ROLE_SERVICES = ("ecs.amazonaws.com", "ops.apigateway.amazonaws.com")


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


def deploy_policy(
    account_id: str, region: str, environment: str, state_bucket_arn: str | None = None
) -> dict[str, Any]:
    """What ``pulumi up`` of one environment's stack needs: its services in one account and region,
    and the IAM roles of that stack only, always under the environment's permissions boundary.

    Pulumi auto-names resources (logical name + random suffix), so resources are scoped by account,
    region and service rather than by name; IAM roles are scoped by the stack's path. The stack name
    is the environment's name (``dev``, ``prod``). Two environments in one account therefore reach
    each other's resources (outside IAM): :mod:`bootstrap.environments` refuses that unless acknowledged.
    """
    stack_roles = stack_roles_arn(account_id, environment)
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PipelineServicesInThisAccountAndRegion",
            "Effect": "Allow",
            "Action": [f"{service}:*" for service in REGIONAL_SERVICES],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        pipeline_buckets_statement(account_id, region, state_bucket_arn),
        {
            "Sid": "WriteStackRolesUnderTheBoundary",
            "Effect": "Allow",
            "Action": list(BOUNDED_ROLE_WRITES),
            "Resource": stack_roles,
            "Condition": {
                "StringEquals": {"iam:PermissionsBoundary": boundary_policy_arn(account_id, environment)}
            },
        },
        {
            "Sid": "ManageStackRoles",
            "Effect": "Allow",
            "Action": list(STACK_ROLE_ACTIONS),
            "Resource": stack_roles,
        },
        {
            "Sid": "PassStackRolesToTheServicesThatRunThem",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": stack_roles,
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
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
        },
        {"Sid": "NeverNeeded", "Effect": "Deny", "Action": list(DENIED_ACTIONS), "Resource": "*"},
        {
            # A Deny on every IAM action: no statement above, nor any added later, may touch them.
            "Sid": "NeverChangeDeliveryRolesOrBoundaries",
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": delivery_arns(account_id),
        },
    ]
    if state_bucket_arn:
        state_actions = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
        statements += state_bucket_statements(state_bucket_arn, environment, state_actions)
    return {"Version": "2012-10-17", "Statement": statements}


def pipeline_buckets_statement(account_id: str, region: str, state_bucket_arn: str | None) -> dict[str, Any]:
    """Every bucket of the account and region, but the Pulumi state bucket: reached only through
    :func:`state_bucket_statements`, even where it lives in the stack's own account and region."""
    scope = {"NotResource": [state_bucket_arn, f"{state_bucket_arn}/*"]} if state_bucket_arn else {"Resource": "*"}
    return {
        "Sid": "PipelineBuckets",
        "Effect": "Allow",
        "Action": "s3:*",
        **scope,
        "Condition": {"StringEquals": {"aws:RequestedRegion": region, "aws:ResourceAccount": account_id}},
    }


def stack_state_arns(state_bucket_arn: str, stack: str) -> list[str]:
    """The objects of one stack of the pipeline in a self-managed Pulumi state bucket, in Pulumi's project
    layout at the bucket's root: its checkpoint (``.json``, ``.json.gz``, ``.bak``) and tags, and its
    history, backups, update journal and locks. No other stack's or project's state matches."""
    state = f"{state_bucket_arn}/.pulumi"
    return [
        f"{state}/stacks/{PROJECT_NAME}/{stack}.*",
        *(f"{state}/{folder}/{PROJECT_NAME}/{stack}/*" for folder in ("history", "backups", "journal")),
        f"{state}/locks/organization/{PROJECT_NAME}/{stack}/*",
    ]


def state_bucket_statements(
    state_bucket_arn: str, stack: str, object_actions: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Access to a self-managed Pulumi state bucket (``stateBucketArn``): ``object_actions`` on the
    ``stack``'s own state, and reading the bucket's layout version (``.pulumi/meta.yaml``, written once by
    the administrator's first ``pulumi stack init``), never writing it: a deploy of dev can neither rewrite
    prod's state nor change where prod's CLI looks for it. Listing shows object names only."""
    return [
        {
            "Sid": "PulumiStateOfThisStack",
            "Effect": "Allow",
            "Action": list(object_actions),
            "Resource": stack_state_arns(state_bucket_arn, stack),
        },
        {
            "Sid": "PulumiStateLayout",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{state_bucket_arn}/.pulumi/meta.yaml",
        },
        {"Sid": "PulumiStateNames", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": state_bucket_arn},
    ]
