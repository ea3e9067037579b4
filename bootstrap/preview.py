"""What the pull-request preview role may read: the configuration of the stack's resources, no data.

``pulumi preview`` (with ``--refresh``, the stricter case) reads each resource's configuration
through the provider's Describe/Get/List calls. Those are listed here one by one, never as a
wildcard such as ``s3:Get*`` (which includes ``s3:GetObject``): no object, item, message, log
event, execution history or secret is readable with this policy. Pure functions, no Pulumi import.
"""

from __future__ import annotations

from typing import Any

from .access import state_bucket_statements

#: Configuration reads of the services the pipeline stack declares resources in.
CONFIGURATION_READ_ACTIONS = (
    "cloudwatch:DescribeAlarms",
    "cloudwatch:GetDashboard",
    "cloudwatch:ListTagsForResource",
    "cognito-idp:DescribeUserPool",
    "cognito-idp:DescribeUserPoolClient",
    "cognito-idp:GetUserPoolMfaConfig",
    "cognito-idp:ListTagsForResource",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribePrefixLists",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "ecr:DescribeRepositories",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
    "ecs:DescribeClusters",
    "ecs:DescribeTaskDefinition",
    "ecs:ListTagsForResource",
    "events:DescribeRule",
    "events:ListTagsForResource",
    "events:ListTargetsByRule",
    "iam:GetOpenIDConnectProvider",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "lambda:GetEventSourceMapping",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionConcurrency",
    "lambda:GetFunctionConfiguration",
    "lambda:GetFunctionEventInvokeConfig",
    "lambda:GetPolicy",
    "lambda:ListTags",
    "lambda:ListVersionsByFunction",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:ListTagsLogGroup",
    "route53resolver:GetFirewallDomainList",
    "route53resolver:GetFirewallRuleGroup",
    "route53resolver:GetFirewallRuleGroupAssociation",
    "route53resolver:ListFirewallConfigs",
    "route53resolver:ListFirewallDomains",
    "route53resolver:ListFirewallRules",
    "route53resolver:ListTagsForResource",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "sns:GetSubscriptionAttributes",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ListQueueTags",
    "states:DescribeStateMachine",
    "states:ListTagsForResource",
)


def preview_policy(region: str, environment: str, state_bucket_arn: str | None = None) -> dict[str, Any]:
    """Configuration reads in the stack's region (IAM, global, has no region condition), plus read
    access to the ``environment`` stack's state in a self-managed Pulumi state bucket when there is one.

    API Gateway authorises reads as ``apigateway:GET`` on a path; it is limited to HTTP APIs and
    their tags, so REST API keys (readable under ``/apikeys``) stay out of reach.
    """
    regional = [action for action in CONFIGURATION_READ_ACTIONS if not action.startswith("iam:")]
    global_reads = [action for action in CONFIGURATION_READ_ACTIONS if action.startswith("iam:")]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadResourceConfiguration",
            "Effect": "Allow",
            "Action": regional,
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {"Sid": "ReadRoleConfiguration", "Effect": "Allow", "Action": global_reads, "Resource": "*"},
        {
            "Sid": "ReadHttpApiConfiguration",
            "Effect": "Allow",
            "Action": "apigateway:GET",
            "Resource": [
                f"arn:aws:apigateway:{region}::/apis",
                f"arn:aws:apigateway:{region}::/apis/*",
                f"arn:aws:apigateway:{region}::/tags/*",
            ],
        },
    ]
    if state_bucket_arn:
        statements += state_bucket_statements(state_bucket_arn, environment, ("s3:GetObject",))
    return {"Version": "2012-10-17", "Statement": statements}
