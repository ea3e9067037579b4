"""Policies of the private network's VPC endpoints, as plain dicts built from plain ARNs.

An endpoint policy caps what any caller inside the VPC can reach through that endpoint, whatever
its own credentials allow: stolen credentials of another account, or a broader role, still reach
only the stack's own buckets, tables, repository and log group from the classifier's network.
Endpoint policies need a ``Principal``; ``"*"`` here means "any caller using this endpoint", and
each statement names the resources it is limited to. No Pulumi import here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.policy_statements import (
    ECR_AUTHORIZATION_ACTIONS,
    IMAGE_PULL_ACTIONS,
    LOG_STREAM_ACTIONS,
    READ_OBJECT_ACTIONS,
    document,
    log_stream_arns,
    object_arns,
)
from contracts.keys import RESULTS_PREFIX, UPLOAD_PREFIX

#: Item reads and writes the pipeline makes on its tables (no table administration, no scans).
TABLE_ITEM_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:ConditionCheckItem",
)


def ecr_layer_bucket_arn(region: str) -> str:
    """The AWS-owned bucket ECR serves image layers from; an image pull through the S3 gateway
    endpoint reads it (``prod-{region}-starport-layer-bucket``)."""
    return f"arn:aws:s3:::prod-{region}-starport-layer-bucket"


def s3_endpoint_policy(*, region: str, upload_bucket_arn: str, results_bucket_arn: str) -> dict[str, Any]:
    """S3 gateway endpoint: read uploads, write results, and fetch ECR image layers; nothing else."""
    return document(
        _statement("ReadUploads", READ_OBJECT_ACTIONS, object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        _statement("WriteResults", ("s3:PutObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
        _statement("PullImageLayers", ("s3:GetObject",), f"{ecr_layer_bucket_arn(region)}/*"),
    )


def dynamodb_endpoint_policy(*, table_arns: Sequence[str]) -> dict[str, Any]:
    """DynamoDB gateway endpoint: item reads and writes on the stack's tables only.

    Raises
    ------
    ValueError
        If ``table_arns`` is empty or a bare string.
    """
    if isinstance(table_arns, str) or not table_arns:
        raise ValueError(f"table_arns must be a non-empty sequence of ARNs, got {table_arns!r}")
    return document(_statement("StackTables", TABLE_ITEM_ACTIONS, list(table_arns)))


def ecr_endpoint_policy(*, repository_arn: str) -> dict[str, Any]:
    """ECR API and Docker endpoints: a registry token (account-wide by AWS's design) and pulls from
    the stack's repository."""
    return document(
        # GetAuthorizationToken is account-wide: AWS accepts no resource other than "*".
        _statement("GetRegistryToken", ECR_AUTHORIZATION_ACTIONS, "*"),
        _statement("PullClassifierImage", IMAGE_PULL_ACTIONS, repository_arn),
    )


def logs_endpoint_policy(*, log_group_arn: str) -> dict[str, Any]:
    """CloudWatch Logs endpoint: the task's log streams only."""
    return document(_statement("WriteTaskLogs", LOG_STREAM_ACTIONS, log_stream_arns(log_group_arn)))


def _statement(sid: str, actions: Sequence[str], resources: str | Sequence[str]) -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
