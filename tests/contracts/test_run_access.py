"""contracts.run_access: the run's URLs fit in ECS's overrides and come back as they were given."""

import base64
import json
import secrets

import boto3
import pytest

from contracts.keys import MAX_ID_LENGTH, results_prefix_for
from contracts.manifest import RESULT_FILES
from contracts.run_access import MAX_ENCODED_CHARS, REDACTED, RunAccess, RunAccessError, redact_encoded

pytestmark = pytest.mark.unit

#: ECS's limit on all of a RunTask's overrides, JSON included.
ECS_OVERRIDES_LIMIT = 8192
LONGEST_ID = "x" * MAX_ID_LENGTH


def _urls(session_token: str) -> RunAccess:
    """URLs signed as a Lambda signs them (temporary credentials) for the longest ids the keys allow."""
    s3 = boto3.client(
        "s3",
        region_name="eu-west-2",
        aws_access_key_id="ASIA" + "A" * 16,
        aws_secret_access_key="s" * 40,
        aws_session_token=session_token,
    )
    prefix = results_prefix_for(LONGEST_ID, LONGEST_ID, "run-" + "0" * 32)
    return RunAccess(
        input=s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": "eeg-pipeline-uploads-prod-0123456789",
                "Key": f"uploads/{LONGEST_ID}/{LONGEST_ID}/{'f' * 120}.zip",
                "VersionId": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
            },
            ExpiresIn=7200,
        ),
        results={
            name: s3.generate_presigned_url(
                "put_object",
                Params={"Bucket": "eeg-pipeline-results-prod-0123456789", "Key": prefix + name, "ContentType": kind},
                ExpiresIn=7200,
            )
            for name, kind in RESULT_FILES.items()
        },
    )


def test_urls_signed_with_a_long_session_token_fit_in_the_overrides_and_decode_to_themselves():
    # A Lambda's session token is about a thousand characters; random ones do not compress.
    access = _urls(base64.b64encode(secrets.token_bytes(1100)).decode())
    plain = sum(len(url) for url in (access.input, *access.results.values()))

    encoded = access.encode()

    assert plain > ECS_OVERRIDES_LIMIT  # why the value is compressed
    assert len(encoded) <= MAX_ENCODED_CHARS < ECS_OVERRIDES_LIMIT
    assert RunAccess.decode(encoded) == access


def test_an_access_too_long_for_the_overrides_is_refused_when_encoded():
    access = _urls(base64.b64encode(secrets.token_bytes(4000)).decode())

    with pytest.raises(RunAccessError, match="more than the 5000"):
        access.encode()


def test_every_result_file_and_nothing_else_has_a_url():
    urls = {name: f"https://example/{name}" for name in RESULT_FILES}

    with pytest.raises(RunAccessError, match=r"missing \['manifest.json'\]"):
        RunAccess(input="https://example/in", results={k: v for k, v in urls.items() if k != "manifest.json"})
    with pytest.raises(RunAccessError, match=r"unexpected \['other.txt'\]"):
        RunAccess(input="https://example/in", results={**urls, "other.txt": "https://example/other"})
    with pytest.raises(RunAccessError, match="input URL"):
        RunAccess(input="", results=urls)


@pytest.mark.parametrize("value", ["", "not base64!", base64.urlsafe_b64encode(b"not deflated").decode()])
def test_a_value_that_is_not_an_encoded_access_is_refused(value):
    with pytest.raises(RunAccessError, match="not an encoded run access"):
        RunAccess.decode(value)


@pytest.mark.parametrize("session_token", ["", "IQoJb3JpZ2luX2VjE" * 60], ids=["no-token", "session-token"])
def test_an_encoded_access_quoted_in_an_error_text_is_redacted_without_its_run_at_hand(session_token):
    # Even the shortest value (short keys, no session token to repeat) is redacted ...
    access = RunAccess(
        input=_urls(session_token).input.replace(LONGEST_ID, "u"),
        results={name: url.replace(LONGEST_ID, "u") for name, url in _urls(session_token).results.items()},
    ).encode()
    # ... where States.Runtime quotes the state's input, escaped once or twice
    state_input = json.dumps({"runId": "run-1", "runAccess": access})
    cause = f"An error occurred while executing the state 'TrainClassifier'. Input: {json.dumps(state_input)}"

    redacted = redact_encoded(cause)

    assert access not in redacted and access[:100] not in redacted
    assert redacted.count(REDACTED) == 1
    assert redacted.startswith("An error occurred while executing the state 'TrainClassifier'.")


def test_the_redaction_leaves_an_ecs_task_description_alone():
    description = json.dumps(
        {
            "TaskArn": "arn:aws:ecs:eu-west-2:123456789012:task/eeg-cluster/0123456789abcdef0123456789abcdef",
            "StopCode": "EssentialContainerExited",
            "Containers": [{"ExitCode": 1, "Reason": "OutOfMemoryError: Container killed due to memory usage"}],
        }
    )
    assert redact_encoded(description) == description
