"""Emulator calls for the program's data and messaging resources: S3 buckets and their settings,
DynamoDB tables, SQS queues and policies, KMS keys, SNS topics, EventBridge rules and targets.

Each function takes the emulator, the logical name and the resolved inputs (the provider's wire
names, camelCase), and returns the physical id and the attributes the AWS provider computes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulation import Emulator

Answer = tuple[str, dict[str, Any]]


class NotEmulated(Exception):
    """Raised by a creator for a resource (of a type it knows) that the emulator cannot hold."""
_UPPER_KEYS = {"id": "ID", "kmsMasterKeyId": "KMSMasterKeyID", "sseAlgorithm": "SSEAlgorithm"}


def pascal(value: Any) -> Any:
    """Provider inputs (camelCase keys, numbers as floats) as API parameters (PascalCase, whole numbers)."""
    if isinstance(value, dict):
        return {_UPPER_KEYS.get(key, key[:1].upper() + key[1:]): pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [pascal(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def present(inputs: dict[str, Any], names: dict[str, str], convert=lambda value: value) -> dict[str, Any]:
    """The inputs that are set, renamed from provider names to API parameter names (``names``)."""
    return {
        parameter: convert(inputs[key]) for key, parameter in names.items() if inputs.get(key) is not None
    }


def whole(value: Any) -> Any:
    """A number the provider passed as a float, as the whole number it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def policy_text(value: Any) -> str:
    """A policy input as JSON text (the provider accepts a string or an object)."""
    return value if isinstance(value, str) else json.dumps(value)


def _bucket(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs, "bucket", lower=True)
    emulator.client("s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": emulator.region}
    )
    return name, {
        "bucket": name,
        "arn": emulator.arn("s3", name, region=False, account=False),
        "region": emulator.region,
        "bucketDomainName": f"{name}.s3.amazonaws.com",
    }


def _bucket_setting(call: str, parameter: str, build) -> Any:
    """A bucket sub-resource that is one ``Put*`` call of ``{parameter: build(inputs)}``."""

    def create(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
        getattr(emulator.client("s3"), call)(Bucket=inputs["bucket"], **{parameter: build(inputs)})
        return inputs["bucket"], {}

    return create


def _notification(inputs: dict[str, Any]) -> dict[str, Any]:
    for kind in ("queues", "topics", "lambdaFunctions"):
        if inputs.get(kind):
            raise NotEmulated(f"bucket notifications to {kind}")
    return {"EventBridgeConfiguration": {}} if inputs.get("eventbridge") else {}


def _table(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    keys = [(inputs["hashKey"], "HASH")] + ([(inputs["rangeKey"], "RANGE")] if inputs.get("rangeKey") else [])
    dynamodb = emulator.client("dynamodb")
    arn = dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": item["name"], "AttributeType": item["type"]} for item in inputs["attributes"]
        ],
        KeySchema=[{"AttributeName": key, "KeyType": kind} for key, kind in keys],
        BillingMode=inputs.get("billingMode", "PROVISIONED"),
        SSESpecification={"Enabled": bool((inputs.get("serverSideEncryption") or {}).get("enabled"))},
        DeletionProtectionEnabled=bool(inputs.get("deletionProtectionEnabled")),
    )["TableDescription"]["TableArn"]
    if (inputs.get("pointInTimeRecovery") or {}).get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return name, {"name": name, "arn": arn}


_QUEUE_ATTRIBUTES = {
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "redrivePolicy": "RedrivePolicy",
    "policy": "Policy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
}


def _attribute_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(whole(value))


def _queue(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    attributes = {
        attribute: _attribute_text(inputs[key])
        for key, attribute in _QUEUE_ATTRIBUTES.items()
        if key in inputs
    }
    sqs = emulator.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"name": name, "arn": arn, "url": url}


def _queue_policy(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    emulator.client("sqs").set_queue_attributes(
        QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]}
    )
    return inputs["queueUrl"], {}


def _kms_key(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    kms = emulator.client("kms")
    optional = present(inputs, {"policy": "Policy"})
    metadata = kms.create_key(Description=inputs.get("description", ""), **optional)["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=metadata["KeyId"])
    return metadata["KeyId"], {"keyId": metadata["KeyId"], "arn": metadata["Arn"]}


def _topic(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    attributes = {"KmsMasterKeyId": inputs["kmsMasterKeyId"]} if inputs.get("kmsMasterKeyId") else {}
    arn = emulator.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return arn, {"name": name, "arn": arn}


def _subscription(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:  # noqa: ARG001
    arn = emulator.client("sns").subscribe(
        TopicArn=inputs["topic"], Protocol=inputs["protocol"], Endpoint=inputs["endpoint"]
    )["SubscriptionArn"]
    return arn, {"arn": arn}


def _event_rule(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    name = emulator.name(logical_name, inputs)
    optional = present(
        inputs,
        {
            "eventPattern": "EventPattern",
            "scheduleExpression": "ScheduleExpression",
            "description": "Description",
        },
    )
    arn = emulator.client("events").put_rule(Name=name, **optional)["RuleArn"]
    return name, {"name": name, "arn": arn}


def _event_target(emulator: Emulator, logical_name: str, inputs: dict[str, Any]) -> Answer:
    target_id = inputs.get("targetId") or emulator.auto_name(logical_name)
    target = {
        "Id": target_id,
        "Arn": inputs["arn"],
        **present(inputs, {"roleArn": "RoleArn", "input": "Input", "inputPath": "InputPath"}),
        **present(inputs, {"deadLetterConfig": "DeadLetterConfig", "retryPolicy": "RetryPolicy"}, pascal),
    }
    emulator.client("events").put_targets(Rule=inputs["rule"], Targets=[target])
    return f"{inputs['rule']}-{target_id}", {"targetId": target_id}


CREATORS = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_setting(
        "put_bucket_versioning",
        "VersioningConfiguration",
        lambda inputs: pascal(inputs["versioningConfiguration"]),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_setting(
        "put_bucket_encryption",
        "ServerSideEncryptionConfiguration",
        lambda inputs: {"Rules": pascal(inputs["rules"])},
    ),
    "aws:s3/bucketNotification:BucketNotification": _bucket_setting(
        "put_bucket_notification_configuration", "NotificationConfiguration", _notification
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_setting(
        "put_bucket_policy", "Policy", lambda inputs: inputs["policy"]
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_setting(
        "put_public_access_block",
        "PublicAccessBlockConfiguration",
        lambda inputs: pascal({key: value for key, value in inputs.items() if key != "bucket"}),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_setting(
        "put_bucket_ownership_controls",
        "OwnershipControls",
        lambda inputs: {"Rules": [pascal(inputs["rule"])]},
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_setting(
        "put_bucket_lifecycle_configuration",
        "LifecycleConfiguration",
        lambda inputs: {"Rules": pascal(inputs["rules"])},
    ),
    "aws:dynamodb/table:Table": _table,
    "aws:sqs/queue:Queue": _queue,
    "aws:sqs/queuePolicy:QueuePolicy": _queue_policy,
    "aws:kms/key:Key": _kms_key,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
}
