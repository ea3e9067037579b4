"""The status API handler on moto: every route with HTTP API v2 events carrying a JWT authorizer context."""

import base64
import json
import re
from urllib.parse import parse_qs, urlparse

import pytest
from boto3.dynamodb.types import TypeSerializer
from handler_support import record_received, run_state

from contracts.api import PRESIGN_EXPIRY_SECONDS, Route
from contracts.subjects import user_id_for_subject
from contracts.uploads import LIMITS
from handlers import api
from handlers.common.api_routes import ROUTES
from handlers.common.paging import encode_page_token
from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto

ME = "3f9c2b1a-6d5e-4f70-8a9b-0c1d2e3f4a5b"  # the sub in the event files
SOMEONE_ELSE = "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"
SESSION = "20261123T220000Z-0a1b2c3d4e5f"


def _call(event: dict, lambda_context) -> tuple[int, dict, dict]:
    response = api.handler(event, lambda_context)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def _as(event: dict, sub: str | None) -> dict:
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    if sub is None:
        claims.pop("sub")
    else:
        claims["sub"] = sub
    return event


def _add_session(aws, user_id: str, session_id: str, uploaded_at: str = "2026-11-23T22:00:00.000Z") -> dict:
    state = run_state(aws.upload_bucket, user_id, session_id, "v1", file_name="S001_imagery.zip")
    record_received(StatusStore(aws.dynamodb, aws.status_table), state, uploaded_at=uploaded_at)
    return state


def test_post_sessions_returns_a_presigned_upload_for_the_callers_key(aws, load_event, lambda_context):
    # GIVEN an authenticated request naming the file to upload
    event = load_event("apigw_v2_post_sessions")
    # WHEN it is answered
    status, body, _ = _call(event, lambda_context)
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
    status, body, _ = _call(event, lambda_context)
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
    ],
)
def test_post_sessions_rejects_a_bad_body_with_400(aws, load_event, lambda_context, body, code):
    event = load_event("apigw_v2_post_sessions")
    event["body"] = body
    status, response, _ = _call(event, lambda_context)
    assert status == 400 and response["error"]["code"] == code and response["error"]["message"]


def test_a_base64_encoded_body_is_decoded(aws, load_event, lambda_context):
    event = load_event("apigw_v2_post_sessions")
    event["body"] = base64.b64encode(json.dumps({"fileName": "night.zip"}).encode()).decode()
    event["isBase64Encoded"] = True
    status, body, _ = _call(event, lambda_context)
    assert status == 201 and body["key"].endswith("/night.zip")


@pytest.mark.parametrize(
    "name",
    [
        "apigw_v2_post_sessions",
        "apigw_v2_get_sessions",
        "apigw_v2_get_session",
        "apigw_v2_get_session_classifier",
        "apigw_v2_get_session_report",
    ],
)
def test_every_route_answers_401_without_a_subject(aws, load_event, lambda_context, name):
    status, body, _ = _call(_as(load_event(name), None), lambda_context)
    assert status == 401 and body == {"error": {"code": "UNAUTHORIZED", "message": body["error"]["message"]}}


def test_get_session_returns_status_and_timestamps(aws, load_event, lambda_context):
    # GIVEN the caller's session was received
    state = _add_session(aws, ME, SESSION)
    # WHEN they ask for it
    status, body, _ = _call(load_event("apigw_v2_get_session"), lambda_context)
    # THEN they see its status and times but no internal attributes
    assert status == 200
    assert body["sessionId"] == SESSION and body["status"] == "RECEIVED" and body["runId"] == state["runId"]
    assert body["createdAt"] == body["uploadedAt"] == "2026-11-23T22:00:00.000Z"
    assert body["fileName"] == "S001_imagery.zip"
    assert "uploadSequencer" not in body and "executionArn" not in body


