"""The sandbox's pure parts: tokens, request → API Gateway event, session ids, the table, container commands."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from components.cluster import SCRATCH_PATH, container_definition
from contracts.subjects import user_id_for_subject
from contracts.task_size import TaskSize
from sandbox.api_server import answer_request, api_gateway_event, match_route
from sandbox.container_images import (
    ENTRYPOINT_COMMAND,
    SANDBOX_IMAGE,
    ImageUnavailable,
    docker_available,
    docker_run_command,
)
from sandbox.containers import ContainerLauncher, ContainerRun
from sandbox.emulator import STATE_EVALUATION_LOGGER, quiet_logs
from sandbox.outcomes import SessionOutcome, format_table, saved_results_lines, session_ids_for
from sandbox.runner import container_exit_line
from sandbox.running_pipeline import RunningPipeline
from sandbox.tokens import AUDIENCE, ISSUER, InvalidToken, issue_token, signing_key, verify_authorization

pytestmark = pytest.mark.unit

EVENTS = Path(__file__).resolve().parents[1] / "events"


def test_a_token_round_trips_with_the_claims_the_authorizer_checks(tmp_path):
    key = signing_key(tmp_path)
    claims = verify_authorization(key, {"authorization": f"Bearer {issue_token(key, 'alice')}"})

    assert claims["sub"] == "alice"
    assert (claims["iss"], claims["aud"]) == (ISSUER, AUDIENCE)
    assert claims["exp"] > claims["iat"]


def test_a_tokens_subject_maps_back_to_the_user_id_it_was_issued_for(tmp_path):
    key = signing_key(tmp_path)
    claims = verify_authorization(key, {"authorization": f"Bearer {issue_token(key, 'auth0_7C123')}"})

    assert claims["sub"] == "auth0|123"
    assert user_id_for_subject(claims["sub"]) == "auth0_7C123"


def test_the_signing_key_is_created_once_and_private(tmp_path):
    first, second = signing_key(tmp_path), signing_key(tmp_path)
    key_file = next(tmp_path.iterdir())

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert verify_authorization(second, {"authorization": f"Bearer {issue_token(first, 'bob')}"})["sub"] == "bob"


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-token", "Bearer a.b.c"]
)
def test_a_missing_or_malformed_authorization_is_rejected(tmp_path, authorization):
    with pytest.raises(InvalidToken):
        verify_authorization(signing_key(tmp_path), {"authorization": authorization})


def test_a_token_of_another_key_or_past_its_expiry_is_rejected(tmp_path):
    key = signing_key(tmp_path / "ours")
    foreign = issue_token(signing_key(tmp_path / "theirs"), "alice")
    expired = issue_token(key, "alice", lifetime_seconds=60, now=1_000_000_000)

    for token in (foreign, expired):
        with pytest.raises(InvalidToken):
            verify_authorization(key, {"authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/sessions", ("POST /sessions", {})),
        ("GET", "/sessions", ("GET /sessions", {})),
        ("GET", "/sessions/s-1", ("GET /sessions/{sessionId}", {"sessionId": "s-1"})),
        ("GET", "/sessions/s-1/classifier", ("GET /sessions/{sessionId}/classifier", {"sessionId": "s-1"})),
        ("DELETE", "/sessions/s-1", None),
        ("GET", "/sessions/s-1/report", ("GET /sessions/{sessionId}/report", {"sessionId": "s-1"})),
        ("GET", "/sessions/s-1/figures", None),
        ("GET", "/", None),
    ],
)
def test_requests_match_only_the_declared_routes(method, path, expected):
    assert match_route(method, path) == expected


def test_the_event_has_the_shape_of_a_jwt_authorized_http_api_event():
    recorded = json.loads((EVENTS / "apigw_v2_get_session.json").read_text())
    event = api_gateway_event(
        route_key="GET /sessions/{sessionId}",
        method="GET",
        raw_path="/sessions/s-1",
        raw_query="limit=5",
        headers={"authorization": "Bearer x", "host": "127.0.0.1:8787"},
        path_parameters={"sessionId": "s-1"},
        claims={"sub": "alice", "exp": 1795473600},
        body=b"",
        source_ip="127.0.0.1",
    )

    assert set(recorded) <= set(event)
    assert set(recorded["requestContext"]) == set(event["requestContext"])
    assert set(recorded["requestContext"]["http"]) == set(event["requestContext"]["http"])
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "alice", "exp": "1795473600"}
    assert event["queryStringParameters"] == {"limit": "5"}


def test_the_handler_is_not_reached_without_a_valid_token(tmp_path):
    def handler_that_must_not_run(event, context):
        raise AssertionError("the authorizer let the request through")

    status, headers, body = answer_request(
        handler_that_must_not_run, signing_key(tmp_path), method="GET", target="/sessions", headers={}, body=b""
    )

    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert headers["content-type"] == "application/json"


def test_the_handlers_answer_goes_back_unchanged(tmp_path):
    key = signing_key(tmp_path)
    seen = []

    def handler(event, context):
        seen.append(event)
        return {"statusCode": 404, "headers": {"content-type": "application/json"}, "body": '{"error": {}}'}

    status, _, body = answer_request(
        handler, key, method="GET", target="/sessions/s-9?x=1",
        headers={"authorization": f"Bearer {issue_token(key, 'carol')}"}, body=b"",
    )

    assert (status, body) == (404, b'{"error": {}}')
    assert seen[0]["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "carol"
    assert seen[0]["pathParameters"] == {"sessionId": "s-9"}


def test_session_ids_come_from_file_names_made_safe_and_unique():
    uploads = [Path("a/S001 imagery.zip"), Path("b/S001 imagery.zip"), Path("c/..zip"), Path("d/run#2.zip")]

    assert session_ids_for(uploads) == ["S001-imagery", "S001-imagery-2", "session", "run-2"]


def test_the_table_shows_where_the_time_went():
    outcomes = [
        SessionOutcome(
            "ann", "s1",
            {"status": "SUCCEEDED", "result": {"selectedOption": "A03", "windowEndMs": 3250,
                                               "selectionAccuracy": 0.824, "nestedAccuracy": 0.62,
                                               "chanceLevel": 0.523, "reportWarnings": ["late", "blocks"]}},
            total_seconds=9.5, container_seconds=7.4, queued_seconds=1.0,
        ),
        SessionOutcome("ann", "s2", {"status": "FAILED", "error": {"code": "INVALID_UPLOAD", "message": "not a zip"}},
                       total_seconds=0.6, container_seconds=0.0),
    ]
    lines = format_table(outcomes).splitlines()

    assert lines[0].split()[:5] == ["session", "status", "total", "s", "training"]
    assert lines[1].split()[:6] == ["ann/s1", "SUCCEEDED", "9.5", "7.4", "1.0", "1.1"]
    assert lines[1].endswith("window ending 3250 ms; 2 report warnings)")
    assert "nested accuracy 0.620 (optimistic selection accuracy 0.824; chance 0.523;" in lines[1]
    assert lines[2].split()[:6] == ["ann/s2", "FAILED", "0.6", "0.0", "0.0", "0.6"]
    assert lines[2].endswith("INVALID_UPLOAD: not a zip")


def test_after_the_table_each_session_says_where_its_results_are_and_what_its_report_warns(tmp_path):
    (tmp_path / "ann" / "s1").mkdir(parents=True)
    (tmp_path / "ann" / "s1" / "report.html").write_text("<html></html>")
    warnings = ["Constant channel(s): C3 …", "late\x1b[2J"]
    succeeded = {"status": "SUCCEEDED", "result": {"reportWarnings": warnings}}
    warned = SessionOutcome("ann", "s1", succeeded, 5.0, 4.0, saved_to=tmp_path / "ann" / "s1")
    failed_item = {"status": "FAILED", "error": {"code": "INVALID_UPLOAD"}}
    failed = SessionOutcome("ann", "s2", failed_item, 0.5, 0.0, saved_to=tmp_path / "ann" / "s2")

    assert saved_results_lines(warned) == [
        f"ann/s1: status, records and results in {tmp_path / 'ann' / 's1'}",
        f"  report: {tmp_path / 'ann' / 's1' / 'report.html'}",
        "  report warning: Constant channel(s): C3 …",
        "  report warning: late [2J",
    ]
    assert saved_results_lines(failed) == [f"ann/s2: status, records and results in {tmp_path / 'ann' / 's2'}"]


def test_docker_runs_the_image_with_the_task_environment_and_memory():
    command = docker_run_command("eeg:1", {"USER_ID": "ann", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, 2048)

    assert command[:2] == ["docker", "run"]
    assert command[command.index("--memory") + 1] == "2048m"
    assert command[command.index("--network") + 1] == "host"
    assert "USER_ID=ann" in command and "AWS_ENDPOINT_URL=http://127.0.0.1:5000" in command
    assert command[-1] == "eeg:1"
    assert "--read-only" not in command and "--volume" not in command and "--init" not in command


def test_docker_runs_the_container_read_only_with_its_init_and_scratch_volume_as_the_task_definition_says():
    container = container_definition(
        image_uri="eeg:1", task_cpu=1024, memory_mib=2048, log_group_name="/aws/ecs/eeg", region="eu-west-2"
    )

    command = docker_run_command("eeg:1", {}, 2048, container)

    assert "--read-only" in command
    assert "--init" in command
    assert command[command.index("--volume") + 1] == SCRATCH_PATH


def test_the_sandbox_image_runs_the_entrypoint_and_any_other_cannot_be_pulled(tmp_path):
    launcher = ContainerLauncher(base_environment={}, log_dir=tmp_path)

    assert launcher.command(SANDBOX_IMAGE, {}, memory_mib=512) == ENTRYPOINT_COMMAND
    with pytest.raises(ImageUnavailable, match="CannotPullContainerError"):
        launcher.command("123456789012.dkr.ecr.eu-west-2.amazonaws.com/eeg:missing", {}, memory_mib=512)


@pytest.fixture
def fake_docker(tmp_path, monkeypatch):
    """A ``docker`` on PATH whose daemon answers and holds only the sandbox image."""
    script = tmp_path / "bin" / "docker"
    script.parent.mkdir()
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = info ]; then exit 0; fi\n'
        f'if [ "$1 $2" = "image inspect" ] && [ "$3" = "{SANDBOX_IMAGE}" ]; then exit 0; fi\n'
        "exit 1\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{script.parent}:{os.environ['PATH']}")


def test_docker_mode_runs_a_held_image_and_reports_a_missing_one_as_unpullable(tmp_path, fake_docker):
    launcher = ContainerLauncher(base_environment={}, log_dir=tmp_path, docker=True)

    assert docker_available()
    command = launcher.command(SANDBOX_IMAGE, {"RUN_ID": "r1"}, memory_mib=1024)
    assert command[:2] == ["docker", "run"]
    assert command[command.index("--memory") + 1] == "1024m"
    with pytest.raises(ImageUnavailable, match="CannotPullContainerError"):
        launcher.command("eeg-classifier:not-built", {}, memory_mib=1024)


def test_without_a_docker_cli_docker_is_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))

    assert not docker_available()


def test_the_emulator_hides_only_the_log_of_an_execution_reaching_its_fail_state(caplog):
    quiet_logs()
    evaluation = logging.getLogger(STATE_EVALUATION_LOGGER)
    with caplog.at_level(logging.ERROR, logger=STATE_EVALUATION_LOGGER):
        # as moto 5.2.5 logs them (eval_component.py): the failure, then the state's repr
        evaluation.error("%s at '%s'", "Exception=FailureEventException, Error=ProcessingFailed", "(StateFail| {...}")
        evaluation.error("%s at '%s'", "Exception=FailureEventException, Error=States.Runtime", "(StateTask| {...}")

    assert [record.getMessage() for record in caplog.records] == [
        "Exception=FailureEventException, Error=States.Runtime at '(StateTask| {...}'"
    ]


def test_the_emulator_hides_the_log_of_a_choice_asking_whether_an_absent_field_is_present(caplog):
    quiet_logs()
    evaluation = logging.getLogger(STATE_EVALUATION_LOGGER)
    with caplog.at_level(logging.ERROR, logger=STATE_EVALUATION_LOGGER):
        # as moto 5.2.5 logs the path lookup an IsPresent condition makes and then answers false with
        evaluation.error(
            "%s at '%s'", "Exception=NoSuchJsonPathError, Details=None-Available",
            "(StringJsonPath| {'literal_value': '$.outcome.retry', 'json_path': '$.outcome.retry'}",
        )
        # the same lookup failing a state, which the state logs as its own failure
        evaluation.error("%s at '%s'", "Exception=FailureEventException, Error=States.Runtime", "(StatePass| {...}")

    assert [record.getMessage() for record in caplog.records] == [
        "Exception=FailureEventException, Error=States.Runtime at '(StatePass| {...}'"
    ]


class _StatusesAsListed(RunningPipeline):
    """A pipeline whose status table holds ``statuses`` and never changes."""

    def __init__(self, statuses: dict[tuple[str, str], str]) -> None:
        super().__init__(settings=None, progress=lambda _line: None)
        self._statuses = statuses

    def _status_items(self):
        return {key: {"status": status} for key, status in self._statuses.items()}


def test_a_wait_that_times_out_names_each_session_still_waited_for_with_its_last_status():
    pipeline = _StatusesAsListed({("alice", "a"): "PROCESSING"})

    with pytest.raises(TimeoutError) as timed_out:
        pipeline.wait_for([("alice", "a"), ("bob", "b")], timeout_seconds=0.05)

    assert str(timed_out.value) == "sessions not final after 0.05 s: alice/a (PROCESSING), bob/b (no status yet)"


def _container_run(exit_code: int | None) -> ContainerRun:
    return ContainerRun(
        task_id="t-1", user_id="alice", session_id="a", task_size=TaskSize(1024, 2048),
        queued=10.0, started=10.0, ended=13.5, exit_code=exit_code, reason="",
    )


def test_a_container_that_failed_is_reported_with_the_log_holding_its_output():
    logs = Path("out/container-logs")

    assert container_exit_line(_container_run(1), logs) == (
        "alice/a: classifier container exited with 1 after 3.5s (task 1024 CPU units, 2048 MiB); "
        "its output: out/container-logs/t-1.log"
    )
    assert container_exit_line(_container_run(0), logs) == (
        "alice/a: classifier container exited with 0 after 3.5s (task 1024 CPU units, 2048 MiB)"
    )
