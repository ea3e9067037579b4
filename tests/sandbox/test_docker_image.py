"""The real classifier image (``make image``) under ``sandbox run --docker``: read-only root as in the
task definition, the sample succeeds, the image's exit codes give the subprocess launcher's codes, and a run
uses the font list the image stores."""

from __future__ import annotations

import subprocess

import pytest
from sandbox_support import set_pipeline_environment
from test_pipeline import FAILING_SESSIONS

from components.cluster import container_definition
from sandbox.cli import BUNDLED_SAMPLE
from sandbox.container_images import SANDBOX_IMAGE, docker_available, docker_image_present, docker_run_command
from sandbox.runner import LocalPipeline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not docker_available(), reason="no Docker daemon answers `docker info`"),
    pytest.mark.skipif(
        docker_available() and not docker_image_present(SANDBOX_IMAGE),
        reason=f"the daemon does not hold {SANDBOX_IMAGE}; build it with `make image`",
    ),
]

# Sessions whose failure the classifier container itself reports (exit 2 and a failed manifest).
CONTAINER_FAILURES = ("one-class", "nan-data")
ONE_PERMUTATION = {"FBCSP_PERMUTATIONS": "1"}


@pytest.fixture(scope="module")
def docker_run(tmp_path_factory):
    uploads = tmp_path_factory.mktemp("uploads")
    with (
        LocalPipeline(
            work_dir=tmp_path_factory.mktemp("sandbox-docker"),
            docker=True,
            progress=lambda line: None,
            container_environment=ONE_PERMUTATION,
        ) as pipeline,
        pytest.MonkeyPatch.context() as environment,
    ):
        set_pipeline_environment(environment, pipeline)
        pipeline.upload(BUNDLED_SAMPLE, user_id="dora", session_id="sample")
        for session_id in CONTAINER_FAILURES:
            make_upload = FAILING_SESSIONS[session_id][0]
            pipeline.upload(make_upload(uploads / f"{session_id}.zip"), user_id="dora", session_id=session_id)
        sessions = [("dora", "sample"), *(("dora", session_id) for session_id in CONTAINER_FAILURES)]
        yield pipeline, pipeline.wait_for(sessions, timeout_seconds=1800)


def test_the_sample_succeeds_in_the_read_only_image(docker_run):
    pipeline, outcomes = docker_run
    sample = outcomes[("dora", "sample")]

    assert sample.status == "SUCCEEDED", sample.item.get("error")
    prefix = sample.item["result"]["resultsPrefix"]
    s3 = pipeline.session.client("s3", endpoint_url=pipeline.endpoint)
    listed = s3.list_objects_v2(Bucket=pipeline.stack.results_bucket, Prefix=prefix)
    names = {item["Key"].removeprefix(prefix) for item in listed["Contents"]}
    assert {"classifier.json", "metrics.json", "report.html", "manifest.json"} <= names
    assert [run.exit_code for run in pipeline.launcher.runs if run.session_id == "sample"] == [0]


@pytest.mark.parametrize("session_id", CONTAINER_FAILURES)
def test_the_images_exit_codes_give_the_same_failure_codes_as_the_subprocess(docker_run, session_id):
    pipeline, outcomes = docker_run
    _, expected_code, reason_words = FAILING_SESSIONS[session_id]
    outcome = outcomes[("dora", session_id)]

    assert outcome.item["error"]["code"] == expected_code
    assert all(word in outcome.item["error"]["message"] for word in reason_words)
    assert [run.exit_code for run in pipeline.launcher.runs if run.session_id == session_id] == [2]


def test_a_run_in_the_image_uses_the_stored_font_list_instead_of_building_one():
    # As the task definition runs the container: read-only root, an empty /tmp volume, its environment.
    definition = container_definition(
        image_uri=SANDBOX_IMAGE, task_cpu=1024, memory_mib=2048, log_group_name="unused", region="us-east-1"
    )
    environment = {variable["name"]: variable["value"] for variable in definition["environment"]}
    *options, image = docker_run_command(SANDBOX_IMAGE, environment, definition["memory"], definition)
    script = (
        "import logging; logging.basicConfig(level=logging.INFO); "
        "from fbcsp.figure_layout import Figure; from matplotlib import font_manager; "
        "print(len(font_manager.fontManager.ttflist))"
    )
    finished = subprocess.run(  # noqa: S603 - fixed arguments
        [*options, "--entrypoint", "python", image, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert int(finished.stdout) > 0
    assert "generated new fontManager" not in finished.stderr
