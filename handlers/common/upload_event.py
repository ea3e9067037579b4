"""The S3 upload an SQS message of the start function reports: an EventBridge S3 ``Object Created`` event."""

import json
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent

from handlers.common.status import normalise_sequencer
from handlers.common.timestamps import normalise_event_time

OBJECT_CREATED = "Object Created"


class MalformedMessage(ValueError):
    """An SQS message that is not an EventBridge S3 ``Object Created`` event."""


@dataclass(frozen=True, kw_only=True)
class UploadEvent:
    """The facts of one S3 ``Object Created`` event that the pipeline uses."""

    bucket: str
    key: str
    size: int
    upload_version: str
    uploaded_at: str
    sequencer: str


def parse_message_body(body: str) -> UploadEvent:
    """Read an SQS message body holding an EventBridge S3 ``Object Created`` event.

    The upload version is the object's S3 version id: the uploads bucket is versioned, and every
    step of the run reads exactly that version (docs/contracts.md).

    Raises
    ------
    MalformedMessage
        If the body is not JSON, not an ``Object Created`` event, or lacks bucket, key, size or
        version id (an event of an unversioned bucket, which this pipeline does not create).
    """
    try:
        document = json.loads(body)
    except (TypeError, ValueError) as error:
        raise MalformedMessage("the message body is not JSON") from error
    if not isinstance(document, dict):
        raise MalformedMessage("the message is not an S3 Object Created event")
    event = S3EventBridgeNotificationEvent(document)
    if event.get("detail-type") != OBJECT_CREATED or event.get("source") != "aws.s3":
        raise MalformedMessage("the message is not an S3 Object Created event")
    try:
        bucket, s3_object = event.detail.bucket.name, event.detail.object
        key, size = s3_object.key, s3_object.size
    except (KeyError, TypeError, AttributeError) as error:
        raise MalformedMessage("the event lacks the bucket, key, size or version of the object") from error
    version_id = s3_object.get("version-id")
    if not (
        isinstance(bucket, str)
        and isinstance(size, int)
        and isinstance(version_id, str)
        and version_id not in ("", "null")
    ):
        raise MalformedMessage("the event lacks the bucket, key, size or version id of the object")
    try:
        uploaded_at = normalise_event_time(event.get("time"))
    except (TypeError, ValueError) as error:
        raise MalformedMessage("the event has no valid time") from error
    return UploadEvent(
        bucket=bucket,
        key=key,
        size=size,
        upload_version=version_id,
        uploaded_at=uploaded_at,
        sequencer=normalise_sequencer(s3_object.get("sequencer")),
    )
