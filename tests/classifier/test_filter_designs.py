"""Stored filter designs: the same taps as designing them, read only when made under today's rule."""

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from image_interpreter import CLASSIFIER_DIR, run_as_in_the_image

from fbcsp import filter_designs
from fbcsp.filter_designs import (
    DESIGNS_VARIABLE,
    band_design,
    compute_designs,
    design_rule,
    main,
    rate_key,
    stored_designs,
)
from fbcsp.filterbank import USED_BAND_IDS, design_band

pytestmark = pytest.mark.classifier


@pytest.fixture(autouse=True)
def fresh_reads():
    stored_designs.cache_clear()
    yield
    stored_designs.cache_clear()


@pytest.fixture(scope="module")
def designs_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("designs") / "designs.json"
    path.write_text(json.dumps(compute_designs((160.0, 250.0))))
    return path


def _designing_fails(monkeypatch):
    def refuse(band_id, sfreq):
        raise AssertionError(f"band {band_id} at {sfreq} Hz was designed, not read")

    monkeypatch.setattr(filter_designs, "design_band", refuse)


def test_stored_designs_are_the_designs(designs_file, monkeypatch):
    monkeypatch.setenv(DESIGNS_VARIABLE, str(designs_file))
    expected = {band_id: design_band(band_id, 160.0) for band_id in USED_BAND_IDS}
    _designing_fails(monkeypatch)

    for band_id, designed in expected.items():
        read = band_design(band_id, 160.0)
        assert read.band_id == band_id and read.edges_hz == designed.edges_hz
        np.testing.assert_array_equal(read.highpass, designed.highpass)
        np.testing.assert_array_equal(read.lowpass, designed.lowpass)


def test_the_command_stores_each_common_rate_with_the_bands_below_its_nyquist_frequency(tmp_path, monkeypatch):
    monkeypatch.setattr(filter_designs, "COMMON_SAMPLE_RATES", (90.0, 160.0))
    path = tmp_path / "image" / "designs.json"

    assert main([str(path)]) == 0

    content = json.loads(path.read_text())
    assert content["rule"] == design_rule()
    assert sorted(content["designs"]["160.0"]) == sorted(str(band_id) for band_id in USED_BAND_IDS)
    assert sorted(content["designs"]["90.0"]) == ["3", "4", "5"]  # band 6 stops at 48 Hz


@pytest.mark.slow
def test_every_common_rate_can_be_designed():
    designs = compute_designs()["designs"]

    assert sorted(designs, key=float) == [rate_key(rate) for rate in filter_designs.COMMON_SAMPLE_RATES]


def test_a_rate_not_stored_is_designed(designs_file, monkeypatch):
    monkeypatch.setenv(DESIGNS_VARIABLE, str(designs_file))

    np.testing.assert_array_equal(band_design(3, 300.0).highpass, design_band(3, 300.0).highpass)


def test_designs_made_under_another_rule_are_not_used(designs_file, tmp_path, monkeypatch, caplog):
    content = json.loads(designs_file.read_text())
    content["rule"]["scipy"] = "0.0.1"
    content["designs"]["160.0"]["3"]["highpass"] = [1.0]
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(content))
    monkeypatch.setenv(DESIGNS_VARIABLE, str(stale))

    with caplog.at_level(logging.WARNING, logger="fbcsp.filter_designs"):
        band = band_design(3, 160.0)

    np.testing.assert_array_equal(band.highpass, design_band(3, 160.0).highpass)
    assert "made under another band table, rule or SciPy version" in caplog.text


@pytest.mark.parametrize("text", ["not json", '["a list"]'])
def test_an_unreadable_designs_file_is_not_used(text, tmp_path, monkeypatch, caplog):
    broken = tmp_path / "broken.json"
    broken.write_text(text)
    monkeypatch.setenv(DESIGNS_VARIABLE, str(broken))

    with caplog.at_level(logging.WARNING, logger="fbcsp.filter_designs"):
        band = band_design(4, 160.0)

    np.testing.assert_array_equal(band.lowpass, design_band(4, 160.0).lowpass)
    assert "not used" in caplog.text


def test_a_missing_designs_file_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv(DESIGNS_VARIABLE, str(tmp_path / "absent.json"))

    np.testing.assert_array_equal(band_design(5, 160.0).highpass, design_band(5, 160.0).highpass)


def test_the_command_wants_one_path(capsys):
    assert main([]) == 2
    assert "usage: python -m fbcsp.filter_designs PATH" in capsys.readouterr().err


def test_the_image_stores_the_designs_where_its_runs_read_them():
    dockerfile = (CLASSIFIER_DIR / "Dockerfile").read_text()
    stored_at = dockerfile.split(f"{DESIGNS_VARIABLE}=", 1)[1].split()[0]

    assert f"python -m fbcsp.filter_designs {stored_at}" in dockerfile


#: Modules a training run of a CSV upload with stored designs and unnamed channels never imports:
#: each costs a large part of the container's start on one vCPU (scipy.signal about 0.3 s,
#: scipy.stats about 0.8 s, scikit-learn more, as it imports scipy.stats; MNE about 50 ms: only the
#: EDF reader and the scalp maps need it).
NOT_IMPORTED_BY_A_RUN = ("scipy.signal", "scipy.stats", "sklearn", "mne")


@pytest.mark.slow
def test_a_csv_training_run_with_stored_designs_imports_no_scipy_signal_stats_sklearn_or_mne(designs_file, tmp_path):
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import fbcsp.cli, fbcsp.container\n"
        "from pathlib import Path\n"
        "from fbcsp.outputs import train_and_write\n"
        "from fbcsp.training_options import TrainingOptions\n"
        "from synthetic import synthetic_recording\n"
        "import dataclasses\n"
        "recording = synthetic_recording(sfreq=160.0, trials_per_class=(8, 8))\n"
        "recording = dataclasses.replace(recording, ch_names_known=False)\n"
        f"train_and_write(recording, Path({str(tmp_path)!r}), TrainingOptions(n_permutations=2))\n"
        f"imported = [name for name in {NOT_IMPORTED_BY_A_RUN!r} if name in sys.modules]\n"
        "assert not imported, f'imported: {imported}'\n"
    )
    finished = run_as_in_the_image(["-c", script], {DESIGNS_VARIABLE: str(designs_file)})
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "report.html").is_file()


def test_the_apps_sample_rate_is_stored(original_online_export):
    app_rate = float(original_online_export["online"]["p"]["EEG"]["rec"]["sr"])

    assert app_rate in filter_designs.COMMON_SAMPLE_RATES
