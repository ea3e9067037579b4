"""The Status API served over HTTP by the sandbox: the deployed handler behind a local JWT check.

A user sees only their own sessions, another user's session answers like a missing one, requests
without a valid token get 401, and an upload through the presigned POST is processed like on AWS.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import requests
from headless_chromium import HeadlessChromium, browser_path
from sandbox_support import FAST_TRAINING, served_api, set_pipeline_environment, small_recording

from sandbox.runner import LocalPipeline
from sandbox.tokens import issue_token, signing_key

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A pipeline where alice and bob each trained one session, and the API on a free port."""
    work_dir = tmp_path_factory.mktemp("sandbox-serve")
    recording = small_recording(work_dir / "first-run.zip")
    with LocalPipeline(
        work_dir=work_dir, progress=lambda line: None, container_environment=FAST_TRAINING
    ) as pipeline, pytest.MonkeyPatch.context() as environment:
        set_pipeline_environment(environment, pipeline)
        sessions = [("alice", "alice-morning"), ("bob", "bob-morning")]
        for user_id, session_id in sessions:
            pipeline.upload(recording, user_id=user_id, session_id=session_id)
        pipeline.wait_for(sessions, timeout_seconds=300)
        key = signing_key(work_dir)
        with served_api(pipeline, key) as api_url:
            pipeline.api_url = api_url
            pipeline.key = key
            pipeline.recording = recording
            yield pipeline


def call(served, method, path, *, user=None, token=None, body=None):
    headers = {"content-type": "application/json"}
    if user is not None:
        token = issue_token(served.key, user)
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(served.api_url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback test server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_user_lists_only_their_own_sessions(served):
    status, body = call(served, "GET", "/sessions", user="alice")

    assert status == 200
    assert [session["sessionId"] for session in body["sessions"]] == ["alice-morning"]
    assert body["sessions"][0]["status"] == "SUCCEEDED"


def test_a_user_reads_their_session_and_classifier(served):
    status, session = call(served, "GET", "/sessions/alice-morning", user="alice")
    assert status == 200
    assert session["sessionId"] == "alice-morning"
    assert session["status"] == "SUCCEEDED"

    status, classifier = call(served, "GET", "/sessions/alice-morning/classifier", user="alice")
    assert status == 200
    downloaded = requests.get(classifier["url"], timeout=30)
    assert downloaded.status_code == 200
    assert set(downloaded.json()) == {"online", "fbcsp"}


def test_another_users_session_answers_like_a_missing_one(served):
    other = call(served, "GET", "/sessions/bob-morning", user="alice")
    missing = call(served, "GET", "/sessions/never-uploaded", user="alice")
    other_classifier = call(served, "GET", "/sessions/bob-morning/classifier", user="alice")

    assert other[0] == missing[0] == 404
    assert other[1]["error"]["code"] == missing[1]["error"]["code"]
    assert other_classifier[0] == 404


def test_the_report_route_hands_out_the_report_figures_and_headline_figures_of_ones_own_session(served):
    status, report = call(served, "GET", "/sessions/alice-morning/report", user="alice")
    other = call(served, "GET", "/sessions/bob-morning/report", user="alice")
    anonymous = call(served, "GET", "/sessions/alice-morning/report")

    assert status == 200 and report["sessionId"] == "alice-morning"
    page = requests.get(report["url"], timeout=30)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html"
    assert report["figures"] and all(name.startswith("figures/") for name in report["figures"])
    for url in report["figures"].values():
        figure = requests.get(url, timeout=30)
        assert figure.status_code == 200 and figure.content.startswith(b"\x89PNG")
    assert set(report["metrics"]) == {"estimates", "selected", "trialsUsed"}
    assert 0 <= report["metrics"]["estimates"]["selectionAccuracy"] <= 1
    assert other[0] == 404 and other[1]["error"]["code"] == "NOT_FOUND"
    assert anonymous == (401, {"message": "Unauthorized"})


REPORT_STATE = """(() => {
  const injected = document.createElement("script");
  injected.textContent = "window.injectedScriptRan = true";
  document.head.appendChild(injected);
  return {
    title: document.title,
    contentType: document.contentType,
    embedded: Array.from(document.images, (image) => (image.complete ? image.naturalWidth : 0)),
    injectedScriptRan: window.injectedScriptRan === true,
  };
})()"""
# Run on a blank page: the report's content security policy lets it load images from data: URIs only.
FIGURE_WIDTHS = """Promise.all(FIGURES.map((source) => new Promise((resolve) => {
  const image = new Image();
  image.onload = () => resolve(image.naturalWidth);
  image.onerror = () => resolve(0);
  image.src = source;
})))"""


@pytest.mark.skipif(browser_path() is None, reason="no Chromium on PATH (Debian: apt-get install chromium)")
def test_the_served_report_opens_in_headless_chromium_with_its_figures(served):
    status, report = call(served, "GET", "/sessions/alice-morning/report", user="alice")
    assert status == 200

    with HeadlessChromium(browser_path()) as browser:
        page = browser.evaluate(browser.open_page(report["url"]), REPORT_STATE)
        figure_urls = json.dumps(list(report["figures"].values()))
        presigned = browser.evaluate(browser.blank_page(), FIGURE_WIDTHS.replace("FIGURES", figure_urls))

    assert "report" in page["title"].lower() and page["contentType"] == "text/html"
    assert page["embedded"] and all(width > 0 for width in page["embedded"]), page
    assert page["injectedScriptRan"] is False  # the page's content security policy
    assert len(presigned) == len(report["figures"]) and all(width > 0 for width in presigned)


@pytest.mark.parametrize("token_kind", ["none", "garbage", "other-key", "expired"])
def test_a_request_without_a_valid_token_is_unauthorized(served, tmp_path, token_kind):
    tokens = {
        "none": None,
        "garbage": "not.a.jwt",
        "other-key": issue_token(signing_key(tmp_path), "alice"),
        "expired": issue_token(served.key, "alice", lifetime_seconds=60, now=1_000_000_000),
    }
    status, body = call(served, "GET", "/sessions", token=tokens[token_kind])

    assert status == 401
    assert body == {"message": "Unauthorized"}


def test_an_undeclared_route_is_not_found(served):
    assert call(served, "DELETE", "/sessions/alice-morning", user="alice") == (404, {"message": "Not Found"})


def test_an_upload_through_the_presigned_post_is_processed(served):
    status, created = call(served, "POST", "/sessions", user="carol", body={"fileName": "recording.zip"})
    assert status == 201
    assert created["key"].startswith(f"uploads/carol/{created['sessionId']}/")

    form = created["upload"]
    with served.recording.open("rb") as upload:
        posted = requests.post(form["url"], data=form["fields"], files={"file": upload}, timeout=60)
    assert posted.status_code in (200, 201, 204), posted.text

    final = served.wait_for([("carol", created["sessionId"])], timeout_seconds=300)
    assert final[("carol", created["sessionId"])].status == "SUCCEEDED"
    status, listing = call(served, "GET", "/sessions", user="carol")
    assert [session["sessionId"] for session in listing["sessions"]] == [created["sessionId"]]
