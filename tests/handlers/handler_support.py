"""Helpers for the handler tests: real-shape events from tests/events and ways to vary them."""

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"
REGION = "eu-west-2"
ACCOUNT = "123456789012"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of ``tests/events/{name}.json``."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


@dataclass(frozen=True)
class LambdaContext:
    """The parts of the Lambda context object a handler may read."""

    function_name: str = "eeg-test-fn"
    aws_request_id: str = "6f1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:eeg-test-fn"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000



def s3_event(
    template: dict[str, Any], *, bucket: str, key: str, version_id: str | None, etag: str, size: int, time: str
) -> dict[str, Any]:
    """The EventBridge ``Object Created`` template edited to describe one object version."""
    event = copy.deepcopy(template)
    event["time"] = time
    event["resources"] = [f"arn:aws:s3:::{bucket}"]
    event["detail"]["bucket"]["name"] = bucket
    event["detail"]["object"].update({"key": key, "size": size, "etag": etag, "version-id": version_id})
    return event


def sqs_batch(template: dict[str, Any], events: list[tuple[str, Any]]) -> dict[str, Any]:
    """The SQS batch template with one record per ``(messageId, body)``; dict bodies are JSON-encoded."""
    record_template = template["Records"][0]
    records = []
    for message_id, body in events:
        record = copy.deepcopy(record_template)
        record["messageId"] = message_id
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        records.append(record)
    return {"Records": records}
