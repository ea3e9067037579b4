"""Fixtures of the classifier tests: the default synthetic recording and its training, the real S001 sample
(bundled upload zip, EDF runs), each made once per session, and the emulated S3 the container tests run
their job on."""

from pathlib import Path

import pytest
import requests
from container_job import RESULTS_BUCKET, UPLOAD_BUCKET, make_buckets, s3_client
from moto.server import ThreadedMotoServer
from synthetic import synthetic_recording

from fbcsp.recording import Recording
from fbcsp.upload import read_upload

EDF_RUNS = ("S001R04.edf", "S001R08.edf", "S001R12.edf")


@pytest.fixture(scope="session")
def sample_recording(sample_zip_path: Path) -> Recording:
    """The sample upload read with the upload reader (45 cues: 23 T1, 22 T2)."""
    return read_upload(sample_zip_path)


@pytest.fixture(scope="session")
def edf_paths(shared_data_dir: Path) -> tuple[Path, ...]:
    """The three EDF+ runs the sample upload was made from, in upload order."""
    folder = shared_data_dir / "eeg" / "eegmmidb" / "S001"
    paths = tuple(folder / name for name in EDF_RUNS)
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        pytest.fail(f"EDF sample file(s) missing: {', '.join(missing)}")
    return paths


@pytest.fixture(scope="session")
def synthetic() -> Recording:
    """The default synthetic recording (`synthetic.synthetic_recording`), made once per session."""
    return synthetic_recording()


@pytest.fixture(scope="session")
def synthetic_result(synthetic):
    """``train()`` on the synthetic recording without permutations, once per session."""
    from fbcsp.training import train
    from fbcsp.training_options import TrainingOptions

    return train(synthetic, TrainingOptions(n_permutations=0))


@pytest.fixture(scope="session")
def sample_training_options():
    """Settings of the shared trained sample (5 permutations, seed 0); the CLI test trains with them again."""
    from fbcsp.training_options import TrainingOptions

    return TrainingOptions(n_permutations=5, random_state=0)


@pytest.fixture(scope="session")
def trained_sample(sample_recording, sample_training_options):
    """``train()`` on the sample upload, once per session."""
    from fbcsp.training import train

    return train(sample_recording, sample_training_options)


@pytest.fixture(scope="session")
def sample_outputs(trained_sample, tmp_path_factory) -> Path:
    """Folder holding classifier.json, metrics.json, report.html and figures/ of the trained sample."""
    from fbcsp.export import write_model_files
    from fbcsp.report import write_report

    out_dir = tmp_path_factory.mktemp("sample_outputs")
    write_model_files(trained_sample, out_dir)
    write_report(trained_sample, out_dir, {"Input": "S001_imagery.zip"})
    return out_dir


@pytest.fixture(scope="session")
def original_online_export(shared_data_dir: Path) -> dict:
    """The original pipeline's own ``classifier.json`` (its ``online`` tree is what consumers read)."""
    import json

    path = shared_data_dir.parent / "spec" / "original_online_export.json"
    if not path.is_file():
        pytest.fail(f"the original's export is missing: expected {path}")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def trained_sample_original(sample_recording, sample_training_options):
    """``train()`` on the sample upload with ``selection="original"``, once per session."""
    import dataclasses

    from fbcsp.training import train

    return train(sample_recording, dataclasses.replace(sample_training_options, selection="original"))


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint):
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    client = s3_client(endpoint)
    make_buckets(client, UPLOAD_BUCKET, RESULTS_BUCKET)
    return client