def test_get_session_shows_the_error_of_a_failed_session(aws, load_event, lambda_context):
    state = _add_session(aws, ME, SESSION)
    StatusStore(aws.dynamodb, aws.status_table).fail_run(
        ME,
        SESSION,
        state["runId"],
        error={"code": "TIMEOUT", "message": "too slow"},
        now="2026-11-23T23:00:00.000Z",
    )
    status, body, _ = _call(load_event("apigw_v2_get_session"), lambda_context)
    assert status == 200 and body["status"] == "FAILED"
    assert (
        body["error"] == {"code": "TIMEOUT", "message": "too slow"}
        and body["finishedAt"] == "2026-11-23T23:00:00.000Z"
    )


def test_another_users_session_is_answered_exactly_like_a_missing_one(aws, load_event, lambda_context):
    # GIVEN the session id exists, but for someone else
    _add_session(aws, SOMEONE_ELSE, SESSION)
    # WHEN the caller asks for it, and for an id that does not exist at all
    other = _call(load_event("apigw_v2_get_session"), lambda_context)
    missing_event = load_event("apigw_v2_get_session")
    missing_event["pathParameters"]["sessionId"] = "20261123T220000Z-ffffffffffff"
    missing = _call(missing_event, lambda_context)
    # THEN both answers are the same 404
    assert other[0] == missing[0] == 404
    assert other[1] == missing[1] == {"error": {"code": "NOT_FOUND", "message": "no such session"}}


def test_an_invalid_session_id_is_a_bad_request(aws, load_event, lambda_context):
    event = load_event("apigw_v2_get_session")
    event["pathParameters"]["sessionId"] = ".."
    status, body, _ = _call(event, lambda_context)
    assert status == 400 and body["error"]["code"] == "INVALID_SESSION_ID"


def test_get_sessions_pages_newest_first_through_only_the_callers_sessions(aws, load_event, lambda_context):
    # GIVEN five sessions of the caller and two of another user
    mine = [f"20261123T22000{index}Z-00000000000{index}" for index in range(5)]
    for session_id in mine:
        _add_session(aws, ME, session_id)
    for session_id in ("20261123T230000Z-aaaaaaaaaaaa", "20261123T220001Z-bbbbbbbbbbbb"):
        _add_session(aws, SOMEONE_ELSE, session_id)
    # WHEN they page through with limit=2 (the event file's query)
    seen, pages, event = [], 0, load_event("apigw_v2_get_sessions")
    while True:
        status, body, _ = _call(event, lambda_context)
        assert status == 200 and len(body["sessions"]) <= 2
        seen += [session["sessionId"] for session in body["sessions"]]
        pages += 1
        if "nextToken" not in body:
            break
        event = load_event("apigw_v2_get_sessions")
        event["queryStringParameters"]["nextToken"] = body["nextToken"]
    # THEN they saw exactly their own sessions, newest first
    assert seen == sorted(mine, reverse=True)
    assert pages >= 3


def test_a_next_token_cannot_reach_another_users_sessions(aws, load_event, lambda_context):
    # GIVEN a token pointing after another user's session id
    _add_session(aws, SOMEONE_ELSE, "20261123T230000Z-aaaaaaaaaaaa")
    _add_session(aws, SOMEONE_ELSE, "20261123T220000Z-bbbbbbbbbbbb")
    forged = encode_page_token("20261123T230000Z-aaaaaaaaaaaa")
    event = load_event("apigw_v2_get_sessions")
    event["queryStringParameters"]["nextToken"] = forged
    # WHEN the caller uses it THEN the query stays in their own (empty) partition
    status, body, _ = _call(event, lambda_context)
    assert status == 200 and body == {"sessions": []}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": "0"}, "INVALID_LIMIT"),
        ({"limit": "101"}, "INVALID_LIMIT"),
        ({"limit": "ten"}, "INVALID_LIMIT"),
        ({"nextToken": "%%%"}, "INVALID_NEXT_TOKEN"),
        ({"nextToken": "eyJ4IjogMX0"}, "INVALID_NEXT_TOKEN"),
    ],
)
def test_get_sessions_rejects_bad_paging_parameters(aws, load_event, lambda_context, query, code):
    event = load_event("apigw_v2_get_sessions")
    event["queryStringParameters"] = query
    status, body, _ = _call(event, lambda_context)
    assert status == 400 and body["error"]["code"] == code


