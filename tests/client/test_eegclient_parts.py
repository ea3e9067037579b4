"""eegclient's parts without a stack: polling, tokens, outputs, answers, checks, and its independence."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from contracts.api import Route
from contracts.keys import is_valid_id
from contracts.statuses import FINAL_STATUSES
from eegclient import arguments as client_arguments
from eegclient.api import (
    GET_REPORT,
    TERMINAL_STATUSES,
    ApiError,
    RouteMissing,
    Unauthorized,
    error_from_response,
)
from eegclient.api import ROUTE_KEYS as CLIENT_ROUTE_KEYS
from eegclient.follow import SessionTimeout, backoff_delays, follow_session
from eegclient.outputs import OutputsError, api_url, parse_outputs
from eegclient.results import (
    ENSEMBLE_WINDOW_OPTION,
    classifier_problems,
    describe,
    is_folder_name,
    relative_download_path,
    session_folder,
)
from eegclient.tokens import TOKEN_VARIABLE, TokenError, explain_rejection, resolve_token, token_expiry
from fbcsp import metrics
from handlers.common import paging
from sandbox.tokens import issue_token, signing_key

pytestmark = pytest.mark.unit

RESULT = {
    "selectionAccuracy": 0.82441,
    "nestedAccuracy": 0.62,
    "chanceLevel": 0.5227,
    "selectedOption": "A03",
    "windowEndMs": 3250.0,
}


def test_the_client_relies_only_on_routes_and_statuses_the_api_has():
    assert set(CLIENT_ROUTE_KEYS) - {GET_REPORT} <= {route.value for route in Route}
    assert set(TERMINAL_STATUSES) == {str(status) for status in FINAL_STATUSES}
    assert client_arguments.MAX_PAGE_SIZE == paging.MAX_PAGE_SIZE


def test_the_client_imports_none_of_the_projects_packages_nor_an_aws_sdk(pytestconfig):
    probe = (
        "import sys, eegclient.cli; "
        "print(sorted({name.split('.')[0] for name in sys.modules} & "
        "{'components', 'handlers', 'sandbox', 'contracts', 'fbcsp', 'boto3', 'botocore', 'pulumi'}))"
    )
    loaded = subprocess.run(  # noqa: S603 - this interpreter
        [sys.executable, "-c", probe], cwd=pytestconfig.rootpath, capture_output=True, text=True, check=True
    ).stdout

    assert loaded.strip() == "[]"


def test_polls_back_off_to_a_ceiling():
    delays = backoff_delays(first=1.0, factor=2.0, longest=5.0)

    assert [next(delays) for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_following_reports_each_status_change_once_and_returns_the_final_view():
    answers = iter(
        [
            None,
            {"status": "RECEIVED"},
            {"status": "RECEIVED"},
            {"status": "PROCESSING"},
            {"status": "SUCCEEDED", "result": RESULT},
        ]
    )
    seen, fake = [], FakeTime()

    final = follow_session(
        "s1",
        lambda: next(answers),
        timeout_seconds=60,
        on_change=seen.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )

    assert final["status"] == "SUCCEEDED"
    assert [view and view["status"] for view in seen] == [None, "RECEIVED", "PROCESSING", "SUCCEEDED"]
    assert fake.slept == [0.5, 0.75, 1.125, 1.6875]


def test_following_stops_at_the_timeout_saying_where_the_session_was():
    fake = FakeTime()

    with pytest.raises(SessionTimeout) as stopped:
        follow_session(
            "s1",
            lambda: {"status": "PROCESSING"},
            timeout_seconds=20,
            on_change=lambda view: None,
            clock=fake.clock,
            sleep=fake.sleep,
        )

    assert str(stopped.value) == "timed out after 20 s waiting for session s1: it was PROCESSING"
    assert sum(fake.slept) == 20, "the last wait is cut to the time left"


def test_the_token_comes_from_the_option_then_the_command_then_the_environment():
    command = f"{sys.executable} -c \"print('from-command')\""

    assert resolve_token("given", command, {TOKEN_VARIABLE: "from-env"}) == "given"
    assert resolve_token(None, command, {TOKEN_VARIABLE: "from-env"}) == "from-command"
    assert resolve_token(None, None, {TOKEN_VARIABLE: " from-env\n"}) == "from-env"
    with pytest.raises(TokenError, match="no token: pass --token or --token-command, or set EEG_API_TOKEN"):
        resolve_token(None, None, {})


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "import sys; sys.exit('no session for smoke@example.org')",
            "the token command exited with 1: no session for smoke@example.org",
        ),
        ("print('two words')", "the token command must print exactly one token on stdout"),
    ],
)
def test_a_failing_token_command_is_reported(script, message):
    with pytest.raises(TokenError) as failed:
        resolve_token(None, f'{sys.executable} -c "{script}"', {})

    assert str(failed.value) == message


def test_a_refused_token_is_explained_by_its_expiry(tmp_path):
    key = signing_key(tmp_path)
    expired = issue_token(key, "ann", lifetime_seconds=60, now=1_000_000_000)
    current = issue_token(key, "ann", lifetime_seconds=60, now=2_000_000_000)
    now = datetime(2030, 1, 1, tzinfo=UTC)

    assert token_expiry(expired) == datetime(2001, 9, 9, 1, 47, 40, tzinfo=UTC)
    assert "it expired at 2001-09-09 01:47:40 UTC" in explain_rejection(expired, now)
    assert "not signed by the stack's issuer" in explain_rejection(current, now)
    assert token_expiry("not-a-jwt") is None
    assert "not signed by the stack's issuer" in explain_rejection("not-a-jwt", now)


def test_outputs_are_those_of_pulumi_stack_output_json():
    outputs = parse_outputs(
        json.dumps({"apiUrl": "https://abc.execute-api.eu-west-2.amazonaws.com/"}), "out.json"
    )

    assert api_url(outputs) == "https://abc.execute-api.eu-west-2.amazonaws.com"
    with pytest.raises(OutputsError, match="out.json is not JSON"):
        parse_outputs("apiUrl: x", "out.json")
    with pytest.raises(OutputsError, match="must hold a JSON object"):
        parse_outputs("[]", "out.json")
    with pytest.raises(OutputsError, match="no usable 'apiUrl'"):
        api_url({"apiUrl": "[secret]"})


def answer(status: int, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    return response


def test_answers_are_told_apart_by_who_gave_them():
    refused = error_from_response(answer(401, {"message": "Unauthorized"}), "listing")
    no_route = error_from_response(answer(404, {"message": "Not Found"}), "reading the report of s1")
    wrong_method = error_from_response(
        answer(405, {"error": {"code": "METHOD_NOT_ALLOWED", "message": "GET"}}), "x"
    )
    no_session = error_from_response(
        answer(404, {"error": {"code": "NOT_FOUND", "message": "no such session"}}), "reading s1"
    )
    throttled = error_from_response(answer(429, {"message": "Too Many Requests"}), "listing")

    assert isinstance(refused, Unauthorized)
    assert isinstance(no_route, RouteMissing)
    assert str(no_route) == "reading the report of s1: this stack has no such route"
    assert isinstance(wrong_method, RouteMissing)
    assert type(no_session) is ApiError and no_session.code == "NOT_FOUND"
    assert str(throttled) == "listing: HTTP 429: Too Many Requests"


ENSEMBLE_RESULT = {
    "selectionAccuracy": 0.82441,
    "nestedAccuracy": 0.92361,
    "onlineNestedAccuracy": 0.77282,
    "headlineModel": "ensemble",
    "chanceLevel": 0.52273,
    "chanceThreshold95": 0.63636,
    "selectedOption": "ensemble-window",
    "windowEndMs": 3500.0,
}


def test_the_client_names_the_default_procedures_online_option_as_the_classifier_does():
    assert ENSEMBLE_WINDOW_OPTION == metrics.ENSEMBLE_WINDOW_OPTION


def test_a_session_is_described_by_its_outcome():
    assert describe({"status": "SUCCEEDED", "result": RESULT}) == (
        "SUCCEEDED: nested accuracy 0.620 (optimistic selection accuracy 0.824; chance 0.523; "
        "option A03, window ending 3250 ms)"
    )
    assert describe({"status": "SUCCEEDED", "result": ENSEMBLE_RESULT}) == (
        "SUCCEEDED: nested accuracy 0.924 (online model 0.773; optimistic selection accuracy 0.824; "
        "chance 0.523, 95 % threshold 0.636; online window ending 3500 ms)"
    )
    weak_online = {**ENSEMBLE_RESULT, "onlineNestedAccuracy": 0.51389}
    assert describe({"status": "SUCCEEDED", "result": weak_online}).startswith(
        "SUCCEEDED: nested accuracy 0.924 (online model 0.514, not above chance; "
    )
    assert describe({"status": "SUCCEEDED", "result": {**RESULT, "chanceThreshold95": 0.636}}).startswith(
        "SUCCEEDED: nested accuracy 0.620, not above chance ("
    )
    assert describe({"status": "SUCCEEDED", "result": {"selectionAccuracy": 0.8}}) == (
        "SUCCEEDED: no nested accuracy recorded (optimistic selection accuracy 0.800)"
    )
    assert describe({"status": "FAILED", "error": {"code": "INVALID_UPLOAD", "message": "not a zip"}}) == (
        "FAILED: INVALID_UPLOAD: not a zip"
    )
    assert describe({"status": "PROCESSING"}) == "PROCESSING"


def test_the_description_ends_with_the_number_of_report_warnings_if_there_are_any():
    def described(warnings):
        return describe({"status": "SUCCEEDED", "result": {**RESULT, "reportWarnings": warnings}})

    assert described(["blocks"]).endswith("option A03, window ending 3250 ms; 1 report warning)")
    assert described(["blocks", "noisy C3"]).endswith("option A03, window ending 3250 ms; 2 report warnings)")
    assert described([]) == described("not a list") == describe({"status": "SUCCEEDED", "result": RESULT})


def test_the_classifier_must_name_the_expected_classes():
    good = {"fbcsp": {"classLabels": {"1": "T1", "2": "T2"}}}

    assert classifier_problems(good, ["T1", "T2"]) == []
    assert classifier_problems({"fbcsp": {"classLabels": {"1": "T1", "2": "rest"}}}, ["T1", "T2"]) == [
        "classifier.json names the classes ['T1', 'rest'], expected ['T1', 'T2']"
    ]
    assert classifier_problems({"online": {}}, ["T1", "T2"]) == ["classifier.json has no fbcsp.classLabels"]
    assert classifier_problems([1, 2], ["T1", "T2"]) == ["classifier.json has no fbcsp.classLabels"]


def test_result_files_are_saved_only_inside_the_download_folder():
    assert str(relative_download_path("figures/accuracy.png")) == "figures/accuracy.png"
    assert relative_download_path("../../.bashrc") is None
    assert relative_download_path("/etc/passwd") is None
    assert relative_download_path("figures\\..\\x") is None
    assert relative_download_path("") is None
    # drive-relative on Windows (written to the drive's current folder), an NTFS stream, the folder itself
    assert relative_download_path("C:evil.png") is None
    assert relative_download_path("figures/report.html:stream") is None
    assert relative_download_path(".") is None
    assert relative_download_path("figures//accuracy.png") is None
    # a figure named like the classifier or the report would take its place
    assert relative_download_path("classifier.json") is None
    assert relative_download_path("report.html") is None


SESSION_ID = "20261203T020000Z-0a1b2c3d4e5f"


@pytest.mark.parametrize("session_id", ["..", ".", "a/b", "C:x", "x" * 129, ""])
def test_results_are_saved_only_under_a_session_id_that_is_one_folder_name(session_id):
    with pytest.raises(ValueError, match="is not a session id"):
        session_folder(Path("downloads"), session_id)
    assert session_folder(Path("downloads"), SESSION_ID) == Path("downloads") / SESSION_ID


@pytest.mark.parametrize("value", [SESSION_ID, "a.b_c-d", "..", ".", "a/b", "C:x", "x" * 128, "x" * 129, "é"])
def test_the_clients_folder_names_are_the_apis_ids(value):
    assert is_folder_name(value) == is_valid_id(value)
