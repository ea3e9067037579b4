"""The container entrypoint as the image runs it: a subprocess without AWS credentials reaching S3 through its
URLs, stopped by SIGTERM while it trains, a package that imports no AWS SDK, and the image's interpreter
settings importing what the package uses."""

import ast
import json
import re
import signal
import time

import pytest
from container_job import PREFIX, job_environment, put_input, read_json, stored_keys
from image_interpreter import CLASSIFIER_DIR, run_as_in_the_image, start_as_in_the_image
from zip_builders import write_bomb_zip

pytestmark = pytest.mark.classifier


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


@pytest.mark.slow
def test_sigterm_while_training_ends_the_entrypoint_within_seconds_with_143_and_a_log_line(s3, sample_zip_path):
    # ECS stops a task with SIGTERM, then SIGKILL after its stop timeout: exit 137, as out of memory.
    version_id = put_input(s3, sample_zip_path)
    environment = {
        "MPLCONFIGDIR": _folder_with_matplotlib_font_list(),
        **job_environment(s3, version_id, FBCSP_PERMUTATIONS="100000"),
    }
    process = start_as_in_the_image(["-m", "fbcsp.container"], environment)
    try:
        lines = []
        while not lines or lines[-1]["message"] != "training":
            line = process.stderr.readline()
            assert line, f"the entrypoint ended before training: {lines}"
            lines.append(json.loads(line))
        time.sleep(3)  # well inside the fits and permutations
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, rest = process.communicate(timeout=30)
        seconds_to_stop = time.monotonic() - signalled
    finally:
        process.kill()
        process.wait()

    assert process.returncode == 143
    assert seconds_to_stop < 3, seconds_to_stop
    last = json.loads(rest.splitlines()[-1])
    assert (last["level"], last["runId"], last["exitCode"]) == ("WARNING", "run-0123", 143)
    assert last["message"].startswith("stopped by SIGTERM")
    assert stored_keys(s3) == []


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
