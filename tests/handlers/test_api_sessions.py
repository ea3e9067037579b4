"""The status API on moto: GET /sessions/{id} and the paged GET /sessions show only the caller's
sessions."""

import base64
import json

import pytest
from api_support import ME, SESSION, SOMEONE_ELSE, add_session, call_api
from handler_support import mark_processing, record_received, record_success, run_state

from handlers.common.manifest import status_result
from handlers.common.paging import encode_page_token
from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto

LONGEST_SESSION_ID = "x" * 128


def _padded_token(session_id: str, spaces: int) -> str:
    """A token naming ``session_id`` whose JSON ends in ``spaces`` blanks."""
    return base64.urlsafe_b64encode(json.dumps({"after": session_id}).encode() + b" " * spaces).decode()


def test_get_session_returns_status_and_timestamps(aws, load_event, lambda_context):
    # GIVEN the caller's session was received
    state = add_session(aws, ME, SESSION)
    # WHEN they ask for it
    status, body, _ = call_api(load_event("apigw_v2_get_session"), lambda_context)
    # THEN they see its status and times but no internal attributes
    assert status == 200
    assert body["sessionId"] == SESSION and body["status"] == "RECEIVED" and body["runId"] == state["runId"]
    assert body["createdAt"] == body["uploadedAt"] == "2026-11-23T22:00:00.000Z"
    assert body["fileName"] == "S001_imagery.zip"
    assert "uploadSequencer" not in body and "executionArn" not in body


def test_get_session_does_not_show_the_execution_a_reupload_has_still_to_stop(aws, load_event, lambda_context):
    # GIVEN a re-upload whose write noted the replaced run's execution, not stopped yet
    add_session(aws, ME, SESSION)
    newer = run_state(aws.upload_bucket, ME, SESSION, "v2", file_name="S001_imagery.zip")
    store = StatusStore(aws.dynamodb, aws.status_table)
    assert record_received(store, newer, uploaded_at="2026-11-23T22:05:00.000Z")
    assert "replacedExecutionArn" in store.get(ME, SESSION)
    # WHEN the caller asks for the session
    status, body, _ = call_api(load_event("apigw_v2_get_session"), lambda_context)
    # THEN they see the new run, and nothing of the execution
    assert status == 200 and body["runId"] == newer["runId"]
    assert "replacedExecutionArn" not in body


def test_get_session_shows_the_error_of_a_failed_session(aws, load_event, lambda_context):
    state = add_session(aws, ME, SESSION)
    StatusStore(aws.dynamodb, aws.status_table).fail_run(
        ME,
        SESSION,
        state["runId"],
        error={"code": "TIMEOUT", "message": "too slow"},
        now="2026-11-23T23:00:00.000Z",
    )
    status, body, _ = call_api(load_event("apigw_v2_get_session"), lambda_context)
    assert status == 200 and body["status"] == "FAILED"
    assert (
        body["error"] == {"code": "TIMEOUT", "message": "too slow"}
        and body["finishedAt"] == "2026-11-23T23:00:00.000Z"
    )


def test_a_succeeded_session_shows_its_results_and_the_reports_warnings(aws, load_event, lambda_context):
    # GIVEN the caller's session succeeded with a report that warns
    state = add_session(aws, ME, SESSION)
    mark_processing(aws.dynamodb, aws.status_table, state)
    warnings = ["The classes come in blocks: …", "Noisy channel(s): C3 (9x) …"]
    metrics = {
        "selectionAccuracy": 0.8,
        "nestedAccuracy": 0.7,
        "onlineNestedAccuracy": 0.65,
        "headlineModel": "ensemble",
        "chanceLevel": 0.5,
        "chanceThreshold95": 0.636,
        "permutationPValue": None,
        "selectedOption": "ensemble-window",
        "windowEndMs": 3500.0,
        "reportWarnings": warnings,
    }
    result = status_result(metrics, state["resultsPrefix"])
    record_success(aws, state, result=result, output_versions={"classifier.json": "version-1"})
    # WHEN they ask for it and for their sessions
    status, body, _ = call_api(load_event("apigw_v2_get_session"), lambda_context)
    listed = call_api(load_event("apigw_v2_get_sessions"), lambda_context)[1]["sessions"]
    # THEN both answers carry the warnings in the result
    assert status == 200 and body["status"] == "SUCCEEDED"
    assert body["result"]["reportWarnings"] == warnings
    assert body["result"]["nestedAccuracy"] == 0.7 and body["result"]["permutationPValue"] is None
    assert [session["result"]["reportWarnings"] for session in listed] == [warnings]
    # and the recorded output versions stay internal
    assert "outputVersions" not in body and "outputVersions" not in listed[0]


