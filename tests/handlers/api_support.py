"""Helpers of the status API handler tests: the callers of the event files, a call of the handler, and a
received session to ask about."""

import json

from handler_support import record_received, run_state

from handlers import api
from handlers.common.status import StatusStore

ME = "3f9c2b1a-6d5e-4f70-8a9b-0c1d2e3f4a5b"  # the sub in the event files
SOMEONE_ELSE = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
SESSION = "20261123T220000Z-0a1b2c3d4e5f"


def call_api(event: dict, lambda_context) -> tuple[int, dict, dict]:
    """The handler's status code, decoded JSON body and headers for ``event``."""
    response = api.handler(event, lambda_context)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def add_session(aws, user_id: str, session_id: str, uploaded_at: str = "2026-11-23T22:00:00.000Z") -> dict:
    """A RECEIVED session of ``user_id`` (what ``start`` writes for its upload); the run's state."""
    state = run_state(aws.upload_bucket, user_id, session_id, "v1", file_name="S001_imagery.zip")
    record_received(StatusStore(aws.dynamodb, aws.status_table), state, uploaded_at=uploaded_at)
    return state
