"""The container entrypoint on an emulated S3, reached only through its run's presigned URLs:
success on the sample, every bad input, environment and S3 failures."""

import ast
import io
import json
import re
from pathlib import Path

import boto3
import pytest
import requests
from image_interpreter import CLASSIFIER_DIR, run_as_in_the_image
from moto.server import ThreadedMotoServer
from zip_builders import BAD_UPLOADS, write_bomb_zip

from contracts.manifest import RESULT_FILES
from contracts.run_input import RunInput
from fbcsp import container, container_settings
from fbcsp.presigned import PresignedTransfer, TransferError
from fbcsp.training_options import TrainingOptions
from handlers.presign_run import presign_run

pytestmark = pytest.mark.classifier

REGION = "eu-west-2"
UPLOAD_BUCKET = "eeg-uploads"
RESULTS_BUCKET = "eeg-results"
INPUT_KEY = "uploads/u1/s1/rec.zip"
PREFIX = "results/u1/s1/run-0123/"
EXECUTION_ARN = f"arn:aws:states:{REGION}:123456789012:execution:eeg-pipeline:run-0123"
URL_SECONDS = 600


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint):
    """The signer's client (fake keys the emulator accepts; the container itself has none)."""
    return boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="signer",
        aws_secret_access_key="signer",  # noqa: S106 - the emulator's fake keys
    )


def run_access(s3, version_id: str, results_bucket: str = RESULTS_BUCKET) -> str:
    """``RUN_ACCESS`` for the job, as the presign step signs it."""
    run = RunInput(
        bucket=UPLOAD_BUCKET,
        key=INPUT_KEY,
        upload_version=version_id,
        size=1,
        user_id="u1",
        session_id="s1",
        run_id="run-0123",
        results_prefix=PREFIX,
        execution_arn=EXECUTION_ARN,
    )
    return presign_run(s3, run, results_bucket=results_bucket, expires_in_seconds=URL_SECONDS).encode()


def job_environment(s3, version_id="no-such-version", results_bucket=RESULTS_BUCKET, **changes):
    environment = {
        "INPUT_BUCKET": UPLOAD_BUCKET,
        "INPUT_KEY": INPUT_KEY,
        "INPUT_VERSION_ID": version_id,
        "RESULTS_PREFIX": PREFIX,
        "USER_ID": "u1",
        "SESSION_ID": "s1",
        "RUN_ID": "run-0123",
        "EXECUTION_ARN": EXECUTION_ARN,
        "RUN_ACCESS": run_access(s3, version_id, results_bucket),
        "FBCSP_PERMUTATIONS": "5",
        "FBCSP_SEED": "0",
    }
    environment.update(changes)
    return {name: value for name, value in environment.items() if value is not None}


def make_buckets(s3, *names):
    for name in names:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def put_input(s3, path: Path) -> str:
    """Upload ``path`` as the job's input; return the new version's id."""
    return s3.put_object(Bucket=UPLOAD_BUCKET, Key=INPUT_KEY, Body=path.read_bytes())["VersionId"]


def stored_keys(s3, bucket=RESULTS_BUCKET):
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def read_json(s3, key, bucket=RESULTS_BUCKET):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


class WriteRecorder(PresignedTransfer):
    """The container's transfer, remembering the order of the result files written (in ``written``)."""

    written: list[str] = []

    def put_result(self, name, body):
        WriteRecorder.written.append(f"{PREFIX}{name}")
        super().put_result(name, body)


def log_lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def s3(endpoint):
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    client = s3_client(endpoint)
    make_buckets(client, UPLOAD_BUCKET, RESULTS_BUCKET)
    return client


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
        "outputs",
        "metrics",
    ]
    assert manifest["schemaVersion"] == "1.0"
    assert (manifest["userId"], manifest["sessionId"], manifest["runId"]) == ("u1", "s1", "run-0123")
    assert manifest["status"] == "succeeded"
    assert manifest["startedAt"].endswith("Z") and manifest["startedAt"] <= manifest["finishedAt"]
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


def test_each_output_is_stored_with_the_content_type_its_url_was_signed_for(successful_job, endpoint):
    client = s3_client(endpoint)

    for name, content_type in RESULT_FILES.items():
        assert client.head_object(Bucket=RESULTS_BUCKET, Key=f"{PREFIX}{name}")["ContentType"] == content_type


def test_the_container_writes_no_file_it_holds_no_url_for(s3):
    settings = container_settings.settings_from_environment(job_environment(s3))

    with pytest.raises(TransferError, match="'notes.txt' is not a result file"):
        PresignedTransfer(settings.access).put_result("notes.txt", b"anything")
    assert stored_keys(s3) == []


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_exit_2_with_only_a_failed_manifest(case, s3, tmp_path):
    write, code, fragment = BAD_UPLOADS[case]
    version_id = put_input(s3, write(tmp_path / "upload.zip"))
    stream = io.StringIO()

    environment = job_environment(s3, version_id, FBCSP_PERMUTATIONS="1")
    assert container.main(environment, stream) == 2

    assert stored_keys(s3) == [f"{PREFIX}manifest.json"]
    manifest = read_json(s3, f"{PREFIX}manifest.json")
    assert manifest["status"] == "failed"
    assert manifest["outputs"] == {} and manifest["metrics"] == {}
    assert manifest["error"]["code"] == code
    assert fragment in manifest["error"]["message"]
    assert any(line["message"] == "input rejected" for line in log_lines(stream))


