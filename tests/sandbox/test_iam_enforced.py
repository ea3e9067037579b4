"""IAM is enforced in the sandbox: each role may do what its declared policy allows and nothing more.

Negative twins: a stack deployed with one required statement (or one action of it) taken out of one
role's policy (through the same mock layer that deploys the program) fails at the step that needs
it, the denial names the role and the action, and the failure is recorded as on AWS.
"""

from __future__ import annotations

import json
import time

import pytest
from fake_containers import GATES_VARIABLE, gate
from sandbox_support import FAST_TRAINING, ScriptedLauncher, set_pipeline_environment, small_recording, task_of_run

from contracts.keys import UploadKey, execution_arn_for, run_id_for
from sandbox.api_server import api_gateway_event
from sandbox.cli import BUNDLED_SAMPLE
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def without_statement(policy_name: str, sid: str):
    """Deploy-time change: the role policy ``policy_name`` loses its statement ``sid``."""

    def adjust(type_token, name, inputs):
        if (type_token, name) != (ROLE_POLICY, policy_name):
            return inputs
        document = json.loads(inputs["policy"])
        kept = [statement for statement in document["Statement"] if statement.get("Sid") != sid]
        assert len(kept) == len(document["Statement"]) - 1, f"{policy_name} has no statement {sid}"
        return {**inputs, "policy": json.dumps({**document, "Statement": kept})}

    return adjust


def without_action(policy_name: str, sid: str, action: str):
    """Deploy-time change: the statement ``sid`` of the role policy ``policy_name`` loses ``action``."""

    def adjust(type_token, name, inputs):
        if (type_token, name) != (ROLE_POLICY, policy_name):
            return inputs
        document = json.loads(inputs["policy"])
        (statement,) = [statement for statement in document["Statement"] if statement.get("Sid") == sid]
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert action in actions, f"{policy_name}'s {sid} does not allow {action}"
        statement["Action"] = [kept for kept in actions if kept != action]
        return {**inputs, "policy": json.dumps(document)}

    return adjust


def _pipeline(tmp_path, adjust):
    return LocalPipeline(
        work_dir=tmp_path,
        adjust_inputs=adjust,
        progress=lambda line: None,
        container_environment=FAST_TRAINING,
    )


def _role_name(pipeline, policy_name: str) -> str:
    return next(
        resource.inputs["role"]
        for resource in pipeline.deployed.of_type(ROLE_POLICY)
        if resource.name == policy_name
    )


def _denials_of(pipeline, policy_name: str) -> set[str]:
    role = _role_name(pipeline, policy_name)
    return {denial.action for denial in pipeline.denials if f":assumed-role/{role}/" in denial.principal_arn}


def _wait_for_denial(pipeline, policy_name: str, action: str, timeout_seconds: float = 120) -> None:
    deadline = time.monotonic() + timeout_seconds
    while action not in _denials_of(pipeline, policy_name):
        assert time.monotonic() < deadline, f"no denial of {action}: {pipeline.denials}"
        time.sleep(0.1)


# policy (logical name) → statement taken out, the upload, the action then denied, the failure code
# recorded. When RecordFailure itself is denied, its execution fails and the reconcile function (under
# its own role) records the run as INTERNAL_ERROR, so the session is not left behind.
PIPELINE_TWINS = {
    "validate": ("processing-validate-fn-policy", "ReadUploads", "sample", "s3:GetObject", "INTERNAL_ERROR"),
    "state-machine": (
        "processing-state-machine-policy",
        "RunTrainingTask",
        "sample",
        "ecs:RunTask",
        "INTERNAL_ERROR",
    ),
    # The container writes through URLs the presign function signed: they carry its permissions.
    "presign": ("processing-presign-run-fn-policy", "SignResultWrites", "small", "s3:PutObject", "CLASSIFIER_ERROR"),
    "process-results": (
        "processing-process-results-fn-policy",
        "RecordSuccess",
        "small",
        "dynamodb:UpdateItem",
        "INTERNAL_ERROR",
    ),
    "record-failure": (
        "processing-record-failure-fn-policy",
        "RecordFailure",
        "not-a-zip",
        "dynamodb:UpdateItem",
        "INTERNAL_ERROR",
    ),
}


def _upload(kind, folder):
    if kind == "sample":
        return BUNDLED_SAMPLE
    if kind == "small":
        return small_recording(folder / "first-run.zip")
    path = folder / "broken.zip"
    path.write_bytes(b"this is not a zip archive")
    return path


@pytest.mark.parametrize("twin", list(PIPELINE_TWINS))
def test_a_role_without_a_required_statement_fails_its_step_with_the_denial_recorded(
    tmp_path, monkeypatch, twin
):
    policy_name, sid, upload_kind, action, code = PIPELINE_TWINS[twin]
    with _pipeline(tmp_path, without_statement(policy_name, sid)) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        pipeline.upload(_upload(upload_kind, tmp_path), user_id="erin", session_id="twin")
        item = pipeline.wait_for([("erin", "twin")], timeout_seconds=300)[("erin", "twin")].item
        assert item["status"] == "FAILED"
        assert item["error"]["code"] == code, item["error"]
        assert action in _denials_of(pipeline, policy_name)


