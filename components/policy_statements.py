"""The vocabulary of the pipeline's IAM documents: the action lists they grant, the document and
Allow-statement builders, and the ARN patterns of objects and log streams.

Shared by :mod:`components.policies` (the roles' identity policies), :mod:`components.resource_policies`
and :mod:`components.endpoint_policies`. No Pulumi import here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

POLICY_VERSION = "2012-10-17"

#: Actions for which AWS accepts only ``"Resource": "*"`` in an identity policy.
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
XRAY_SAMPLING_ACTIONS = ("xray:GetSamplingRules", "xray:GetSamplingTargets")
ECR_AUTHORIZATION_ACTIONS = ("ecr:GetAuthorizationToken",)
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
RESOURCE_WILDCARD_ACTIONS = frozenset(
    (*XRAY_WRITE_ACTIONS, *XRAY_SAMPLING_ACTIONS, *ECR_AUTHORIZATION_ACTIONS, *LOG_DELIVERY_ACTIONS)
)

#: What a publisher to an SSE-KMS topic needs on the topic's key.
TOPIC_KEY_USE_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
IMAGE_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")


def document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    """A policy document holding ``statements`` (each copied)."""
    return {"Version": POLICY_VERSION, "Statement": [dict(statement) for statement in statements]}


def allow(
    sid: str,
    actions: Sequence[str],
    resources: str | Sequence[str],
    *,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An Allow statement of ``actions`` on ``resources``, with ``condition`` if given."""
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
    if condition is not None:
        statement["Condition"] = dict(condition)
    return statement


def object_arns(bucket_arn: str, prefix: str) -> str:
    """The ARN pattern of a bucket's objects under ``prefix``."""
    return f"{bucket_arn}/{prefix}*"


def log_stream_arns(log_group_arn: str) -> str:
    """The ARN pattern of a log group's streams."""
    return f"{log_group_arn}:*"


def task_definition_revisions(task_definition_arn: str) -> str:
    """The ARN pattern of every revision of a task definition's family, from one revision's ARN
    (``arn:aws:ecs:region:account:task-definition/FAMILY:REVISION`` → ``…/FAMILY:*``).

    Raises
    ------
    ValueError
        If ``task_definition_arn`` is not the ARN of a task definition revision.
    """
    parts = task_definition_arn.split(":", 5)
    resource = parts[5] if len(parts) == 6 and parts[2] == "ecs" else ""
    kind, _, family_revision = resource.partition("/")
    family, _, revision = family_revision.rpartition(":")
    if kind != "task-definition" or not family or not revision.isdigit():
        raise ValueError(f"not the ARN of a task definition revision: {task_definition_arn!r}")
    return f"{task_definition_arn.rsplit(':', 1)[0]}:*"
