"""A run trains exactly the upload version it validated, even when a newer version arrives before its
container reads the upload (its own module, so its sandbox holds only this session's history)."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from sandbox_support import (
    FAST_TRAINING,
    SMALL_TASK,
    ScriptedLauncher,
    notification_bodies,
    small_recording,
    subscribe_a_queue,
)

from contracts.keys import UploadKey, execution_arn_for, results_prefix_for, run_id_for
from contracts.manifest import manifest_key
from sandbox.runner import LocalPipeline
from sandbox.stack import dev_settings

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with LocalPipeline(
        work_dir=tmp_path_factory.mktemp("sandbox-versions"),
        settings=dataclasses.replace(dev_settings(), **SMALL_TASK),
        progress=lambda line: None,
        container_environment=FAST_TRAINING,
        launcher_factory=ScriptedLauncher,
    ) as running:
        running.notifications_queue_url = subscribe_a_queue(running)
        yield running


def _finished_execution(pipeline, execution_arn: str, timeout_seconds: float = 300) -> dict:
    """The execution once it has started (its upload's event travels through the queue) and ended."""
    stepfunctions, deadline = pipeline.session.client("stepfunctions"), time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            execution = stepfunctions.describe_execution(executionArn=execution_arn)
        except stepfunctions.exceptions.ExecutionDoesNotExist:
            execution = {"status": "NOT_STARTED"}
        if execution["status"] not in ("NOT_STARTED", "RUNNING"):
            return execution
        time.sleep(0.2)
    raise TimeoutError(f"{execution_arn} not finished after {timeout_seconds}s")


def test_a_run_trains_its_own_version_when_a_newer_one_arrives_before_the_container_reads(pipeline, tmp_path):
    # GIVEN an upload whose next version (not a zip) arrives after Validate, before the container reads
    s3, bucket = pipeline.session.client("s3"), pipeline.stack.upload_bucket
    key = UploadKey("carol", "reupload-1", "recording.zip").key
    first_version = s3.put_object(
        Bucket=bucket, Key=key, Body=small_recording(tmp_path / "recording.zip").read_bytes()
    )["VersionId"]
    first_run = run_id_for(bucket, key, first_version)
    # WHEN the first run's execution finishes
    execution = _finished_execution(pipeline, execution_arn_for(pipeline.stack.state_machine_arn, first_run))
    # THEN its container trained the first version, and the session belongs to the newer run
    assert execution["status"] == "SUCCEEDED"
    manifest = json.loads(
        s3.get_object(
            Bucket=pipeline.stack.results_bucket,
            Key=manifest_key(results_prefix_for("carol", "reupload-1", first_run)),
        )["Body"].read()
    )
    assert manifest["status"] == "succeeded"
    newer_version = next(
        version["VersionId"]
        for version in s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
        if version["VersionId"] != first_version
    )
    newer_run = run_id_for(bucket, key, newer_version)
    _finished_execution(pipeline, execution_arn_for(pipeline.stack.state_machine_arn, newer_run))
    item = pipeline.status("carol", "reupload-1")
    assert item["runId"] == newer_run and item["uploadVersion"] == newer_version
    assert (item["status"], item["error"]["code"]) == ("FAILED", "INVALID_UPLOAD")
    assert pipeline.classifier_record("carol", "reupload-1") is None
    # AND only the session's current outcome was notified: the superseded run's success was not
    notified_runs = [
        body["runId"] for body in notification_bodies(pipeline) if body["sessionId"] == "reupload-1"
    ]
    assert notified_runs == [item["runId"]]


