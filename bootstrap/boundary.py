"""The permissions boundary every role of a pipeline stack carries, and where delivery's own IAM lives.

The deploy role may create or change a pipeline role only with this boundary attached
(``access.deploy_policy``), so whatever inline policy it writes, the role can never do more than
the pipeline's functions, state machine and task need: their services' data-plane actions, and
passing roles of the same stack, on resources of the stack's own account and region. No IAM
administration, no STS, no other service. Pure functions,
no Pulumi import; ``tests/infra/test_bootstrap.py`` checks that every action the program's roles
are granted is within the boundary.
"""

from __future__ import annotations

from typing import Any

from components.config import PROJECT_NAME
from components.iam_names import stack_roles_arn
from components.policy_statements import RESOURCE_WILDCARD_ACTIONS

#: IAM path of the deploy and preview roles and of the boundary policies; no stack role lives here.
DELIVERY_PATH = f"/{PROJECT_NAME}-delivery/"

#: What the pipeline's roles may ever be granted, by service (``iam:PassRole`` is scoped apart).
PIPELINE_ROLE_ACTIONS = (
    "dynamodb:ConditionCheckItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
    "ecr:GetDownloadUrlForLayer",
    "ecs:DescribeTasks",
    "ecs:RunTask",
    "ecs:StopTask",
    "events:DescribeRule",
    "events:PutRule",
    "events:PutTargets",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "lambda:InvokeFunction",
    "logs:CreateLogDelivery",
    "logs:CreateLogStream",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutLogEvents",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:PutObject",
    "sns:Publish",
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
    "states:StartExecution",
    "states:StopExecution",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
)


def boundary_policy_name(environment: str) -> str:
    """Name of the boundary policy of one environment's stack (under :data:`DELIVERY_PATH`)."""
    return f"{environment}-pipeline-role-boundary"


def boundary_policy_arn(account_id: str, environment: str) -> str:
    """ARN of the boundary policy of one environment's stack: the stack's ``permissionsBoundaryArn``."""
    return f"arn:aws:iam::{account_id}:policy{DELIVERY_PATH}{boundary_policy_name(environment)}"


def delivery_arns(account_id: str) -> list[str]:
    """The deploy and preview roles and the boundary policies: what no deploy may change."""
    return [
        f"arn:aws:iam::{account_id}:role{DELIVERY_PATH}*",
        f"arn:aws:iam::{account_id}:policy{DELIVERY_PATH}*",
    ]


def role_boundary_policy(account_id: str, region: str, environment: str) -> dict[str, Any]:
    """The boundary of every role of ``environment``'s stack (the stack name is the environment).

    Data-plane actions reach resources of ``account_id`` in ``region`` only, whatever the role's own
    policy names (a role cannot copy research data to a bucket of another account). The actions AWS
    authorises on no resource (X-Ray, ECR sign-in, log deliveries) have no resource account to
    compare, so they are held to the region alone.
    """
    in_region = {"aws:RequestedRegion": region}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PipelineDataPlane",
                "Effect": "Allow",
                "Action": [action for action in PIPELINE_ROLE_ACTIONS if action not in RESOURCE_WILDCARD_ACTIONS],
                "Resource": "*",
                # IfExists: the few actions whose requests carry no resource account keep working.
                "Condition": {
                    "StringEquals": in_region,
                    "StringEqualsIfExists": {"aws:ResourceAccount": account_id},
                },
            },
            {
                "Sid": "PipelineActionsOnNoResource",
                "Effect": "Allow",
                "Action": [action for action in PIPELINE_ROLE_ACTIONS if action in RESOURCE_WILDCARD_ACTIONS],
                "Resource": "*",
                "Condition": {"StringEquals": in_region},
            },
            {
                "Sid": "PassRolesOfTheSameStack",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": stack_roles_arn(account_id, environment),
            },
        ],
    }
