"""PipelineStorage: the upload and results buckets and the status and classifier tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import resource_policies
from contracts.environment import FunctionVariable
from contracts.keys import RESULTS_PREFIX, UPLOAD_PREFIX
from contracts.limits import LIMITS_TABLE_KEY, LIMITS_TABLE_TTL_ATTRIBUTE
from contracts.statuses import PARTITION_KEY, SORT_KEY


@dataclass(frozen=True, kw_only=True)
class StorageLocations:
    """Where the pipeline keeps its data: what the other components need of :class:`PipelineStorage`.

    Attributes
    ----------
    upload_bucket_name, upload_bucket_arn
        The bucket researchers upload to (keys under ``uploads/``).
    results_bucket_name, results_bucket_arn
        The bucket the classifier writes to (keys under ``results/``).
    status_table_name, status_table_arn
        Session statuses (``userId`` / ``sessionId``).
    classifier_table_name, classifier_table_arn
        Trained classifier summaries (``userId`` / ``sessionId``).
    limits_table_name, limits_table_arn
        Per-user request counters (``counterId``), removed by TTL once their window is over.
    """

    upload_bucket_name: pulumi.Input[str]
    upload_bucket_arn: pulumi.Input[str]
    results_bucket_name: pulumi.Input[str]
    results_bucket_arn: pulumi.Input[str]
    status_table_name: pulumi.Input[str]
    status_table_arn: pulumi.Input[str]
    classifier_table_name: pulumi.Input[str]
    classifier_table_arn: pulumi.Input[str]
    limits_table_name: pulumi.Input[str]
    limits_table_arn: pulumi.Input[str]

    def function_variables(self) -> dict[FunctionVariable, pulumi.Input[str]]:
        """The environment variables that name these locations, for any function that reads them."""
        return {
            FunctionVariable.STATUS_TABLE: self.status_table_name,
            FunctionVariable.CLASSIFIER_TABLE: self.classifier_table_name,
            FunctionVariable.UPLOAD_BUCKET: self.upload_bucket_name,
            FunctionVariable.RESULTS_BUCKET: self.results_bucket_name,
            FunctionVariable.LIMITS_TABLE: self.limits_table_name,
        }


@dataclass(frozen=True, kw_only=True)
class PipelineStorageArgs:
    """Inputs of :class:`PipelineStorage`.

    Attributes
    ----------
    upload_expiration_days
        Days an upload is kept before S3 expires it.
    upload_noncurrent_version_days
        Days a replaced (re-uploaded) or expired upload version is kept.
    results_noncurrent_version_days
        Days a replaced results object is kept.
    deletion_protection
        Protect both tables against deletion (production).
    """

    upload_expiration_days: int = 90
    upload_noncurrent_version_days: int = 7
    results_noncurrent_version_days: int = 30
    deletion_protection: bool = False

    def __post_init__(self) -> None:
        for field_name in (
            "upload_expiration_days",
            "upload_noncurrent_version_days",
            "results_noncurrent_version_days",
        ):
            if getattr(self, field_name) < 1:
                raise ValueError(f"{field_name} must be at least 1 day")


class PipelineStorage(pulumi.ComponentResource):
    """Upload + results buckets, status + classifier tables and the per-user limits table.

    Each bucket: SSE-S3 with bucket key, versioning, all four public-access blocks, bucket-owner
    ownership (ACLs off), a TLS-only bucket policy, lifecycle rules and EventBridge notifications.
    Each table: ``userId`` (hash) / ``sessionId`` (range) string keys, on-demand billing,
    point-in-time recovery, server-side encryption, deletion protection when asked. The limits
    table holds only counters that expire within minutes: no backups, TTL on ``expiresAt``.
    """

    upload_bucket_name: pulumi.Output[str]
    upload_bucket_arn: pulumi.Output[str]
    results_bucket_name: pulumi.Output[str]
    results_bucket_arn: pulumi.Output[str]
    status_table_name: pulumi.Output[str]
    status_table_arn: pulumi.Output[str]
    classifier_table_name: pulumi.Output[str]
    classifier_table_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: PipelineStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("eegpipeline:storage:PipelineStorage", name, None, opts)
        self._name = name

        self.upload_bucket = self._create_bucket(
            "uploads",
            [
                _rule(
                    "expire-uploads",
                    prefix=UPLOAD_PREFIX,
                    expiration={"days": args.upload_expiration_days},
                    noncurrent_version_expiration={"noncurrent_days": args.upload_noncurrent_version_days},
                ),
                _rule(
                    "abort-incomplete-multipart",
                    prefix="",
                    abort_incomplete_multipart_upload={"days_after_initiation": 1},
                ),
            ],
        )
        self.results_bucket = self._create_bucket(
            "results",
            [
                _rule(
                    "expire-replaced-results",
                    prefix=RESULTS_PREFIX,
                    noncurrent_version_expiration={"noncurrent_days": args.results_noncurrent_version_days},
                ),
                _rule(
                    "abort-incomplete-multipart",
                    prefix="",
                    abort_incomplete_multipart_upload={"days_after_initiation": 1},
                ),
            ],
        )
        self.status_table = self._create_table("status", args.deletion_protection)
        self.classifier_table = self._create_table("classifier", args.deletion_protection)
        self.limits_table = aws.dynamodb.Table(
            f"{name}-limits",
            attributes=[{"name": LIMITS_TABLE_KEY, "type": "S"}],
            hash_key=LIMITS_TABLE_KEY,
            billing_mode="PAY_PER_REQUEST",
            ttl={"attribute_name": LIMITS_TABLE_TTL_ATTRIBUTE, "enabled": True},
            server_side_encryption={"enabled": True},
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.locations = StorageLocations(
            upload_bucket_name=self.upload_bucket.bucket,
            upload_bucket_arn=self.upload_bucket.arn,
            results_bucket_name=self.results_bucket.bucket,
            results_bucket_arn=self.results_bucket.arn,
            status_table_name=self.status_table.name,
            status_table_arn=self.status_table.arn,
            classifier_table_name=self.classifier_table.name,
            classifier_table_arn=self.classifier_table.arn,
            limits_table_name=self.limits_table.name,
            limits_table_arn=self.limits_table.arn,
        )
        self.register_outputs(self.outputs)

    @property
    def outputs(self) -> dict[str, pulumi.Output[str]]:
        """The component's outputs, as registered."""
        return {
            "uploadBucketName": self.locations.upload_bucket_name,
            "uploadBucketArn": self.locations.upload_bucket_arn,
            "resultsBucketName": self.locations.results_bucket_name,
            "resultsBucketArn": self.locations.results_bucket_arn,
            "statusTableName": self.locations.status_table_name,
            "statusTableArn": self.locations.status_table_arn,
            "classifierTableName": self.locations.classifier_table_name,
            "classifierTableArn": self.locations.classifier_table_arn,
            "limitsTableName": self.locations.limits_table_name,
            "limitsTableArn": self.locations.limits_table_arn,
        }

    def _create_bucket(self, part: str, lifecycle_rules: Sequence[dict[str, Any]]) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        prefix = f"{self._name}-{part}"
        bucket = aws.s3.Bucket(prefix, opts=child)
        aws.s3.BucketOwnershipControls(
            f"{prefix}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{prefix}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{prefix}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{prefix}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{prefix}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(resource_policies.tls_only_bucket_policy(bucket_arn=arn))),
            # S3 rejects a policy change while the public access block is being written.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{prefix}-lifecycle",
            bucket=bucket.id,
            rules=list(lifecycle_rules),
            # Noncurrent-version rules only make sense once versioning is on.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketNotification(f"{prefix}-notifications", bucket=bucket.id, eventbridge=True, opts=child)
        return bucket

    def _create_table(self, part: str, deletion_protection: bool) -> aws.dynamodb.Table:
        return aws.dynamodb.Table(
            f"{self._name}-{part}",
            attributes=[{"name": PARTITION_KEY, "type": "S"}, {"name": SORT_KEY, "type": "S"}],
            hash_key=PARTITION_KEY,
            range_key=SORT_KEY,
            billing_mode="PAY_PER_REQUEST",
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True},
            deletion_protection_enabled=deletion_protection,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _rule(rule_id: str, *, prefix: str, **actions: Any) -> dict[str, Any]:
    """One enabled lifecycle rule on a key prefix (``""`` = the whole bucket)."""
    return {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, **actions}