def test_a_start_function_that_may_not_start_executions_leaves_the_session_received(tmp_path, monkeypatch):
    policy_name = "processing-start-fn-policy"
    with _pipeline(tmp_path, without_statement(policy_name, "StartProcessing")) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        pipeline.upload(small_recording(tmp_path / "first-run.zip"), user_id="erin", session_id="twin")

        _wait_for_denial(pipeline, policy_name, "states:StartExecution")
        assert pipeline.status("erin", "twin")["status"] == "RECEIVED"
        executions = pipeline.session.client("stepfunctions").list_executions(
            stateMachineArn=pipeline.stack.state_machine_arn
        )["executions"]
        assert executions == []


def _gated_pipeline(tmp_path, adjust):
    """A pipeline whose sessions named ``fake-gated-...`` have their containers wait at a gate in ``tmp_path``."""
    return LocalPipeline(
        work_dir=tmp_path,
        adjust_inputs=adjust,
        progress=lambda line: None,
        container_environment={**FAST_TRAINING, GATES_VARIABLE: str(tmp_path)},
        launcher_factory=ScriptedLauncher,
    )


def _run_waiting_at_its_gate(pipeline, tmp_path, key: str) -> str:
    """Upload a recording to ``key``; its run's id once its container waits at its gate."""
    bucket = pipeline.stack.upload_bucket
    body = small_recording(tmp_path / "rec.zip").read_bytes()
    version = pipeline.session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]
    run_id = run_id_for(bucket, key, version)
    waiting, _ = gate(tmp_path, run_id)
    deadline = time.monotonic() + 300
    while not waiting.exists():
        assert time.monotonic() < deadline, f"{run_id}'s container never started"
        time.sleep(0.1)
    return run_id


def test_a_start_function_that_may_not_stop_executions_starts_no_second_run_of_a_session(tmp_path, monkeypatch):
    policy_name = "processing-start-fn-policy"
    with _gated_pipeline(tmp_path, without_statement(policy_name, "StopReplacedRuns")) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        s3, sfn = pipeline.session.client("s3"), pipeline.session.client("stepfunctions")
        bucket, key = pipeline.stack.upload_bucket, UploadKey("erin", "fake-gated-twin", "rec.zip").key
        # GIVEN a run training (its container waits at its gate)
        _run_waiting_at_its_gate(pipeline, tmp_path, key)
        # WHEN the session is uploaded again
        newer_version = s3.put_object(Bucket=bucket, Key=key, Body=b"a newer version")["VersionId"]

        # THEN the stop of the replaced run is denied, and the newer run is recorded but not started
        _wait_for_denial(pipeline, policy_name, "states:StopExecution")
        newer_run = run_id_for(bucket, key, newer_version)
        assert (pipeline.status("erin", "fake-gated-twin") or {}).get("runId") == newer_run
        executions = sfn.list_executions(stateMachineArn=pipeline.stack.state_machine_arn)["executions"]
        assert [execution["status"] for execution in executions] == ["RUNNING"]
        assert newer_run not in {execution["name"] for execution in executions}


def test_a_state_machine_that_may_not_stop_tasks_leaves_a_stopped_executions_container_running(
    tmp_path, monkeypatch
):
    policy_name = "processing-state-machine-policy"
    with _gated_pipeline(tmp_path, without_action(policy_name, "WatchTrainingTask", "ecs:StopTask")) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        # GIVEN a run training (its container waits at its gate)
        run_id = _run_waiting_at_its_gate(pipeline, tmp_path, UploadKey("erin", "fake-gated-twin", "rec.zip").key)
        # WHEN its execution is stopped
        execution_arn = execution_arn_for(pipeline.stack.state_machine_arn, run_id)
        pipeline.session.client("stepfunctions").stop_execution(executionArn=execution_arn)

        # THEN Step Functions' StopTask, made with the state machine's role, is denied: the task runs on
        _wait_for_denial(pipeline, policy_name, "ecs:StopTask")
        assert task_of_run(pipeline, run_id)["lastStatus"] == "RUNNING"
        assert pipeline.launcher.runs == []


def test_an_api_function_that_may_not_query_sessions_answers_with_an_error(tmp_path, monkeypatch):
    policy_name = "api-api-fn-policy"
    with _pipeline(tmp_path, without_statement(policy_name, "ReadSessions")) as pipeline:
        set_pipeline_environment(monkeypatch, pipeline)
        event = api_gateway_event(
            route_key="GET /sessions",
            method="GET",
            raw_path="/sessions",
            raw_query="",
            headers={},
            path_parameters={},
            claims={"sub": "erin"},
            body=b"",
            source_ip="127.0.0.1",
        )
        with pytest.raises(Exception, match="not authorized to perform: dynamodb:Query"):
            pipeline.api_handler()(event, None)

        assert "dynamodb:Query" in _denials_of(pipeline, policy_name)
