"""Resource policies attached to the pipeline's queues, buckets and notification topic key, as
plain dicts built from plain ARNs. No Pulumi import here.

* In the KMS key policy ``"Resource": "*"`` means "this key".
* The one service-wide action of the pipeline's documents is the ``s3:*`` of
  :func:`tls_only_bucket_policy`, a Deny: a Deny meant to block every request without TLS has to
  cover every action.
"""

from __future__ import annotations

from typing import Any

from components.policy_statements import TOPIC_KEY_USE_ACTIONS, document

#: What the account may do to administer the topic key, listed instead of ``kms:*``.
KEY_ADMINISTRATION_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:ListKeyRotations",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:UpdateKeyDescription",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:ListGrants",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)


def queue_policy(*, queue_arn: str, rule_arn: str) -> dict[str, Any]:
    """Queue resource policy: only the EventBridge rule ``rule_arn`` may send to the queue (the rule's
    target, or the dead-letter queue of its target)."""
    return document(
        {
            "Sid": "EventsFromRule",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
    )


def tls_only_bucket_policy(*, bucket_arn: str) -> dict[str, Any]:
    """Bucket policy denying every request to the bucket or its objects made without TLS.

    ``s3:*`` is deliberate and the only service-wide action in this module: it is a Deny, and a
    Deny that is to block plain-HTTP access must cover every action.
    """
    return document(
        {
            "Sid": "DenyRequestsWithoutTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def topic_key_policy(*, account_id: str) -> dict[str, Any]:
    """Key policy of the notification topic's customer-managed KMS key.

    In a key policy ``"Resource": "*"`` means this key only. The account root may administer the
    key (an explicit action list, no ``kms:*``) and, through IAM policies such as the state
    machine role's, use it for publishing. CloudWatch alarms publish to the encrypted topic as the
    ``cloudwatch.amazonaws.com`` service, which only a customer-managed key can allow; that grant
    is limited to alarms of this account.
    """
    account_root = {"AWS": f"arn:aws:iam::{account_id}:root"}
    return document(
        {
            "Sid": "AdministerKeyByAccount",
            "Effect": "Allow",
            "Principal": account_root,
            "Action": list(KEY_ADMINISTRATION_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "PublishThroughIamPolicies",
            "Effect": "Allow",
            "Principal": account_root,
            "Action": list(TOPIC_KEY_USE_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "PublishFromCloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": list(TOPIC_KEY_USE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    )
