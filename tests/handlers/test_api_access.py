"""The status API on moto: which requests it answers: only the declared routes, only with a subject, and
each subject only with its own data."""

import pytest
from api_support import SESSION, add_session, call_api

from contracts.api import Route
from contracts.subjects import user_id_for_subject
from handlers.common.api_routes import ROUTES

pytestmark = pytest.mark.moto


def _as(event: dict, sub: str | None) -> dict:
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    if sub is None:
        claims.pop("sub")
    else:
        claims["sub"] = sub
    return event


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
    status, body, _ = call_api(_as(load_event(name), None), lambda_context)
    assert status == 401 and body == {"error": {"code": "UNAUTHORIZED", "message": body["error"]["message"]}}


def test_the_handler_answers_every_route_the_api_declares():
    assert set(ROUTES) == set(Route)


def test_an_unknown_route_or_method_is_404(aws, load_event, lambda_context):
    """API Gateway forwards only the declared route keys; an event for anything else is a 404 too."""
    unknown = load_event("apigw_v2_get_sessions")
    unknown.update(routeKey="$default", rawPath="/admin")
    unknown["requestContext"]["http"].update(method="GET", path="/admin")
    status, body, _ = call_api(unknown, lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"

    wrong_method = load_event("apigw_v2_get_session")
    wrong_method["routeKey"] = "$default"
    wrong_method["requestContext"]["http"]["method"] = "DELETE"
    status, body, _ = call_api(wrong_method, lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("subject", ["auth0|123", "google-oauth2|1098", "auth0|123/../x", "a_7C123"])
def test_any_subject_uploads_under_its_own_encoded_user_id(aws, load_event, lambda_context, subject):
    status, body, _ = call_api(_as(load_event("apigw_v2_post_sessions"), subject), lambda_context)
    assert status == 201
    assert body["key"] == f"uploads/{user_id_for_subject(subject)}/{body['sessionId']}/S001_imagery.zip"


def test_subjects_that_differ_only_in_escaped_characters_see_only_their_own_sessions(
    aws, load_event, lambda_context
):
    # GIVEN a session of the Auth0 user "auth0|123" (user id auth0_7C123)
    add_session(aws, user_id_for_subject("auth0|123"), SESSION)
    # WHEN that user and the user whose subject is literally "auth0_7C123" list their sessions
    mine = call_api(_as(load_event("apigw_v2_get_sessions"), "auth0|123"), lambda_context)[1]
    theirs = call_api(_as(load_event("apigw_v2_get_sessions"), "auth0_7C123"), lambda_context)[1]
    # THEN only the owner sees it
    assert [item["sessionId"] for item in mine["sessions"]] == [SESSION]
    assert theirs["sessions"] == []
