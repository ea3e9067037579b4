"""The presign handler on moto: the run's URLs reach exactly its upload version and its result files."""

import pytest
import requests
from handler_support import ACTIVE_RUN_WINDOW_SECONDS, SESSION, USER, log_lines, run_state

from contracts.keys import UploadKey
from contracts.manifest import RESULT_FILES
from contracts.run_access import MAX_RUN_ACCESS_SECONDS, RunAccess
from handlers import presign_run
from handlers.common.errors import ConfigurationError

pytestmark = pytest.mark.moto


def _uploaded_twice(aws) -> dict:
    """The run of the first version of an upload that has since been replaced by a second."""
    key = UploadKey(USER, SESSION, "rec.zip").key
    first = aws.s3.put_object(Bucket=aws.upload_bucket, Key=key, Body=b"first version")["VersionId"]
    aws.s3.put_object(Bucket=aws.upload_bucket, Key=key, Body=b"second version")
    return run_state(aws.upload_bucket, USER, SESSION, first)


def test_the_input_url_reads_the_runs_own_version(aws, lambda_context):
    state = _uploaded_twice(aws)

    access = RunAccess.decode(presign_run.handler(state, lambda_context))

    answer = requests.get(access.input, timeout=10)
    assert answer.status_code == 200
    assert answer.content == b"first version"
    assert f"X-Amz-Expires={ACTIVE_RUN_WINDOW_SECONDS}" in access.input


def test_urls_are_signed_for_at_most_the_time_their_signing_credentials_are_relied_on(
    aws, lambda_context, monkeypatch
):
    state = _uploaded_twice(aws)
    monkeypatch.setenv("RUN_ACCESS_SECONDS", str(MAX_RUN_ACCESS_SECONDS))
    access = RunAccess.decode(presign_run.handler(state, lambda_context))
    assert f"X-Amz-Expires={MAX_RUN_ACCESS_SECONDS}" in access.input

    monkeypatch.setenv("RUN_ACCESS_SECONDS", str(MAX_RUN_ACCESS_SECONDS + 1))
    with pytest.raises(
        ConfigurationError,
        match="RUN_ACCESS_SECONDS 21601 is over 21600: URLs signed with this function's temporary credentials "
        "may stop working before then",
    ):
        presign_run.handler(state, lambda_context)


def test_each_result_url_writes_its_file_under_the_runs_prefix_with_its_content_type(aws, lambda_context):
    state = _uploaded_twice(aws)

    access = RunAccess.decode(presign_run.handler(state, lambda_context))
    for name, content_type in RESULT_FILES.items():
        put = requests.put(access.results[name], data=name.encode(), headers={"Content-Type": content_type}, timeout=10)
        assert put.status_code == 200, name

    stored = aws.s3.list_objects_v2(Bucket=aws.results_bucket)["Contents"]
    assert sorted(item["Key"] for item in stored) == sorted(state["resultsPrefix"] + name for name in RESULT_FILES)
    report = aws.s3.get_object(Bucket=aws.results_bucket, Key=state["resultsPrefix"] + "report.html")
    assert report["ContentType"] == "text/html"
    assert report["Body"].read() == b"report.html"


def test_the_log_names_the_keys_and_never_a_url(aws, lambda_context):
    state = _uploaded_twice(aws)

    with log_lines() as lines:
        encoded = presign_run.handler(state, lambda_context)

    (line,) = [line for line in lines if line["message"] == "presigned the run's URLs"]
    assert line["inputKey"] == state["key"]
    assert line["resultsPrefix"] == state["resultsPrefix"]
    assert line["resultFiles"] == sorted(RESULT_FILES)
    text = repr(lines)
    assert "X-Amz-Signature" not in text and encoded not in text
