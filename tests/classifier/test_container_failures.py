"""The container entrypoint on an emulated S3, reached only through its run's presigned URLs: every bad input,
environment and S3 failure (S3's refusal of expired URLs from a stand-in server), and the settings it reads
from its environment."""

import io
import time

import pytest
from container_job import (
    PREFIX,
    job_environment,
    log_lines,
    put_input,
    read_json,
    s3_client,
    stored_keys,
)
from refusing_storage import (
    ACCESS_DENIED,
    EXPIRED_TOKEN,
    REQUEST_EXPIRED,
    SESSION_TOKEN,
    access_to,
    refusing_storage,
    result_urls,
)
from zip_builders import BAD_UPLOADS, write_bomb_zip

from contracts.failures import ExitCode
from contracts.run_access import RunAccess
from fbcsp import container, container_settings
from fbcsp.presigned import AccessExpired, PresignedTransfer, TransferError
from fbcsp.training_options import TrainingOptions

pytestmark = pytest.mark.classifier


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
    started = time.monotonic()
    assert container.main(environment, stream) == 2
    elapsed = time.monotonic() - started

    assert stored_keys(s3) == [f"{PREFIX}manifest.json"]
    manifest = read_json(s3, f"{PREFIX}manifest.json")
    assert manifest["status"] == "failed"
    assert manifest["outputs"] == {} and manifest["metrics"] == {}
    assert 0 <= manifest["containerSeconds"] <= round(elapsed, 1), "the job's time, to a tenth of a second"
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


@pytest.mark.parametrize("answer", [EXPIRED_TOKEN, REQUEST_EXPIRED], ids=["token-expired", "url-expired"])
def test_a_write_refused_as_expired_says_the_runs_access_expired_and_names_the_file(answer):
    status, code = answer[:2]
    with refusing_storage(*answer) as storage:
        transfer = PresignedTransfer(access_to(storage))
        with pytest.raises(AccessExpired) as refused:
            transfer.put_result("metrics.json", b"{}")

    assert str(refused.value) == (
        f"the run's access to storage expired before the results were written: PUT of metrics.json was answered "
        f"{status} {code} (its presigned URL, or the credentials that signed it, had expired)"
    )
    assert SESSION_TOKEN not in str(refused.value) and storage not in str(refused.value)


def test_a_read_refused_as_expired_says_so_and_another_refusal_names_s3s_code(tmp_path):
    with refusing_storage(*EXPIRED_TOKEN) as storage:
        transfer = PresignedTransfer(access_to(storage))
        with pytest.raises(AccessExpired, match="expired before the upload was read: GET of the upload was answered"):
            transfer.download_input(tmp_path / "upload.zip")
    with refusing_storage(*ACCESS_DENIED) as storage:
        transfer = PresignedTransfer(access_to(storage))
        with pytest.raises(TransferError) as refused:
            transfer.put_result("metrics.json", b"{}")

    assert not isinstance(refused.value, AccessExpired)
    assert str(refused.value) == "PUT of metrics.json was answered 403 Forbidden (AccessDenied)"


@pytest.mark.slow  # trains on the whole bundled sample
def test_results_refused_as_expired_exit_3_with_the_cause_and_no_manifest(s3, sample_zip_path):
    # GIVEN a run whose upload is readable but whose result URLs S3 refuses: their signer's token expired
    version_id = put_input(s3, sample_zip_path)
    environment = job_environment(s3, version_id, FBCSP_PERMUTATIONS="1")
    signed = RunAccess.decode(environment["RUN_ACCESS"])
    stream = io.StringIO()
    # WHEN the job trains and writes its results
    with refusing_storage(*EXPIRED_TOKEN) as storage:
        access = RunAccess(input=signed.input, results=result_urls(storage))
        code = container.main({**environment, "RUN_ACCESS": access.encode()}, stream)
    # THEN it exits ACCESS_EXPIRED, saying why in its log without a URL or token, and attempts no manifest
    assert code == ExitCode.ACCESS_EXPIRED == 3
    (line,) = [line for line in log_lines(stream) if line["level"] == "ERROR"]
    assert line["message"] == "the run's access to storage expired; no manifest can be written"
    assert line["error"].startswith("the run's access to storage expired before the results were written: PUT of ")
    assert SESSION_TOKEN not in stream.getvalue() and "X-Amz-Signature" not in stream.getvalue()
    assert stored_keys(s3) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"INPUT_KEY": None, "RUN_ID": ""}, "missing environment variable(s): INPUT_KEY, RUN_ID"),
        ({"FBCSP_PERMUTATIONS": "many"}, "FBCSP_PERMUTATIONS must be a whole number"),
        ({"FBCSP_PERMUTATIONS": "0"}, "FBCSP_PERMUTATIONS must be at least 1"),
        ({"FBCSP_TASK_CPU": "1 vCPU"}, "FBCSP_TASK_CPU must be a whole number"),
        ({"FBCSP_TASK_CPU": "0"}, "FBCSP_TASK_CPU must be at least 1"),
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
    assert settings.task_cpus is None


def test_the_tasks_cpu_units_become_its_vcpus():
    settings = container_settings.settings_from_environment(
        job_environment(s3_client("http://127.0.0.1:1"), FBCSP_TASK_CPU="512")
    )

    assert settings.task_cpus == 0.5

