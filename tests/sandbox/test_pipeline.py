"""The whole pipeline offline: uploads go through EventBridge, the queue, the start handler, the
deployed state machine definition, the handlers and the classifier container; every failure code
a session can end with is reached end to end, next to sessions that still succeed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sandbox_support import (
    FAST_TRAINING,
    SIGNATURE_PARAMETER,
    SIZED_TASK,
    SMALL_TASK,
    ScriptedLauncher,
    client_as_role,
    dead_electrode_upload,
    four_times_the_sample,
    nan_upload,
    no_metadata_upload,
    notification_bodies,
    one_class_upload,
    presigned_run_accesses,
    shown_beyond_history,
    small_recording,
    subscribe_a_queue,
    two_csv_upload,
)

from contracts.keys import UploadKey, execution_arn_for, results_prefix_for, run_id_for
from contracts.run_input import RunInput
from sandbox.cli import BUNDLED_SAMPLE
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e


def _not_a_zip(path: Path) -> Path:
    path.write_bytes(b"this is not a zip archive")
    return path


# session id → (how its upload is made, expected code, words its reason must contain)
FAILING_SESSIONS = {
    "not-a-zip": (_not_a_zip, "INVALID_UPLOAD", ("zip",)),
    "two-csv": (two_csv_upload, "INVALID_UPLOAD", ("csv",)),
    "no-metadata": (no_metadata_upload, "INVALID_UPLOAD", ("metadata.json",)),
    "one-class": (one_class_upload, "INSUFFICIENT_DATA", ("T2",)),
    "nan-data": (nan_upload, "INVALID_UPLOAD", ("non-finite",)),
    "too-long": (four_times_the_sample, "INVALID_UPLOAD", ("8 channels ×", "limit is 1.0 GiB", "taskMemoryMax")),
    "fake-crash-1": (small_recording, "CLASSIFIER_ERROR", ("unexpected error",)),
    "fake-hog-memory-1": (small_recording, "OUT_OF_MEMORY", ("memory",)),
    "fake-no-manifest-1": (small_recording, "RESULTS_INVALID", ("manifest",)),
    "fake-bad-manifest-1": (small_recording, "RESULTS_INVALID", ("manifest",)),
    "image-missing-1": (small_recording, "IMAGE_UNAVAILABLE", ("image",)),
}
SUCCEEDING_SESSIONS = [("alice", "session-1"), ("bob", "session-1")]
CONTRACT_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    lines: list[str] = []
    with LocalPipeline(
        work_dir=tmp_path_factory.mktemp("sandbox"),
        config=SMALL_TASK,
        # image-missing-1 fails to start twice: once, then after the wait before its retry (60 s deployed)
        start_retry_wait_seconds=1,
        progress=lines.append,
        container_environment=FAST_TRAINING,
        launcher_factory=ScriptedLauncher,
    ) as running:
        running.lines = lines
        running.notifications_queue_url = subscribe_a_queue(running)
        yield running


@pytest.fixture(scope="module")
def mixed_run(pipeline, tmp_path_factory):
    """Two researchers' good uploads and every kind of failing session, all at once."""
    uploads = tmp_path_factory.mktemp("uploads")
    pipeline.upload(BUNDLED_SAMPLE, user_id="alice", session_id="session-1", file_name="recording.zip")
    # bob's C3 electrode was unconnected: the session trains on the other seven and warns
    pipeline.upload(dead_electrode_upload(uploads / "dead-c3.zip"), user_id="bob", session_id="session-1")
    for session_id, (make_upload, _, _) in FAILING_SESSIONS.items():
        pipeline.upload(make_upload(uploads / f"{session_id}.zip"), user_id="carol", session_id=session_id)
    sessions = SUCCEEDING_SESSIONS + [("carol", session_id) for session_id in FAILING_SESSIONS]
    return pipeline.wait_for(sessions, timeout_seconds=600)


def _objects(pipeline, prefix):
    listing = pipeline.session.client("s3").list_objects_v2(Bucket=pipeline.stack.results_bucket, Prefix=prefix)
    return {entry["Key"][len(prefix) :] for entry in listing.get("Contents", [])}


