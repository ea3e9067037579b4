"""classifier.json and metrics.json of the trained sample: §6 tree, shapes, strict JSON, estimates."""

import dataclasses
import json
import math

import numpy as np
import pytest
from fbcsp.export import (
    classifier_document,
    manifest_metrics,
    metrics_document,
    selected_option,
    to_json_bytes,
    window_end_sample,
)

from contracts.manifest import REQUIRED_METRICS

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


def _reject_constant(name):
    raise ValueError(f"non-strict JSON constant {name}")


def load_strict(path):
    return json.loads(path.read_text(encoding="ascii"), parse_constant=_reject_constant)


@pytest.fixture(scope="module")
def classifier_json(sample_outputs):
    return load_strict(sample_outputs / "classifier.json")


@pytest.fixture(scope="module")
def metrics_json(sample_outputs):
    return load_strict(sample_outputs / "metrics.json")


def test_online_tree_keeps_the_original_keys(classifier_json):
    online = classifier_json["online"]
    assert set(classifier_json) == {"online", "fbcsp"}
    assert set(online) == {"info", "p"}
    assert set(online["info"]) == ONLINE_KEYS["info"]
    assert set(online["p"]) == ONLINE_KEYS["p"]
    assert set(online["p"]["EEG"]) == ONLINE_KEYS["EEG"]
    assert set(online["p"]["CF"]) == ONLINE_KEYS["CF"]
    assert set(online["p"]["CF_postProc"]) == ONLINE_KEYS["CF_postProc"]
    assert online["p"]["EEG"]["rec"] == {"sr": 160.0, "validChNumber": 8, "validChIDs": list(range(1, 9))}


def test_shapes_of_spec_section_8(classifier_json, trained_sample):
    p = classifier_json["online"]["p"]
    option = selected_option(trained_sample)
    filters_used = p["CSP"]["filters_used"]
    assert len(filters_used) == 6
    assert filters_used[0] == [] and filters_used[1] == []
    for band_id in (3, 4, 5, 6):
        assert np.asarray(filters_used[band_id - 1]).shape == (8, 6)
    assert len(p["CF"]["param"]["a1N"]) == option.n_features
    ids = p["MI"]["out_usedFeatureIDs"]
    assert len(ids) == 1 and len(ids[0]) == option.n_features
    assert all(isinstance(i, int) and 1 <= i <= 24 for i in ids[0])
    assert len(set(ids[0])) == len(ids[0])
    bands = p["EEG"]["bandPass"]["band"]
    assert len(bands) == 12
    assert bands[6:10] == [[], [], [], []]
    assert bands[2] == {"low1": 4.0, "low2": 8.0, "high1": 12.0, "high2": 18.0}
    assert bands[10] == {"low1": 0.01, "low2": 0.5, "high1": 2.0, "high2": 6.0}


def test_exported_numbers_are_the_merged_model_of_the_selected_option_bit_for_bit(
    classifier_json, trained_sample
):
    model, grid = trained_sample.model, trained_sample.grid
    p = classifier_json["online"]["p"]
    assert p["CF"]["param"]["a0"] == model.a0
    np.testing.assert_array_equal(p["CF"]["param"]["a1N"], model.weights)
    np.testing.assert_array_equal(np.asarray(p["MI"]["out_usedFeatureIDs"][0]) - 1, model.feature_ids)
    for band_index, band_id in enumerate(model.band_ids):
        np.testing.assert_array_equal(
            np.asarray(p["CSP"]["filters_used"][band_id - 1]).T, model.filters[band_index]
        )
    window = trained_sample.selection.task_window
    assert classifier_json["online"]["info"]["wt_taskOnset_cfWinOffset_ms"] == grid.end_ms[window]


def test_fbcsp_block_carries_what_the_original_lost(classifier_json, trained_sample):
    block = classifier_json["fbcsp"]
    option = selected_option(trained_sample)
    assert block["schemaVersion"] == "1.0"
    assert block["optionID"] == trained_sample.selection.option_id == option.option_id
    assert block["K"] == option.n_features
    assert block["usedBandIDs"] == [3, 4, 5, 6]
    assert block["bandEdgesHz"][0] == [4.0, 8.0, 12.0, 18.0]
    assert block["channelNames"] == list(trained_sample.ch_names)
    assert block["classLabels"] == {"1": "T1", "2": "T2"}
    assert block["sampleRateHz"] == 160.0
    assert (block["windowSamples"], block["stepSamples"]) == (160, 6)
    assert block["windowEndSampleAfterCue"] == window_end_sample(
        trained_sample, trained_sample.selection.task_window
    )
    assert block["windowEndSampleAfterCue"] * 1000 / 160 == block["windowEndMs"]
    for taps, band in zip(block["firTaps"], trained_sample.bands, strict=True):
        assert taps["bandID"] == band.band_id
        np.testing.assert_array_equal(taps["highpass"], band.highpass)
        np.testing.assert_array_equal(taps["lowpass"], band.lowpass)


