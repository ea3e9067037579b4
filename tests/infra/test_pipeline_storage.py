"""PipelineStorage: bucket and table security properties, lifecycle rules, deletion protection."""

import pytest
from resource_types import BUCKET, TABLE
from storage_checks import bucket_problems, table_problems

pytestmark = pytest.mark.unit

LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"


def lifecycle_rules(stack, bucket_name):
    bucket = stack.one(BUCKET, bucket_name)
    (config,) = stack.attached_to(LIFECYCLE, "bucket", bucket.resource_id)
    return {rule["id"]: rule for rule in config.inputs["rules"]}


@pytest.mark.parametrize("bucket_name", ["storage-uploads", "storage-results"])
def test_each_bucket_is_encrypted_versioned_private_tls_only_and_notifies_eventbridge(
    self_contained_stack, bucket_name
):
    stack = self_contained_stack.resources

    assert bucket_problems(stack, stack.one(BUCKET, bucket_name)) == []


@pytest.mark.parametrize(
    ("type_token", "child", "change", "expected"),
    [
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "storage-uploads-encryption",
            lambda inputs: inputs["rules"][0].pop("bucketKeyEnabled"),
            "encryption",
        ),
        (
            "aws:s3/bucketVersioning:BucketVersioning",
            "storage-uploads-versioning",
            lambda inputs: inputs["versioningConfiguration"].update(status="Suspended"),
            "versioning",
        ),
        (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "storage-uploads-public-access",
            lambda inputs: inputs.update(restrictPublicBuckets=False),
            "public access",
        ),
        (
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "storage-uploads-ownership",
            lambda inputs: inputs["rule"].update(objectOwnership="ObjectWriter"),
            "ACLs",
        ),
        (
            "aws:s3/bucketPolicy:BucketPolicy",
            "storage-uploads-tls-only",
            lambda inputs: inputs.update(policy='{"Version": "2012-10-17", "Statement": []}'),
            "TLS",
        ),
        (
            "aws:s3/bucketNotification:BucketNotification",
            "storage-uploads-notifications",
            lambda inputs: inputs.update(eventbridge=False),
            "EventBridge",
        ),
        (LIFECYCLE, "storage-uploads-lifecycle", lambda inputs: inputs.update(rules=[]), "lifecycle"),
    ],
)
def test_bucket_check_reports_each_removed_property(
    self_contained_stack, type_token, child, change, expected
):
    stack = self_contained_stack.resources.mutated(type_token, child, change)

    problems = bucket_problems(stack, stack.one(BUCKET, "storage-uploads"))

    assert len(problems) == 1 and expected in problems[0]


def test_bucket_check_reports_a_missing_public_access_block(self_contained_stack):
    stack = self_contained_stack.resources.without(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "storage-results-public-access"
    )

    assert bucket_problems(stack, stack.one(BUCKET, "storage-results")) == [
        "public access is not blocked on all four settings"
    ]


def test_upload_lifecycle_follows_the_config(self_contained_stack):
    rules = lifecycle_rules(self_contained_stack.resources, "storage-uploads")

    assert rules["expire-uploads"]["filter"] == {"prefix": "uploads/"}
    assert rules["expire-uploads"]["expiration"]["days"] == 30  # uploadExpirationDays
    assert rules["expire-uploads"]["noncurrentVersionExpiration"]["noncurrentDays"] >= 1
    assert rules["abort-incomplete-multipart"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 1
    assert all(rule["status"] == "Enabled" for rule in rules.values())


def test_results_lifecycle_keeps_replaced_versions_for_the_configured_days(self_contained_stack):
    rules = lifecycle_rules(self_contained_stack.resources, "storage-results")

    assert rules["expire-replaced-results"]["noncurrentVersionExpiration"]["noncurrentDays"] == 7
    assert "expiration" not in rules["expire-replaced-results"], "current results must never expire"


DATA_TABLES = ("storage-status", "storage-classifier")


@pytest.mark.parametrize("table_name", DATA_TABLES)
def test_tables_have_the_spec_keys_pitr_encryption_and_on_demand_billing(self_contained_stack, table_name):
    assert table_problems(self_contained_stack.resources.one(TABLE, table_name)) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda inputs: inputs.update(rangeKey="createdAt"), "key schema"),
        (lambda inputs: inputs["attributes"][1].update(type="N"), "key attributes"),
        (lambda inputs: inputs.update(billingMode="PROVISIONED"), "on-demand"),
        (lambda inputs: inputs.pop("pointInTimeRecovery"), "point-in-time"),
        (lambda inputs: inputs["serverSideEncryption"].update(enabled=False), "encryption"),
    ],
)
def test_table_check_reports_each_removed_property(self_contained_stack, change, expected):
    stack = self_contained_stack.resources.mutated(TABLE, "storage-status", change)

    problems = table_problems(stack.one(TABLE, "storage-status"))

    assert len(problems) == 1 and expected in problems[0]


def test_data_tables_are_deletion_protected_in_prod_only(self_contained_stack, external_stack):
    def protection(stack):
        tables = [stack.resources.one(TABLE, name) for name in DATA_TABLES]
        return [table.inputs.get("deletionProtectionEnabled") for table in tables]

    assert protection(self_contained_stack) == [False, False]
    assert protection(external_stack) == [True, True]


def test_the_limits_table_keeps_counters_only_until_their_ttl(self_contained_stack):
    table = self_contained_stack.resources.one(TABLE, "storage-limits")

    assert table.inputs["hashKey"] == "counterId" and "rangeKey" not in table.inputs
    assert table.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert table.inputs["serverSideEncryption"] == {"enabled": True}
