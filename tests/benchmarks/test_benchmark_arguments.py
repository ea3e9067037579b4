"""`make benchmark` (fbcsp_benchmark.py, reference then channel axis) refuses at once what would fail
only after the reference's minutes."""

from pathlib import Path

import pytest

from benchmarks import fbcsp_benchmark

pytestmark = pytest.mark.unit


class ReferenceStarted(Exception):
    pass


def _start_reference(*args, **kwargs):
    raise ReferenceStarted


@pytest.fixture
def no_eegmmidb(monkeypatch, tmp_path: Path) -> Path:
    missing = tmp_path / "eegmmidb"
    monkeypatch.setattr(fbcsp_benchmark, "EEGMMIDB_DIR", missing)
    monkeypatch.setattr(fbcsp_benchmark, "run_reference", _start_reference)
    return missing


@pytest.mark.parametrize("part", ["all", "channels"])
def test_channel_axis_without_its_recordings_stops_before_the_reference(
    no_eegmmidb, sample_zip_path, part, capsys
):
    exit_code = fbcsp_benchmark.main(["--input", str(sample_zip_path), "--part", part])

    error = capsys.readouterr().err
    assert exit_code == 2
    assert f"{no_eegmmidb}, which lacks S001R04.edf" in error
    assert "--part reference needs only --input" in error


def test_reference_part_starts_without_eegmmidb(no_eegmmidb, sample_zip_path):
    with pytest.raises(ReferenceStarted):
        fbcsp_benchmark.main(["--input", str(sample_zip_path), "--part", "reference"])