def _executions(pipeline):
    return pipeline.session.client("stepfunctions").list_executions(
        stateMachineArn=pipeline.stack.state_machine_arn
    )["executions"]


def test_the_good_uploads_train_a_classifier_each_despite_the_failures_beside_them(pipeline, mixed_run):
    for user_id, session_id in SUCCEEDING_SESSIONS:
        item = mixed_run[(user_id, session_id)].item
        assert item["status"] == "SUCCEEDED", item
        assert item["userId"] == user_id
        result = item["result"]
        assert result["resultsPrefix"].startswith(f"results/{user_id}/{session_id}/run-")
        assert 0.5 < float(result["selectionAccuracy"]) <= 1.0
        assert {"classifier.json", "metrics.json", "report.html", "manifest.json"} <= _objects(
            pipeline, result["resultsPrefix"]
        )
        classifier = pipeline.classifier_record(user_id, session_id)
        assert classifier["classifierKey"] == result["resultsPrefix"] + "classifier.json"
        assert {"startedAt", "finishedAt", "executionArn", "uploadVersion"} <= set(item)
        # MarkProcessing stores $$.State.EnteredTime: the contracts' one timestamp shape, as on AWS
        assert all(CONTRACT_TIMESTAMP.fullmatch(item[name]) for name in ("startedAt", "finishedAt")), item
        manifest = pipeline.session.client("s3").get_object(
            Bucket=pipeline.stack.results_bucket, Key=result["resultsPrefix"] + "manifest.json"
        )
        assert result["reportWarnings"] == json.loads(manifest["Body"].read())["metrics"]["reportWarnings"]
    assert mixed_run[("alice", "session-1")].item["result"]["reportWarnings"] == []
    (warning,) = mixed_run[("bob", "session-1")].item["result"]["reportWarnings"]
    assert warning.startswith("Constant channel(s): C3 kept one value throughout")


def test_runs_needing_more_than_the_default_task_are_given_a_bigger_one_and_train(pipeline, mixed_run):
    for user_id, session_id in SUCCEEDING_SESSIONS:
        item = mixed_run[(user_id, session_id)].item
        assert item["status"] == "SUCCEEDED"
        assert item["taskSize"] == SIZED_TASK.to_dict()
    runs = [run for run in pipeline.launcher.runs if (run.user_id, run.session_id) in SUCCEEDING_SESSIONS]
    assert runs and {run.task_size for run in runs} == {SIZED_TASK}
    assert any("classifier container exited with 0" in line and f"(task {SIZED_TASK})" in line
               for line in pipeline.lines)


def test_a_recording_needing_more_than_the_maximum_task_never_starts_a_container(pipeline, mixed_run):
    item = mixed_run[("carol", "too-long")].item
    assert item["error"]["code"] == "INVALID_UPLOAD"
    assert "taskSize" not in item
    assert not [run for run in pipeline.launcher.runs if run.session_id == "too-long"]


def test_the_run_input_carries_the_execution_arn_step_functions_gives_the_execution(pipeline, mixed_run):
    sfn = pipeline.session.client("stepfunctions")
    for execution in _executions(pipeline):
        run = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
        assert run["executionArn"] == execution["executionArn"]
    for user_id, session_id in SUCCEEDING_SESSIONS:
        item = mixed_run[(user_id, session_id)].item
        # MarkProcessing records $$.Execution.Id: the same ARN the handlers log
        assert item["executionArn"] in {execution["executionArn"] for execution in _executions(pipeline)}


@pytest.mark.parametrize("session_id", list(FAILING_SESSIONS))
def test_each_failure_ends_its_own_session_with_its_code_and_a_reason(mixed_run, session_id):
    _, expected_code, reason_words = FAILING_SESSIONS[session_id]
    item = mixed_run[("carol", session_id)].item

    assert item["status"] == "FAILED"
    assert item["error"]["code"] == expected_code, item["error"]
    for word in reason_words:
        assert word.lower() in item["error"]["message"].lower(), item["error"]


def test_failed_sessions_keep_no_classifier_record(pipeline, mixed_run):
    for session_id in FAILING_SESSIONS:
        assert pipeline.classifier_record("carol", session_id) is None


