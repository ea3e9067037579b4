"""The status API on moto: POST /sessions answers a presigned, size-limited upload for the caller's key."""

import base64
import json
import re

import pytest
from api_support import ME, call_api

from contracts.api import PRESIGN_EXPIRY_SECONDS
from contracts.uploads import LIMITS

pytestmark = pytest.mark.moto


def test_post_sessions_returns_a_presigned_upload_for_the_callers_key(aws, load_event, lambda_context):
    # GIVEN an authenticated request naming the file to upload
    event = load_event("apigw_v2_post_sessions")
    # WHEN it is answered
    status, body, _ = call_api(event, lambda_context)
    # THEN a time-ordered session id and a size-limited POST form for uploads/{sub}/{sessionId}/{file}
    assert status == 201
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{12}", body["sessionId"])
    expected_key = f"uploads/{ME}/{body['sessionId']}/S001_imagery.zip"
    assert body["key"] == expected_key
    fields = body["upload"]["fields"]
    assert fields["key"] == expected_key
    assert aws.upload_bucket in body["upload"]["url"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, LIMITS.max_upload_bytes] in policy["conditions"]
    assert {"key": expected_key} in policy["conditions"]
    assert body["expiresInSeconds"] == PRESIGN_EXPIRY_SECONDS and body["maxBytes"] == LIMITS.max_upload_bytes


def test_post_sessions_without_a_body_uses_the_default_file_name(aws, load_event, lambda_context):
    event = load_event("apigw_v2_post_sessions")
    del event["body"]
    status, body, _ = call_api(event, lambda_context)
    assert status == 201 and body["key"].endswith("/upload.zip")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (json.dumps({"fileName": "../../other-user/x.zip"}), "INVALID_FILE_NAME"),
        (json.dumps({"fileName": "recording.csv"}), "INVALID_FILE_NAME"),
        (json.dumps({"fileName": "a" * 200 + ".zip"}), "INVALID_FILE_NAME"),
        (json.dumps({"fileName": 42}), "INVALID_FILE_NAME"),
        ("{not json", "INVALID_BODY"),
        (json.dumps(["S001.zip"]), "INVALID_BODY"),
        ("[" * 3000, "INVALID_BODY"),  # nested too deeply for the JSON parser's recursion limit
    ],
)
def test_post_sessions_rejects_a_bad_body_with_400(aws, load_event, lambda_context, body, code):
    event = load_event("apigw_v2_post_sessions")
    event["body"] = body
    status, response, _ = call_api(event, lambda_context)
    assert status == 400 and response["error"]["code"] == code and response["error"]["message"]


def test_a_base64_encoded_body_is_decoded(aws, load_event, lambda_context):
    event = load_event("apigw_v2_post_sessions")
    event["body"] = base64.b64encode(json.dumps({"fileName": "night.zip"}).encode()).decode()
    event["isBase64Encoded"] = True
    status, body, _ = call_api(event, lambda_context)
    assert status == 201 and body["key"].endswith("/night.zip")