def test_the_job_trains_exactly_its_version_when_a_newer_one_has_arrived(s3, tmp_path):
    # GIVEN the job's version (not a zip) and a newer version of the key (a zip without a CSV)
    own_write, _, own_fragment = BAD_UPLOADS["not_a_zip"]
    newer_write, _, newer_fragment = BAD_UPLOADS["missing_csv"]
    version_id = put_input(s3, own_write(tmp_path / "own.zip"))
    put_input(s3, newer_write(tmp_path / "newer.zip"))
    stream = io.StringIO()
    # WHEN the job runs
    assert container.main(job_environment(s3, version_id), stream) == 2
    # THEN it read its own version
    message = read_json(s3, f"{PREFIX}manifest.json")["error"]["message"]
    assert own_fragment in message and newer_fragment not in message
    assert log_lines(stream)[0]["versionId"] == version_id


def test_missing_input_object_is_a_classifier_error(s3):
    stream = io.StringIO()

    assert container.main(job_environment(s3), stream) == 1

    manifest = read_json(s3, f"{PREFIX}manifest.json")
    assert manifest["error"]["code"] == "CLASSIFIER_ERROR"
    assert "Traceback" not in manifest["error"]["message"]
    unexpected = log_lines(stream)[-2]
    assert "traceback" in unexpected
    assert "GET of the upload was answered 404" in unexpected["error"]
    assert "X-Amz-Signature" not in stream.getvalue()


def test_unreachable_results_bucket_exits_1_without_a_manifest(s3, tmp_path):
    version_id = put_input(s3, write_bomb_zip(tmp_path / "upload.zip"))
    stream = io.StringIO()

    environment = job_environment(s3, version_id, results_bucket="no-such-bucket")
    assert container.main(environment, stream) == 1
    (line,) = [line for line in log_lines(stream) if line["message"] == "could not write the failed manifest"]
    assert "PUT of manifest.json was answered 404" in line["error"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"INPUT_KEY": None, "RUN_ID": ""}, "missing environment variable(s): INPUT_KEY, RUN_ID"),
        ({"FBCSP_PERMUTATIONS": "many"}, "FBCSP_PERMUTATIONS must be a whole number"),
        ({"FBCSP_PERMUTATIONS": "0"}, "FBCSP_PERMUTATIONS must be at least 1"),
        ({"RESULTS_PREFIX": "../elsewhere/"}, "RESULTS_PREFIX must be a relative key prefix"),
        ({"RUN_ACCESS": None}, "missing environment variable(s): RUN_ACCESS"),
        ({"RUN_ACCESS": "https://bucket.s3.amazonaws.com/key"}, "RUN_ACCESS is not an encoded run access"),
    ],
)
def test_invalid_environment_exits_1_with_a_clear_log_line(changes, message, s3):
    stream = io.StringIO()

    assert container.main(job_environment(s3, **changes), stream) == 1

    (line,) = log_lines(stream)
    assert line["level"] == "ERROR"
    assert message in line["message"]
    assert stored_keys(s3) == []


def test_settings_defaults_and_prefix_normalisation():
    settings = container_settings.settings_from_environment(
        job_environment(
            s3_client("http://127.0.0.1:1"),
            FBCSP_PERMUTATIONS=None,
            FBCSP_SEED=None,
            RESULTS_PREFIX="results/u1/s1/run-0123",
        )
    )

    assert settings.results_prefix == PREFIX
    assert settings.options == TrainingOptions()


def _folder_with_matplotlib_font_list() -> str:
    """This process's matplotlib cache folder, its font list built: a subprocess pointed at it never
    builds its own, which matplotlib announces in plain text on stderr when it takes over 5 s."""
    from matplotlib import font_manager, get_cachedir

    assert font_manager.fontManager.ttflist, "matplotlib found no fonts"
    return get_cachedir()


@pytest.mark.slow
def test_entrypoint_subprocess_without_aws_credentials_reaches_s3_through_its_urls(s3, tmp_path):
    version_id = put_input(s3, write_bomb_zip(tmp_path / "upload.zip"))
    # No AWS_* variable at all: no credentials, no endpoint, no region.
    environment = {"MPLCONFIGDIR": _folder_with_matplotlib_font_list(), **job_environment(s3, version_id)}
    finished = run_as_in_the_image(["-m", "fbcsp.container"], environment)
    assert finished.returncode == 2, finished.stderr
    assert stored_keys(s3) == [f"{PREFIX}manifest.json"]
    manifest = read_json(s3, f"{PREFIX}manifest.json")
    assert manifest["error"]["code"] == "INVALID_UPLOAD"
    assert "'data.csv' expands" in manifest["error"]["message"]
    lines = [json.loads(line) for line in finished.stderr.splitlines()]
    assert all(line["runId"] == "run-0123" for line in lines)
    assert not [name for name in environment if name.startswith("AWS_")]


def test_the_classifier_package_imports_no_aws_sdk():
    # The image holds no boto3: the container reaches S3 only through the run's presigned URLs.
    imported = set()
    for source in [*(CLASSIFIER_DIR / "fbcsp").rglob("*.py"), *(CLASSIFIER_DIR.parent / "contracts").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert not imported & {"boto3", "botocore", "aiobotocore", "s3transfer"}
    assert "boto3" not in (CLASSIFIER_DIR / "requirements.txt").read_text()


@pytest.mark.slow
def test_the_images_interpreter_settings_import_every_mne_part_the_package_uses():
    # At PYTHONOPTIMIZE=2 mne.io cannot be imported (mne's copy_doc needs docstrings): whatever
    # level the Dockerfile sets must import what the EDF reader and the scalp maps use.
    dockerfile = (CLASSIFIER_DIR / "Dockerfile").read_text()
    level = next(iter(re.findall(r"PYTHONOPTIMIZE=(\d)", dockerfile)), "0")
    finished = run_as_in_the_image(
        ["-c", "import mne, fbcsp.edf; mne.io.read_raw; mne.viz.plot_topomap"],
        {"PYTHONOPTIMIZE": level, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert finished.returncode == 0, finished.stderr