def test_the_timing_splits_each_session_into_training_and_overhead(mixed_run):
    trained = mixed_run[("alice", "session-1")]
    assert 0 < trained.container_seconds < trained.total_seconds
    rejected = mixed_run[("carol", "not-a-zip")]
    assert rejected.container_seconds == 0
    assert rejected.overhead_seconds == rejected.total_seconds


def test_a_duplicate_delivery_starts_no_second_execution(pipeline, mixed_run):
    item = mixed_run[("alice", "session-1")].item
    duplicate = {
        "version": "0",
        "id": "duplicate-delivery",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-2",
        "resources": [f"arn:aws:s3:::{pipeline.stack.upload_bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": pipeline.stack.upload_bucket},
            "object": {"key": item["uploadKey"], "size": BUNDLED_SAMPLE.stat().st_size,
                       "version-id": item["uploadVersion"]},
            "reason": "PutObject",
        },
    }
    pipeline.session.client("sqs").send_message(QueueUrl=pipeline.stack.queue_url, MessageBody=json.dumps(duplicate))

    names = [execution["name"] for execution in _executions(pipeline)]
    assert names.count(item["runId"]) == 1
    assert pipeline.status("alice", "session-1")["runId"] == item["runId"]


def test_a_new_version_of_an_upload_starts_a_new_run(pipeline, mixed_run, tmp_path):
    first = mixed_run[("bob", "session-1")].item
    pipeline.upload(small_recording(tmp_path / "recording.zip"), user_id="bob", session_id="session-1")

    second = pipeline.wait_for([("bob", "session-1")], timeout_seconds=300)[("bob", "session-1")].item
    if second["runId"] == first["runId"]:  # the first poll may still see the finished first run
        second = pipeline.wait_for([("bob", "session-1")], timeout_seconds=300)[("bob", "session-1")].item

    assert second["status"] == "SUCCEEDED"
    assert second["runId"] != first["runId"]
    assert second["uploadVersion"] != first["uploadVersion"]
    assert second["result"]["resultsPrefix"] != first["result"]["resultsPrefix"]
    names = {execution["name"] for execution in _executions(pipeline)}
    assert {first["runId"], second["runId"]} <= names
    assert pipeline.classifier_record("bob", "session-1")["classifierKey"].startswith(
        second["result"]["resultsPrefix"]
    )


def test_no_ended_execution_shows_its_runs_urls_beyond_its_history(pipeline, mixed_run):
    # DescribeExecution's output, error and cause go to every reader of the account's default bus (the
    # status-change event); the run's PUT URLs stay valid for hours after the run.
    sfn = pipeline.session.client("stepfunctions")
    trained = set()
    for execution in _executions(pipeline):
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        run_accesses = presigned_run_accesses(sfn, execution["executionArn"])
        shown = shown_beyond_history(described)

        assert SIGNATURE_PARAMETER not in shown
        assert not [value for value in run_accesses if value in shown], described["name"]
        if run_accesses:
            trained.add(described["status"])
        if described["status"] == "SUCCEEDED":
            # what a reader of the execution's output needs: the outcome the run notified
            assert json.loads(described["output"]).keys() == {
                "userId", "sessionId", "runId", "status", "result", "links", "recorded"
            }
    # runs that trained and succeeded, and that trained and failed (their caught task's description,
    # the cause RecordFailure gets, holds the run's URLs), were among them
    assert trained == {"SUCCEEDED", "FAILED"}


def _processing_run_of(pipeline, state_machine_arn: str, user_id: str, session_id: str) -> RunInput:
    """A run the status table holds as PROCESSING on ``state_machine_arn``, as MarkProcessing leaves it."""
    key = UploadKey(user_id, session_id, "rec.zip").key
    run_id = run_id_for(pipeline.stack.upload_bucket, key, "v1")
    run = RunInput(
        bucket=pipeline.stack.upload_bucket,
        key=key,
        upload_version="v1",
        size=1234,
        user_id=user_id,
        session_id=session_id,
        run_id=run_id,
        results_prefix=results_prefix_for(user_id, session_id, run_id),
        execution_arn=execution_arn_for(state_machine_arn, run_id),
    )
    pipeline.session.client("dynamodb").put_item(
        TableName=pipeline.stack.status_table,
        Item={
            "userId": {"S": user_id},
            "sessionId": {"S": session_id},
            "runId": {"S": run_id},
            "status": {"S": "PROCESSING"},
            "executionArn": {"S": run.execution_arn},
        },
    )
    return run


