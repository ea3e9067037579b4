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



@pytest.mark.parametrize(
    "arguments", [["{missing}/S001_imagery.zip"], ["--edf-root", "{missing}"]], ids=["zip", "edf-root"]
)
def test_make_accuracy_without_its_recordings_is_one_usage_line(arguments, tmp_path, capsys):
    from benchmarks import accuracy  # noqa: PLC0415 - imports mne and the classifier: only this test needs it

    with pytest.raises(SystemExit) as ended:
        accuracy.main([argument.format(missing=tmp_path / "nowhere") for argument in arguments])

    assert ended.value.code == 2
    missing = tmp_path / "nowhere" / ("" if arguments[0] == "--edf-root" else "S001_imagery.zip")
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f": error: no such recording: {str(missing).rstrip('/')} (the shared recordings live in ../shared/data)"
    )
