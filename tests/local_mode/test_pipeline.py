"""The whole pipeline offline: real uploads go through EventBridge, the queue, the start handler,
the deployed state machine definition, the handlers and the classifier container entrypoint."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from local_mode.runner import LocalPipeline

pytestmark = pytest.mark.e2e

# Few permutations keep each training short; the p-value machinery is tested with the classifier.
FAST_TRAINING = {"FBCSP_PERMUTATIONS": "5"}


@pytest.fixture(scope="module")
def sample_zip(shared_data_dir) -> Path:
    path = shared_data_dir / "uploads" / "S001_imagery.zip"
    assert path.is_file(), f"the bundled sample upload is missing: {path}"
    return path


def one_class_upload(sample_zip: Path, destination: Path) -> Path:
    """The sample with every T2 cue erased from the trigger column: a well-formed upload with one class."""
    with zipfile.ZipFile(sample_zip) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    csv_name = next(name for name in members if name.endswith(".csv"))
    rows = members[csv_name].decode().splitlines()
    members[csv_name] = "\n".join(
        row[: -len("2,")] + "0," if row.endswith(",2,") else row for row in rows
    ).encode() + b"\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    destination.write_bytes(buffer.getvalue())
    return destination


def _pipeline(tmp_path_factory, **options):
    lines: list[str] = []
    pipeline = LocalPipeline(
        work_dir=tmp_path_factory.mktemp("local-run"),
        progress=lines.append,
        container_environment=FAST_TRAINING,
        **options,
    )
    pipeline.lines = lines
    return pipeline


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with _pipeline(tmp_path_factory) as running:
        yield running


@pytest.fixture(autouse=True)
def _handlers_reach_the_emulator(request, _fake_aws_environment, monkeypatch):
    """The shared fixture resets AWS variables per test; the in-process handlers need the emulator's."""
    if "pipeline" in request.fixturenames:
        for name, value in request.getfixturevalue("pipeline").environment.items():
            monkeypatch.setenv(name, value)


def _objects(pipeline, prefix):
    listing = pipeline.session.client("s3").list_objects_v2(Bucket=pipeline.stack.results_bucket, Prefix=prefix)
    return {entry["Key"][len(prefix) :] for entry in listing.get("Contents", [])}


@pytest.fixture(scope="module")
def two_users_trained(pipeline, sample_zip):
    """The sample uploaded by two researchers at once; both sessions run concurrently."""
    sessions = [("alice", "session-1"), ("bob", "session-1")]
    for user_id, session_id in sessions:
        pipeline.upload(sample_zip, user_id=user_id, session_id=session_id, file_name="recording.zip")
    return pipeline.wait_for(sessions, timeout_seconds=600)


def test_concurrent_uploads_of_two_users_each_train_a_classifier(pipeline, two_users_trained):
    for (user_id, session_id), item in two_users_trained.items():
        assert item["status"] == "SUCCEEDED", item
        assert item["userId"] == user_id
        result = item["result"]
        assert result["resultsPrefix"].startswith(f"results/{user_id}/{session_id}/run-")
        assert 0.5 < float(result["selectionAccuracy"]) <= 1.0
        assert {"classifier.json", "metrics.json", "report.html", "manifest.json"} <= _objects(
            pipeline, result["resultsPrefix"]
        )
        classifier = pipeline.session.client("dynamodb").get_item(
            TableName=pipeline.stack.classifier_table,
            Key={"userId": {"S": user_id}, "sessionId": {"S": session_id}},
        )["Item"]
        assert classifier["classifierKey"]["S"] == result["resultsPrefix"] + "classifier.json"
    prefixes = {item["result"]["resultsPrefix"] for item in two_users_trained.values()}
    assert len(prefixes) == 2, "each user's results live under their own prefix"


def test_a_duplicate_delivery_starts_no_second_execution(pipeline, two_users_trained):
    item = two_users_trained[("alice", "session-1")]
    sqs = pipeline.session.client("sqs")
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
            "object": {"key": item["uploadKey"], "size": 787103, "version-id": item["uploadVersion"]},
            "reason": "PutObject",
        },
    }
    sqs.send_message(QueueUrl=pipeline.stack.queue_url, MessageBody=json.dumps(duplicate))

    executions = pipeline.session.client("stepfunctions").list_executions(
        stateMachineArn=pipeline.stack.state_machine_arn
    )["executions"]
    assert [execution["name"] for execution in executions].count(item["runId"]) == 1
    assert pipeline.status("alice", "session-1")["status"] == "SUCCEEDED"


def test_a_broken_upload_fails_its_own_session_with_a_reason(pipeline, tmp_path, two_users_trained):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"this is not a zip archive")
    pipeline.upload(broken, user_id="alice", session_id="session-2")

    item = pipeline.wait_for([("alice", "session-2")], timeout_seconds=120)[("alice", "session-2")]

    assert item["status"] == "FAILED"
    assert item["error"]["code"] == "INVALID_UPLOAD"
    assert "zip" in item["error"]["message"].lower()
    assert pipeline.status("alice", "session-1")["status"] == "SUCCEEDED", "another session is untouched"


def test_a_recording_with_one_class_fails_with_insufficient_data(pipeline, sample_zip, tmp_path):
    upload = one_class_upload(sample_zip, tmp_path / "one-class.zip")
    pipeline.upload(upload, user_id="carol", session_id="one-class")

    item = pipeline.wait_for([("carol", "one-class")], timeout_seconds=300)[("carol", "one-class")]

    assert item["status"] == "FAILED"
    assert item["error"]["code"] == "INSUFFICIENT_DATA"
    assert "T2" in item["error"]["message"]


@pytest.mark.parametrize(
    ("stack_options", "expected_code"),
    [
        pytest.param({"task_memory_mib": 48}, "OUT_OF_MEMORY", id="container-over-its-memory"),
        pytest.param({"train_timeout_seconds": 1}, "TIMEOUT", id="training-over-its-time-limit"),
    ],
)
def test_a_task_beyond_its_limits_fails_with_the_matching_code(
    tmp_path_factory, sample_zip, stack_options, expected_code
):
    with _pipeline(tmp_path_factory, prefix="eeg-limits", **stack_options) as limited:
        limited.upload(sample_zip, user_id="dave", session_id="limited")

        item = limited.wait_for([("dave", "limited")], timeout_seconds=300)[("dave", "limited")]

    assert item["status"] == "FAILED"
    assert item["error"]["code"] == expected_code