def test_a_run_left_processing_by_a_state_machine_a_deploy_replaced_is_failed_when_it_ends(pipeline):
    # GIVEN a run PROCESSING on the stack's previous state machine: the deployed one's logical name, the
    # suffix of another deploy (the one that replaced it)
    sfn = pipeline.session.client("stepfunctions")
    current = sfn.describe_state_machine(stateMachineArn=pipeline.stack.state_machine_arn)
    previous = sfn.create_state_machine(
        name=f"{current['name'][:-7]}0a1b2c3",
        definition=json.dumps({"StartAt": "Train", "States": {"Train": {"Type": "Wait", "Seconds": 600, "End": True}}}),
        roleArn=current["roleArn"],
    )["stateMachineArn"]
    run = _processing_run_of(pipeline, previous, "dave", "replaced-machine")
    sfn.start_execution(stateMachineArn=previous, name=run.run_id, input=json.dumps(run.to_dict()))
    # WHEN its execution ends without an outcome (deleting that machine ends it at its next transition)
    sfn.stop_execution(executionArn=run.execution_arn)
    # THEN the deployed rule takes its ending to the reconcile function, which fails the run
    item = pipeline.wait_for([("dave", "replaced-machine")], timeout_seconds=60)[("dave", "replaced-machine")].item
    assert (item["runId"], item["status"], item["error"]["code"]) == (run.run_id, "FAILED", "INTERNAL_ERROR")


def _notifications(pipeline) -> dict[str, dict]:
    return {body["sessionId"]: body for body in notification_bodies(pipeline)}


def test_every_outcome_is_notified_with_its_reason_or_a_link_to_its_results(pipeline, mixed_run):
    notified = _notifications(pipeline)

    success = notified["session-1"]
    assert success["status"] == "SUCCEEDED"
    assert success["links"]["results"].startswith(f"s3://{pipeline.stack.results_bucket}/results/")
    assert success["links"]["report"].endswith("/report.html")
    failure = notified["one-class"]
    assert failure["status"] == "FAILED"
    assert failure["error"]["code"] == "INSUFFICIENT_DATA" and failure["error"]["message"]
    assert failure["links"] == {"status": "/sessions/one-class"}
    assert set(FAILING_SESSIONS) <= set(notified)


def test_nothing_reached_the_dead_letter_queue(pipeline, mixed_run):
    attributes = pipeline.session.client("sqs").get_queue_attributes(
        QueueUrl=pipeline.stack.dead_letter_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_the_validate_function_may_not_write_to_the_results_bucket(pipeline, mixed_run):
    s3 = client_as_role(pipeline, "processing-validate-fn-role", "s3")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(Bucket=pipeline.stack.results_bucket, Key="results/carol/x/forged.json", Body=b"{}")
    assert any(
        denial.action == "s3:PutObject" and "/processing-validate-fn-role" in denial.principal_arn
        for denial in pipeline.denials
    )


def test_the_api_function_may_not_read_uploaded_recordings(pipeline, mixed_run):
    upload_key = mixed_run[("alice", "session-1")].item["uploadKey"]
    s3 = client_as_role(pipeline, "api-api-fn-role", "s3")
    with pytest.raises(ClientError, match="AccessDenied|Forbidden|403"):
        s3.get_object(Bucket=pipeline.stack.upload_bucket, Key=upload_key)
    # What its policy allows, it may do: the same role reads the session's status.
    dynamodb = client_as_role(pipeline, "api-api-fn-role", "dynamodb")
    item = dynamodb.get_item(
        TableName=pipeline.stack.status_table, Key={"userId": {"S": "alice"}, "sessionId": {"S": "session-1"}}
    )["Item"]
    assert item["status"]["S"] == "SUCCEEDED"