def test_get_sessions_defaults_to_twenty_per_page(aws, load_event, lambda_context):
    for index in range(21):
        _add_session(aws, ME, f"20261123T2200{index:02d}Z-{index:012x}")
    event = load_event("apigw_v2_get_sessions")
    del event["queryStringParameters"]
    status, body, _ = _call(event, lambda_context)
    assert status == 200 and len(body["sessions"]) == 20 and "nextToken" in body


def test_the_classifier_is_404_until_it_exists_then_a_presigned_download(aws, load_event, lambda_context):
    # GIVEN a session without a trained classifier yet
    state = _add_session(aws, ME, SESSION)
    before = _call(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert before[0] == 404 and before[1]["error"]["code"] == "NOT_FOUND"
    # WHEN the classifier record is written
    classifier_key = f"{state['resultsPrefix']}classifier.json"
    aws.s3.put_object(Bucket=aws.results_bucket, Key=classifier_key, Body=b"{}")
    aws.dynamodb.put_item(
        TableName=aws.classifier_table,
        Item={
            "userId": {"S": ME},
            "sessionId": {"S": SESSION},
            "runId": {"S": state["runId"]},
            "classifierKey": {"S": classifier_key},
            "selectedOption": {"S": "A02"},
            "selectionAccuracy": {"N": "0.8"},
            "K": {"N": "6"},
        },
    )
    status, body, _ = _call(load_event("apigw_v2_get_session_classifier"), lambda_context)
    # THEN a presigned GET of classifier.json in the results bucket comes back with the model summary
    assert status == 200 and body["runId"] == state["runId"]
    url = urlparse(body["url"])
    assert aws.results_bucket in url.netloc + url.path and url.path.endswith(classifier_key)
    assert "X-Amz-Signature" in parse_qs(url.query) and parse_qs(url.query)["X-Amz-Expires"] == ["900"]
    assert body["classifier"] == {"selectedOption": "A02", "selectionAccuracy": 0.8, "K": 6}


def test_another_users_classifier_is_404(aws, load_event, lambda_context):
    aws.dynamodb.put_item(
        TableName=aws.classifier_table,
        Item={
            "userId": {"S": SOMEONE_ELSE},
            "sessionId": {"S": SESSION},
            "runId": {"S": "run-1"},
            "classifierKey": {"S": "results/x/classifier.json"},
        },
    )
    status, body, _ = _call(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def _succeeded_session(aws, user_id: str) -> str:
    """A SUCCEEDED session of ``user_id`` whose run wrote its results and manifest; its results prefix."""
    state = run_state(aws.upload_bucket, user_id, SESSION, "v1")
    prefix = state["resultsPrefix"]
    outputs = {
        "report": f"{prefix}report.html",
        "metrics": f"{prefix}metrics.json",
        "classifier": f"{prefix}classifier.json",
        "figures/accuracy.png": f"{prefix}figures/accuracy.png",
    }
    metrics = {
        "estimates": {
            "selectionAccuracy": {"value": 0.82, "meaning": "..."},
            "chanceLevel": {"value": 0.52, "meaning": "..."},
        },
        "selected": {
            "selection": "ensemble",
            "headlineModel": "ensemble",
            "online": {"model": "singleWindow", "K": 6, "windowSamples": 160, "windowEndMs": 3250.0},
            "ensemble": {"windowEndMs": [1000.0, 3250.0], "outerFoldAccuracyPerWindow": [[0.6, 0.7]]},
        },
        "trials": {"used": 44, "perClass": {"T1": 22, "T2": 22}, "label": [1, 2] * 22},
    }
    for key, body in [
        (outputs["report"], b"<html></html>"),
        (outputs["metrics"], json.dumps(metrics).encode()),
        (outputs["figures/accuracy.png"], b"png"),
        (f"{prefix}manifest.json", json.dumps({"status": "succeeded", "outputs": outputs}).encode()),
    ]:
        aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=body)
    item = {
        "userId": user_id,
        "sessionId": SESSION,
        "runId": state["runId"],
        "status": "SUCCEEDED",
        "result": {"resultsPrefix": prefix},
    }
    serializer = TypeSerializer()
    aws.dynamodb.put_item(
        TableName=aws.status_table, Item={name: serializer.serialize(value) for name, value in item.items()}
    )
    return prefix


def test_the_report_is_404_until_the_session_succeeded(aws, load_event, lambda_context):
    _add_session(aws, ME, SESSION)
    status, body, _ = _call(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"] == {"code": "NOT_FOUND", "message": "no report for this session"}


def test_the_report_is_a_presigned_page_with_presigned_figures_and_the_headline_figures(
    aws, load_event, lambda_context
):
    prefix = _succeeded_session(aws, ME)

    status, body, _ = _call(load_event("apigw_v2_get_session_report"), lambda_context)

    assert status == 200 and body["sessionId"] == SESSION
    assert body["expiresInSeconds"] == PRESIGN_EXPIRY_SECONDS
    report = urlparse(body["url"])
    assert report.path.endswith(f"{prefix}report.html")
    assert parse_qs(report.query)["X-Amz-Expires"] == [str(PRESIGN_EXPIRY_SECONDS)]
    assert list(body["figures"]) == ["figures/accuracy.png"]
    assert urlparse(body["figures"]["figures/accuracy.png"]).path.endswith(f"{prefix}figures/accuracy.png")
    assert body["metrics"] == {
        "estimates": {"selectionAccuracy": 0.82, "chanceLevel": 0.52},
        "selected": {
            "selection": "ensemble",
            "headlineModel": "ensemble",
            "online": {"model": "singleWindow", "K": 6, "windowSamples": 160, "windowEndMs": 3250.0},
        },
        "trialsUsed": 44,
    }


def test_another_users_report_is_404(aws, load_event, lambda_context):
    _succeeded_session(aws, SOMEONE_ELSE)
    status, body, _ = _call(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_a_succeeded_session_without_a_manifest_has_no_report(aws, load_event, lambda_context):
    prefix = _succeeded_session(aws, ME)
    aws.s3.delete_object(Bucket=aws.results_bucket, Key=f"{prefix}manifest.json")
    status, body, _ = _call(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no report for this session"


def test_the_handler_answers_every_route_the_api_declares():
    assert set(ROUTES) == set(Route)


def test_an_unknown_route_or_method_is_404(aws, load_event, lambda_context):
    """API Gateway forwards only the declared route keys; an event for anything else is a 404 too."""
    unknown = load_event("apigw_v2_get_sessions")
    unknown.update(routeKey="$default", rawPath="/admin")
    unknown["requestContext"]["http"].update(method="GET", path="/admin")
    status, body, _ = _call(unknown, lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"

    wrong_method = load_event("apigw_v2_get_session")
    wrong_method["routeKey"] = "$default"
    wrong_method["requestContext"]["http"]["method"] = "DELETE"
    status, body, _ = _call(wrong_method, lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("subject", ["auth0|123", "google-oauth2|1098", "auth0|123/../x", "a_7C123"])
def test_any_subject_uploads_under_its_own_encoded_user_id(aws, load_event, lambda_context, subject):
    status, body, _ = _call(_as(load_event("apigw_v2_post_sessions"), subject), lambda_context)
    assert status == 201
    assert body["key"] == f"uploads/{user_id_for_subject(subject)}/{body['sessionId']}/S001_imagery.zip"


def test_subjects_that_differ_only_in_escaped_characters_see_only_their_own_sessions(
    aws, load_event, lambda_context
):
    # GIVEN a session of the Auth0 user "auth0|123" (user id auth0_7C123)
    _add_session(aws, user_id_for_subject("auth0|123"), SESSION)
    # WHEN that user and the user whose subject is literally "auth0_7C123" list their sessions
    mine = _call(_as(load_event("apigw_v2_get_sessions"), "auth0|123"), lambda_context)[1]
    theirs = _call(_as(load_event("apigw_v2_get_sessions"), "auth0_7C123"), lambda_context)[1]
    # THEN only the owner sees it
    assert [item["sessionId"] for item in mine["sessions"]] == [SESSION]
    assert theirs["sessions"] == []
