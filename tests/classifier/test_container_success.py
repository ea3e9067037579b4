"""The container entrypoint on an emulated S3, reached only through its run's presigned URLs: success on the
sample (every output, the manifest last, log lines, content types)."""

import io
import json
from datetime import datetime

import pytest
import requests
from container_job import (
    EXECUTION_ARN,
    PREFIX,
    RESULTS_BUCKET,
    UPLOAD_BUCKET,
    job_environment,
    log_lines,
    make_buckets,
    put_input,
    s3_client,
    stored_keys,
)

from contracts.manifest import RESULT_FILES
from fbcsp import container
from fbcsp.presigned import PresignedTransfer
from fbcsp.report_warnings import report_warning_texts

pytestmark = pytest.mark.classifier


class WriteRecorder(PresignedTransfer):
    """The container's transfer, remembering the order of the result files written (in ``written``)."""

    written: list[str] = []

    def put_result(self, name, body):
        WriteRecorder.written.append(f"{PREFIX}{name}")
        super().put_result(name, body)


@pytest.fixture(scope="module")
def successful_job(endpoint, sample_zip_path, sample_training_options):
    """One in-process container run on the sample: (exit code, log lines, stored objects, write order)."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    client = s3_client(endpoint)
    make_buckets(client, UPLOAD_BUCKET, RESULTS_BUCKET)
    version_id = put_input(client, sample_zip_path)
    stream = io.StringIO()
    environment = job_environment(
        client,
        version_id,
        FBCSP_PERMUTATIONS=str(sample_training_options.n_permutations),
        FBCSP_SEED=str(sample_training_options.random_state),
        FBCSP_TASK_CPU="1024",
    )
    WriteRecorder.written = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(container, "PresignedTransfer", WriteRecorder)
        code = container.main(environment, stream)
    stored = {
        key: client.get_object(Bucket=RESULTS_BUCKET, Key=key)["Body"].read() for key in stored_keys(client)
    }
    return code, log_lines(stream), stored, list(WriteRecorder.written)


def test_success_uploads_every_output_and_the_manifest_last(successful_job):
    code, _, stored, written = successful_job

    assert code == 0
    expected = {
        f"{PREFIX}{name}"
        for name in (
            "classifier.json",
            "metrics.json",
            "report.html",
            "manifest.json",
            "figures/accuracy.png",
            "figures/confusion.png",
            "figures/csp_patterns.png",
        )
    }
    assert set(stored) == expected == {f"{PREFIX}{name}" for name in RESULT_FILES}
    assert written[-1] == f"{PREFIX}manifest.json"
    assert written.count(f"{PREFIX}manifest.json") == 1


def test_success_manifest_follows_the_contract(successful_job, trained_sample):
    _, _, stored, _ = successful_job
    manifest = json.loads(stored[f"{PREFIX}manifest.json"])

    assert list(manifest) == [
        "schemaVersion",
        "userId",
        "sessionId",
        "runId",
        "status",
        "startedAt",
        "finishedAt",
        "containerSeconds",
        "outputs",
        "metrics",
    ]
    assert manifest["schemaVersion"] == "1.0"
    assert (manifest["userId"], manifest["sessionId"], manifest["runId"]) == ("u1", "s1", "run-0123")
    assert manifest["status"] == "succeeded"
    assert manifest["startedAt"].endswith("Z") and manifest["startedAt"] <= manifest["finishedAt"]
    started, finished = (datetime.fromisoformat(manifest[name]) for name in ("startedAt", "finishedAt"))
    # The same span on the monotonic clock, to a tenth (the timestamps are to a millisecond).
    assert manifest["containerSeconds"] > 0
    assert abs(manifest["containerSeconds"] - (finished - started).total_seconds()) <= 0.05 + 0.002
    assert manifest["outputs"]["classifier"] == f"{PREFIX}classifier.json"
    assert manifest["outputs"]["metrics"] == f"{PREFIX}metrics.json"
    assert manifest["outputs"]["report"] == f"{PREFIX}report.html"
    assert manifest["outputs"]["figures/accuracy.png"] == f"{PREFIX}figures/accuracy.png"
    assert all(key in stored for key in manifest["outputs"].values())
    metrics = manifest["metrics"]
    assert metrics["selectionAccuracy"] == trained_sample.selection_accuracy
    assert metrics["nestedAccuracy"] == trained_sample.nested_accuracy
    assert metrics["permutationPValue"] == trained_sample.permutation_p_value
    assert metrics["onlineNestedAccuracy"] == trained_sample.online_nested_accuracy
    assert metrics["selectedOption"] == "ensemble-window"
    assert metrics["windowEndMs"] == trained_sample.online_model.end_ms
    assert metrics["classes"] == {"1": "T1", "2": "T2"}
    assert metrics["classifierSchemaVersion"] == "1.1"
    assert metrics["reportWarnings"] == report_warning_texts(trained_sample)


def test_container_classifier_is_the_same_as_the_cli_and_fixture(successful_job, sample_outputs):
    _, _, stored, _ = successful_job

    assert stored[f"{PREFIX}classifier.json"] == (sample_outputs / "classifier.json").read_bytes()
    assert json.loads(stored[f"{PREFIX}metrics.json"])["resultTable"]["ssr_code"] == "s1"


def test_every_log_line_is_json_with_the_job_ids(successful_job):
    _, lines, _, _ = successful_job

    assert lines
    for line in lines:
        assert (line["userId"], line["sessionId"], line["runId"]) == ("u1", "s1", "run-0123")
        assert line["executionArn"] == EXECUTION_ARN
        assert {"time", "level", "message"} <= set(line)
    assert lines[-1]["message"] == "training succeeded"
    assert "X-Amz-Signature" not in json.dumps(lines)  # the URLs are secrets


def test_a_one_vcpu_task_trains_on_one_worker_thread(successful_job):
    _, lines, _, _ = successful_job

    (training,) = [line for line in lines if line["message"] == "training"]
    assert (training["taskCpus"], training["workerThreads"]) == (1.0, 1)


def test_each_output_is_stored_with_the_content_type_its_url_was_signed_for(successful_job, endpoint):
    client = s3_client(endpoint)

    for name, content_type in RESULT_FILES.items():
        assert client.head_object(Bucket=RESULTS_BUCKET, Key=f"{PREFIX}{name}")["ContentType"] == content_type