def test_another_users_session_is_answered_exactly_like_a_missing_one(aws, load_event, lambda_context):
    # GIVEN the session id exists, but for someone else
    add_session(aws, SOMEONE_ELSE, SESSION)
    # WHEN the caller asks for it, and for an id that does not exist at all
    other = call_api(load_event("apigw_v2_get_session"), lambda_context)
    missing_event = load_event("apigw_v2_get_session")
    missing_event["pathParameters"]["sessionId"] = "20261123T220000Z-ffffffffffff"
    missing = call_api(missing_event, lambda_context)
    # THEN both answers are the same 404
    assert other[0] == missing[0] == 404
    assert other[1] == missing[1] == {"error": {"code": "NOT_FOUND", "message": "no such session"}}


def test_an_invalid_session_id_is_a_bad_request(aws, load_event, lambda_context):
    event = load_event("apigw_v2_get_session")
    event["pathParameters"]["sessionId"] = ".."
    status, body, _ = call_api(event, lambda_context)
    assert status == 400 and body["error"]["code"] == "INVALID_SESSION_ID"


def test_get_sessions_pages_newest_first_through_only_the_callers_sessions(aws, load_event, lambda_context):
    # GIVEN five sessions of the caller and two of another user
    mine = [f"20261123T22000{index}Z-00000000000{index}" for index in range(5)]
    for session_id in mine:
        add_session(aws, ME, session_id)
    for session_id in ("20261123T230000Z-aaaaaaaaaaaa", "20261123T220001Z-bbbbbbbbbbbb"):
        add_session(aws, SOMEONE_ELSE, session_id)
    # WHEN they page through with limit=2 (the event file's query)
    seen, pages, event = [], 0, load_event("apigw_v2_get_sessions")
    while True:
        status, body, _ = call_api(event, lambda_context)
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
    add_session(aws, SOMEONE_ELSE, "20261123T230000Z-aaaaaaaaaaaa")
    add_session(aws, SOMEONE_ELSE, "20261123T220000Z-bbbbbbbbbbbb")
    forged = encode_page_token("20261123T230000Z-aaaaaaaaaaaa")
    event = load_event("apigw_v2_get_sessions")
    event["queryStringParameters"]["nextToken"] = forged
    # WHEN the caller uses it THEN the query stays in their own (empty) partition
    status, body, _ = call_api(event, lambda_context)
    assert status == 200 and body == {"sessions": []}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": "0"}, "INVALID_LIMIT"),
        ({"limit": "101"}, "INVALID_LIMIT"),
        ({"limit": "ten"}, "INVALID_LIMIT"),
        ({"nextToken": "%%%"}, "INVALID_NEXT_TOKEN"),
        ({"nextToken": "eyJ4IjogMX0"}, "INVALID_NEXT_TOKEN"),
        # nested too deeply for the JSON parser's recursion limit
        ({"nextToken": base64.urlsafe_b64encode(b"[" * 3000).decode()}, "INVALID_NEXT_TOKEN"),
        # a valid token but padded far beyond the longest one: refused unread
        ({"nextToken": _padded_token(SESSION, 1_000_000)}, "INVALID_NEXT_TOKEN"),
    ],
)
def test_get_sessions_rejects_bad_paging_parameters(aws, load_event, lambda_context, query, code):
    event = load_event("apigw_v2_get_sessions")
    event["queryStringParameters"] = query
    status, body, _ = call_api(event, lambda_context)
    assert status == 400 and body["error"]["code"] == code


def test_a_token_after_the_longest_session_id_pages_on(aws, load_event, lambda_context):
    add_session(aws, ME, LONGEST_SESSION_ID)
    add_session(aws, ME, SESSION)
    event = load_event("apigw_v2_get_sessions")
    event["queryStringParameters"] = {"nextToken": encode_page_token(LONGEST_SESSION_ID)}
    status, body, _ = call_api(event, lambda_context)
    assert status == 200 and [session["sessionId"] for session in body["sessions"]] == [SESSION]


def test_get_sessions_defaults_to_twenty_per_page(aws, load_event, lambda_context):
    for index in range(21):
        add_session(aws, ME, f"20261123T2200{index:02d}Z-{index:012x}")
    event = load_event("apigw_v2_get_sessions")
    del event["queryStringParameters"]
    status, body, _ = call_api(event, lambda_context)
    assert status == 200 and len(body["sessions"]) == 20 and "nextToken" in body
