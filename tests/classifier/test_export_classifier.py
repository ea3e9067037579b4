"""classifier.json of the trained sample: the §6 online tree's keys, the §8 shapes, the single-window and ensemble
models bit for bit, the fbcsp block, and strict, stable serialisation."""

import json
import math

import numpy as np
import pytest
from strict_json import load_strict

from fbcsp.export import classifier_document, online_tree, to_json_bytes, window_end_sample
from fbcsp.filterbank import group_delay_samples

pytestmark = pytest.mark.classifier

ONLINE_KEYS = {
    "info": {
        "subject",
        "session",
        "outerFoldID_or_lastOuterFold999_or_allMergedOuterFolds0",
        "wt_taskOnset_cfWinOffset_ms",
        "CFx",
    },
    "p": {"EEG", "CSP", "CF", "MI", "CF_postProc"},
    "EEG": {"rec", "refFilt", "used_bandpass1_bandpower2", "bandPass", "bandPower", "downsamp"},
    "CF": {
        "winSize",
        "param",
        "substractedValue2_from_2ClassResults",
        "SW_2ClassResultNorm_notUsed0_autoBaseline1_specNorm2",
        "meanCurrent",
        "gapBetweenCurrentAndRefWindows",
        "meanReference",
    },
    "CF_postProc": {"baseline", "baseAmp", "hyster", "timer"},
}


@pytest.fixture(scope="module")
def classifier_json(sample_outputs):
    return load_strict(sample_outputs / "classifier.json")


def test_online_tree_keeps_the_original_keys(classifier_json):
    online = classifier_json["online"]
    assert set(classifier_json) == {"online", "fbcsp"}
    assert set(online) == {"info", "p"}
    assert set(online["info"]) == ONLINE_KEYS["info"]
    assert set(online["p"]) == ONLINE_KEYS["p"]
    assert set(online["p"]["EEG"]) == ONLINE_KEYS["EEG"]
    assert set(online["p"]["CF"]) == ONLINE_KEYS["CF"]
    assert set(online["p"]["CF_postProc"]) == ONLINE_KEYS["CF_postProc"]
    assert online["p"]["EEG"]["rec"] == {"sr": 160, "validChNumber": 8, "validChIDs": list(range(1, 9))}


def test_shapes_of_spec_section_8(classifier_json, trained_sample):
    p = classifier_json["online"]["p"]
    online = trained_sample.online_model
    filters_used = p["CSP"]["filters_used"]
    assert len(filters_used) == 6
    assert filters_used[0] == [] and filters_used[1] == []
    for band_id in (3, 4, 5, 6):
        assert np.asarray(filters_used[band_id - 1]).shape == (8, 6)
    assert len(p["CF"]["param"]["a1N"]) == online.model.feature_ids.size == 24
    ids = p["MI"]["out_usedFeatureIDs"]
    assert len(ids) == 1 and len(ids[0]) == 24
    assert sorted(ids[0]) == list(range(1, 25))
    bands = p["EEG"]["bandPass"]["band"]
    assert len(bands) == 12
    assert bands[6:10] == [{"low1": [], "low2": [], "high1": [], "high2": []}] * 4
    assert bands[2] == {"low1": 4, "low2": 8, "high1": 12, "high2": 18}
    assert bands[10] == {"low1": 0.01, "low2": 0.5, "high1": 2, "high2": 6}
    assert p["CF"]["winSize"]["ms"] == 2000


@pytest.mark.parametrize("mode", ["default", "original"])
def test_online_numbers_are_the_single_window_model_bit_for_bit(
    mode, trained_sample, trained_sample_original
):
    result = trained_sample if mode == "default" else trained_sample_original
    online = result.online_model
    tree = json.loads(to_json_bytes(online_tree(result)))
    p = tree["p"]
    assert p["CF"]["param"]["a0"] == online.model.a0
    np.testing.assert_array_equal(p["CF"]["param"]["a1N"], online.model.weights)
    np.testing.assert_array_equal(np.asarray(p["MI"]["out_usedFeatureIDs"][0]) - 1, online.model.feature_ids)
    for band_index, band_id in enumerate(online.model.band_ids):
        np.testing.assert_array_equal(
            np.asarray(p["CSP"]["filters_used"][band_id - 1]).T, online.model.filters[band_index]
        )
    assert tree["info"]["wt_taskOnset_cfWinOffset_ms"] == online.end_ms


def test_original_selection_exports_the_original_rules_model(trained_sample_original):
    result = trained_sample_original
    window = result.selection.task_window
    assert result.online_model.model is result.model
    assert result.online_model.end_sample == window_end_sample(result, window)
    assert result.online_model.end_ms == result.grid.end_ms[window]
    assert result.online_model.window_samples == result.grid.window
    assert "ensemble" not in classifier_document(result)["fbcsp"]


def test_fbcsp_block_carries_what_the_original_lost(classifier_json, trained_sample):
    block = classifier_json["fbcsp"]
    online = trained_sample.online_model
    assert block["schemaVersion"] == "1.1"
    assert block["selection"] == "default"
    assert block["K"] == 24
    assert block["usedBandIDs"] == [3, 4, 5, 6]
    assert block["bandEdgesHz"][0] == [4.0, 8.0, 12.0, 18.0]
    assert block["channelNames"] == list(trained_sample.ch_names)
    assert block["classLabels"] == {"1": "T1", "2": "T2"}
    assert block["sampleRateHz"] == 160.0
    assert block["windowSamples"] == 320
    assert block["windowEndSampleAfterCue"] == online.end_sample
    assert block["windowEndSampleAfterCue"] * 1000 / 160 == block["windowEndMs"]
    assert block["groupDelaySamples"] == [group_delay_samples(band) for band in trained_sample.bands]
    assert block["groupDelayMs"] == [delay * 1000 / 160 for delay in block["groupDelaySamples"]]
    for taps, band in zip(block["firTaps"], trained_sample.bands, strict=True):
        assert taps["bandID"] == band.band_id
        np.testing.assert_array_equal(taps["highpass"], band.highpass)
        np.testing.assert_array_equal(taps["lowpass"], band.lowpass)


def test_ensemble_block_holds_every_window_model(classifier_json, trained_sample):
    windows = classifier_json["fbcsp"]["ensemble"]["windows"]
    ensemble = trained_sample.ensemble
    assert [entry["windowEndMs"] for entry in windows] == [2500.0, 3500.0, 4500.0, 5500.0, 6500.0, 7000.0]
    for entry, window_model in zip(windows, ensemble.models, strict=True):
        assert entry["windowSamples"] == 320
        assert entry["windowEndSampleAfterCue"] == window_model.end_sample
        assert entry["a0"] == window_model.model.a0
        np.testing.assert_array_equal(entry["a1N"], window_model.model.weights)
        np.testing.assert_array_equal(
            np.asarray(entry["out_usedFeatureIDs"]) - 1, window_model.model.feature_ids
        )
        np.testing.assert_array_equal(np.asarray(entry["filters_used"][2]).T, window_model.model.filters[0])


def test_serialisation_is_strict_and_stable(trained_sample):
    first = to_json_bytes(classifier_document(trained_sample))

    assert first == to_json_bytes(classifier_document(trained_sample))
    assert first.endswith(b"\n")
    with pytest.raises(ValueError, match="Out of range float"):
        to_json_bytes({"value": math.nan})
