"""Checks of where the pipeline's data rests or waits: buckets, tables and the upload queues.

Each check returns the list of problems it finds (empty = the property holds). The tests assert ``== []``
on the real program and, for the negative twins, feed a copy with one property removed
(``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import json
from typing import Any

from access_checks import denies_insecure_transport
from stack_resources import RecordedResource, StackResources


def bucket_problems(stack: StackResources, bucket: RecordedResource) -> list[str]:
    """Encryption, versioning, public access block, ownership, TLS-only policy, lifecycle, EventBridge."""
    problems = []

    def settings(type_token: str) -> list[dict[str, Any]]:
        return [item.inputs for item in stack.attached_to(type_token, "bucket", bucket.resource_id)]

    encryption = settings(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    rules = [rule for config in encryption for rule in config.get("rules", [])]
    if not any(
        rule.get("applyServerSideEncryptionByDefault", {}).get("sseAlgorithm") in ("AES256", "aws:kms")
        and rule.get("bucketKeyEnabled")
        for rule in rules
    ):
        problems.append("no default server-side encryption with bucket key")
    if not any(
        item.get("versioningConfiguration", {}).get("status") == "Enabled"
        for item in settings("aws:s3/bucketVersioning:BucketVersioning")
    ):
        problems.append("versioning is not enabled")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if not any(
        all(item.get(flag) is True for flag in flags)
        for item in settings("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    ):
        problems.append("public access is not blocked on all four settings")
    if not any(
        item.get("rule", {}).get("objectOwnership") == "BucketOwnerEnforced"
        for item in settings("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    ):
        problems.append("ACLs are not disabled (ownership is not BucketOwnerEnforced)")
    if not any(
        denies_insecure_transport(json.loads(item["policy"]), bucket.outputs["arn"])
        for item in settings("aws:s3/bucketPolicy:BucketPolicy")
    ):
        problems.append("no bucket policy denying requests without TLS")
    if not any(
        item.get("eventbridge") is True for item in settings("aws:s3/bucketNotification:BucketNotification")
    ):
        problems.append("EventBridge notifications are off")
    lifecycle = settings("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    if not any(rule.get("status") == "Enabled" for item in lifecycle for rule in item.get("rules", [])):
        problems.append("no enabled lifecycle rule")
    return problems


def table_problems(table: RecordedResource) -> list[str]:
    """Keys per spec §4 (``userId`` hash / ``sessionId`` range, both S), on-demand, PITR, SSE."""
    inputs, problems = table.inputs, []
    attributes = {item["name"]: item["type"] for item in inputs.get("attributes", [])}
    if (inputs.get("hashKey"), inputs.get("rangeKey")) != ("userId", "sessionId"):
        problems.append(
            f"key schema is {inputs.get('hashKey')}/{inputs.get('rangeKey')}, not userId/sessionId"
        )
    if attributes != {"userId": "S", "sessionId": "S"}:
        problems.append(f"key attributes are {attributes}")
    if inputs.get("billingMode") != "PAY_PER_REQUEST":
        problems.append("billing is not on-demand")
    if inputs.get("pointInTimeRecovery", {}).get("enabled") is not True:
        problems.append("point-in-time recovery is off")
    if inputs.get("serverSideEncryption", {}).get("enabled") is not True:
        problems.append("server-side encryption is off")
    return problems


def queue_problems(
    queue: RecordedResource, dead_letter_queue: RecordedResource, max_receive_count: int
) -> list[str]:
    """Both queues encrypted; the queue redrives to the DLQ after ``max_receive_count`` receives."""
    problems = [
        f"{item.name} is not encrypted"
        for item in (queue, dead_letter_queue)
        if not (item.inputs.get("sqsManagedSseEnabled") or item.inputs.get("kmsMasterKeyId"))
    ]
    redrive = json.loads(queue.inputs.get("redrivePolicy") or "{}")
    if redrive.get("deadLetterTargetArn") != dead_letter_queue.outputs["arn"]:
        problems.append("the queue does not redrive to the dead-letter queue")
    if redrive.get("maxReceiveCount") != max_receive_count:
        problems.append(f"maxReceiveCount is {redrive.get('maxReceiveCount')}, expected {max_receive_count}")
    return problems