def test_result_table_uses_the_original_names_and_epoch_start_times(metrics_json, trained_sample):
    table = metrics_json["resultTable"]
    grid, selection = trained_sample.grid, trained_sample.selection
    assert table["classes"] == 2
    assert table["CVfolds"] == 6
    assert table["allTrials"] == trained_sample.trial_labels.size == sum(table["trPerClass"])
    assert table["opt_tt_ID"] == selection.option_id
    assert table["trigPoint_ms"] == 3000.0
    assert table["taskPeak_ms"] == grid.end_ms[selection.task_window] + 3000.0
    assert table["refPeak_ms"] == grid.end_ms[selection.ref_window] + 3000.0
    assert table["taskInterval_ms"] == [3400.0, 10000.0]
    assert table["taskPeakDA_mean"] == selection.stats["task_mean"]
    assert table["refPeakDA_lower_taskPeakDA_wilc_p"] == selection.stats["wilcoxon_p"]
    assert [a + b for a, b in zip(table["testTrials"], table["trainTrials"], strict=True)] == [
        table["allTrials"]
    ] * 6
    assert table["cfWin_ms"] == 1000.0 and table["cfStep_ms"] == 37.5


def test_estimates_are_labelled_and_match_the_result(metrics_json, trained_sample):
    figures = metrics_json["estimates"]
    assert figures["selectionAccuracy"]["value"] == trained_sample.selection_accuracy
    assert figures["nestedAccuracy"]["value"] == trained_sample.nested_accuracy
    assert figures["chanceLevel"]["value"] == trained_sample.chance_level
    assert figures["permutationPValue"] == {
        "value": trained_sample.permutation_p_value,
        "nPermutations": 5,
        "meaning": figures["permutationPValue"]["meaning"],
    }
    assert "optimistic" in figures["selectionAccuracy"]["meaning"]
    assert "not an estimate" in figures["trainingAccuracy"]["meaning"]
    assert metrics_json["trials"]["droppedIncompleteEpochs"] == trained_sample.n_dropped_trials
    curves = metrics_json["timeResolved"]
    assert len(curves["windowEndMs"]) == trained_sample.grid.n_windows
    assert set(curves["options"]) == {option.name for option in trained_sample.options}


def test_undefined_statistics_become_null_not_nan(trained_sample):
    stats = dict.fromkeys(trained_sample.selection.stats, math.nan)
    broken = dataclasses.replace(
        trained_sample,
        selection=dataclasses.replace(trained_sample.selection, stats=stats),
        permutation_p_value=None,
        n_permutations=0,
    )

    document = json.loads(to_json_bytes(metrics_document(broken)), parse_constant=_reject_constant)

    assert document["resultTable"]["refPeakDA_lower_taskPeakDA_ttest_p"] is None
    assert document["estimates"]["permutationPValue"]["value"] is None
    assert manifest_metrics(broken)["permutationPValue"] is None


def test_manifest_metrics_follow_the_contract(trained_sample):
    metrics = manifest_metrics(trained_sample)
    option = selected_option(trained_sample)

    assert set(metrics) == {*REQUIRED_METRICS, "trialsPerClass"}
    assert metrics["selectedOption"] == option.name and metrics["optionId"] == option.option_id
    assert all(
        0 <= metrics[name] <= 1
        for name in ("selectionAccuracy", "nestedAccuracy", "chanceLevel", "permutationPValue")
    )
    assert metrics["trialsPerClass"] == {"T1": 23, "T2": 21}
    assert metrics["bandsHz"][3] == [22.0, 28.0, 40.0, 48.0]


def test_serialisation_is_strict_and_stable(trained_sample):
    first = to_json_bytes(classifier_document(trained_sample))

    assert first == to_json_bytes(classifier_document(trained_sample))
    assert first.endswith(b"\n")
    with pytest.raises(ValueError, match="Out of range float"):
        to_json_bytes({"value": math.nan})
