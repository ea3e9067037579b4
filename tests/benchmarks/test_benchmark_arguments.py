"""`make benchmark` (fbcsp_benchmark.py, reference then channel axis) refuses at once what would fail
only after the reference's minutes."""

from pathlib import Path

import numpy as np
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


def test_the_panel_is_each_subjects_imagery_and_execution_runs_and_a_task_missing_a_run_is_left_out(
    tmp_path, capsys
):
    from benchmarks import accuracy  # noqa: PLC0415 - imports mne and the classifier: only these tests need it

    for subject, runs in {"S004": (3, 4, 7, 8, 11, 12), "S005": (4, 8, 12, 3, 7)}.items():
        (tmp_path / subject).mkdir()
        for run in runs:
            (tmp_path / subject / f"{subject}R{run:02d}.edf").touch()

    found = accuracy.panel_runs(tmp_path)

    assert {name: [path.name for path in paths] for name, paths in found.items()} == {
        "S004 imagery": ["S004R04.edf", "S004R08.edf", "S004R12.edf"],
        "S004 execution": ["S004R03.edf", "S004R07.edf", "S004R11.edf"],
        "S005 imagery": ["S005R04.edf", "S005R08.edf", "S005R12.edf"],
    }
    assert capsys.readouterr().err == "leaving out S005 execution: no S005R11.edf\n"


def test_the_panel_table_gives_the_mean_of_each_task_under_the_overall_mean():
    from benchmarks import accuracy  # noqa: PLC0415

    def folds(value: float) -> dict:
        return {column: np.array([value, value]) for column in accuracy.COLUMNS} | {"trials": 44}

    results = {"S001 imagery": folds(0.9), "S001 execution": folds(0.6), "S002 imagery": folds(0.6)}

    rows = accuracy.table(results, accuracy.panel_groups(list(results)))

    assert rows[-3].startswith("| mean | | | **70.0** |")
    assert rows[-2].startswith("| mean execution | | | **60.0** |")
    assert rows[-1].startswith("| mean imagery | | | **75.0** |")
    assert rows[2].startswith("| S001 imagery | 44 | 63.6 | 90.0 ± 0.0 |")
