"""One run's container reaches only that run's data, under enforced IAM.

The program's task definition names no task role, so alice's container holds no AWS credentials:
anything it asks of S3 without its URLs is an anonymous request, denied. Its URLs carry the presign
function's permissions (which cover every user's uploads and results) but their signatures cover
only alice's upload version and alice's result files: pointed at bob's upload or bob's results
they are refused, and bob's objects stay as his run wrote them. Both runs still succeed.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from sandbox_support import FAST_TRAINING, set_pipeline_environment, smallest_recording

from contracts.environment import ContainerVariable
from contracts.keys import results_prefix_for
from contracts.manifest import MANIFEST_NAME, REPORT_FILE, RESULT_FILES
from contracts.run_access import RunAccess
from contracts.task_size import TASK_SIZE_KEY
from sandbox.container_process import CREDENTIAL_VARIABLES
from sandbox.containers import ContainerLauncher
from sandbox.runner import LocalPipeline

pytestmark = pytest.mark.e2e


class RecordingLauncher(ContainerLauncher):
    """Runs the real classifier and keeps the environment each container was started with, by user."""

    environments: dict[str, dict[str, str]] = {}

    def command(self, image, environment, **task):
        RecordingLauncher.environments[environment[ContainerVariable.USER_ID]] = dict(environment)
        return super().command(image, environment, **task)


def _pointed_at(url: str, bucket: str, key: str) -> str:
    """``url`` (path-style, as signed for the emulator) with its object replaced, signature unchanged."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{bucket}/{key}"))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """alice's and bob's runs, both final; yields the pipeline, their items and alice's container environment."""
    RecordingLauncher.environments = {}
    folder = tmp_path_factory.mktemp("isolation")
    with pytest.MonkeyPatch.context() as patch, LocalPipeline(
        work_dir=folder,
        progress=lambda line: None,
        container_environment=FAST_TRAINING,
        launcher_factory=RecordingLauncher,
    ) as pipeline:
        set_pipeline_environment(patch, pipeline)
        for user in ("alice", "bob"):
            pipeline.upload(smallest_recording(folder / f"{user}.zip"), user_id=user, session_id="s1")
        outcomes = pipeline.wait_for([("alice", "s1"), ("bob", "s1")], timeout_seconds=600)
        yield pipeline, {user: outcomes[(user, "s1")].item for user in ("alice", "bob")}, RecordingLauncher.environments


def test_both_runs_succeed_with_their_containers_reaching_s3_only_through_their_urls(two_runs):
    pipeline, items, environments = two_runs

    assert {user: item["status"] for user, item in items.items()} == {"alice": "SUCCEEDED", "bob": "SUCCEEDED"}
    task_definitions = pipeline.deployed.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert [definition.inputs.get("taskRoleArn") for definition in task_definitions] == [None]
    assert not CREDENTIAL_VARIABLES & set(environments["alice"])


def test_each_container_is_told_its_tasks_cpu_units(two_runs):
    _, items, environments = two_runs

    assert {user: environments[user][ContainerVariable.TASK_CPU] for user in items} == {
        user: str(item[TASK_SIZE_KEY]["cpu"]) for user, item in items.items()
    }


def _s3_as_container(pipeline, environment):
    """S3 as a container with ``environment`` reaches it: with its credentials, or unsigned without any."""
    if not CREDENTIAL_VARIABLES & set(environment):
        return boto3.client(
            "s3",
            region_name=pipeline.settings.region,
            endpoint_url=pipeline.endpoint,
            config=Config(signature_version=UNSIGNED),
        )
    return boto3.session.Session(
        aws_access_key_id=environment.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=environment.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=environment.get("AWS_SESSION_TOKEN"),
        region_name=pipeline.settings.region,
    ).client("s3", endpoint_url=pipeline.endpoint)


def _status_of(call, **parameters) -> int:
    try:
        return call(**parameters)["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as error:
        return error.response["ResponseMetadata"]["HTTPStatusCode"]


def test_alices_container_credentials_are_denied_bobs_upload_and_bobs_results(two_runs):
    pipeline, items, environments = two_runs
    s3 = _s3_as_container(pipeline, environments["alice"])
    uploads, results = pipeline.stack.upload_bucket, pipeline.stack.results_bucket
    bob_prefix = items["bob"]["result"]["resultsPrefix"]

    assert _status_of(s3.get_object, Bucket=uploads, Key=items["bob"]["uploadKey"]) == 403
    assert _status_of(s3.get_object, Bucket=results, Key=bob_prefix + REPORT_FILE) == 403
    assert _status_of(s3.put_object, Bucket=results, Key=bob_prefix + MANIFEST_NAME, Body=b"{}") == 403


def test_alices_urls_are_refused_for_bobs_upload_and_bobs_results(two_runs):
    pipeline, items, environments = two_runs
    access = RunAccess.decode(environments["alice"][ContainerVariable.RUN_ACCESS])
    results = pipeline.session.client("s3", endpoint_url=pipeline.endpoint)
    bob_prefix = results_prefix_for("bob", "s1", items["bob"]["runId"])
    bob_manifest = results.get_object(Bucket=pipeline.stack.results_bucket, Key=bob_prefix + MANIFEST_NAME)

    read_bobs_upload = requests.get(
        _pointed_at(access.input, pipeline.stack.upload_bucket, items["bob"]["uploadKey"]), timeout=10
    )
    overwrite_bobs_manifest = requests.put(
        _pointed_at(access.results[MANIFEST_NAME], pipeline.stack.results_bucket, bob_prefix + MANIFEST_NAME),
        data=b'{"status": "succeeded"}',
        headers={"Content-Type": RESULT_FILES[MANIFEST_NAME]},
        timeout=10,
    )

    assert (read_bobs_upload.status_code, overwrite_bobs_manifest.status_code) == (403, 403)
    assert "SignatureDoesNotMatch" in read_bobs_upload.text
    assert "SignatureDoesNotMatch" in overwrite_bobs_manifest.text
    after = results.get_object(Bucket=pipeline.stack.results_bucket, Key=bob_prefix + MANIFEST_NAME)
    assert after["VersionId"] == bob_manifest["VersionId"]
    # Alice's URL for a file of her own is still good: the refusals above are about whose object it is.
    alice_upload = requests.get(access.input, timeout=10)
    assert alice_upload.status_code == 200 and alice_upload.content[:2] == b"PK"
