"""classifier.json and metrics.json of the trained sample: §6 tree, shapes, strict JSON, estimates."""

import dataclasses
import json
import math

import numpy as np
import pytest

from contracts.manifest import FRACTION_METRICS, REQUIRED_METRICS
from fbcsp.export import classifier_document, online_tree, to_json_bytes, window_end_sample
from fbcsp.filterbank import group_delay_samples
from fbcsp.metrics import manifest_metrics, metrics_document
from fbcsp.original_table import selected_option

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
    assert online["p"]["EEG"]["rec"] == {"sr": 160, "validChNumber": 8, "validChIDs": list(range(1, 9))}


#: Lists whose length depends on the recording or the model (channels, filters, K), by key.
DATA_SIZED_LISTS = {"validChIDs", "filters_used", "a1N", "out_usedFeatureIDs"}


def structural_differences(ours, original, path="online", sized=False) -> list[str]:
    """Where two JSON trees differ in keys (and their order), nesting, JSON types or entry shapes.

    Numbers must agree in kind (integer or not) wherever the original writes a whole number as an
    integer; list lengths must agree except under `DATA_SIZED_LISTS`, whose entries are compared
    entry by entry for type.
    """
    if isinstance(original, dict):
        if not isinstance(ours, dict):
            return [f"{path}: object expected, got {type(ours).__name__}"]
        if list(ours) != list(original):
            return [f"{path}: keys {list(ours)} differ from the original's {list(original)}"]
        return [
            difference
            for key in original
            for difference in structural_differences(
                ours[key], original[key], f"{path}.{key}", sized or key in DATA_SIZED_LISTS
            )
        ]
    if isinstance(original, list):
        if not isinstance(ours, list):
            return [f"{path}: array expected, got {type(ours).__name__}"]
        if not sized and len(ours) != len(original):
            return [f"{path}: {len(ours)} entries, the original has {len(original)}"]
        if sized and original and ours:
            return [
                d
                for index, entry in enumerate(ours)
                for d in structural_differences(entry, original[0], f"{path}[{index}]", True)
            ]
        return [
            difference
            for index, (mine, theirs) in enumerate(zip(ours, original, strict=False))
            for difference in structural_differences(mine, theirs, f"{path}[{index}]", sized)
        ]
    if isinstance(original, bool) or isinstance(ours, bool):
        return [] if type(ours) is type(original) else [f"{path}: {ours!r} vs the original's {original!r}"]
    if isinstance(original, int | float):
        if not isinstance(ours, int | float):
            return [f"{path}: number expected, got {type(ours).__name__}"]
        if isinstance(original, int) and not sized and not isinstance(ours, int):
            return [f"{path}: the original writes an integer, ours is {ours!r}"]
        return []
    return (
        []
        if type(ours) is type(original)
        else [f"{path}: {type(ours).__name__} vs {type(original).__name__}"]
    )


@pytest.mark.parametrize("mode", ["default", "original"])
def test_online_tree_has_the_structure_of_the_original_export(
    mode, trained_sample, trained_sample_original, original_online_export
):
    result = trained_sample if mode == "default" else trained_sample_original
    ours = json.loads(to_json_bytes(online_tree(result)))

    assert structural_differences(ours, original_online_export["online"]) == []


def test_structural_comparison_finds_the_old_export_defects(trained_sample, original_online_export):
    ours = json.loads(to_json_bytes(online_tree(trained_sample)))
    ours["p"]["EEG"]["bandPass"]["band"][6] = []
    ours["p"]["EEG"]["rec"]["sr"] = 160.0

    differences = structural_differences(ours, original_online_export["online"])

    assert differences == [
        "online.p.EEG.rec.sr: the original writes an integer, ours is 160.0",
        "online.p.EEG.bandPass.band[6]: object expected, got list",
    ]


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
    assert figures["nestedAccuracy"]["model"] == "ensemble"
    assert figures["onlineNestedAccuracy"]["value"] == trained_sample.online_nested_accuracy
    assert figures["onlineNestedAccuracy"]["model"] == "singleWindow"
    assert figures["chanceLevel"]["value"] == trained_sample.chance_level
    assert figures["permutationPValue"] == {
        "value": trained_sample.permutation_p_value,
        "nPermutations": 5,
        "statistic": "the ensemble's cross-validated accuracy (fold mean)",
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


def test_manifest_metrics_follow_the_contract(trained_sample, trained_sample_original):
    metrics = manifest_metrics(trained_sample)
    original = manifest_metrics(trained_sample_original)
    option = selected_option(trained_sample_original)

    assert set(metrics) == {
        *REQUIRED_METRICS,
        "trialsPerClass",
        "onlineNestedAccuracy",
        "headlineModel",
        "chanceThreshold95",
        "nPermutations",
    }
    assert set(original) == set(metrics)
    assert original["selectedOption"] == option.name and original["optionId"] == option.option_id
    assert (metrics["selectedOption"], metrics["optionId"], metrics["K"]) == ("ensemble-window", 0, 24)
    assert metrics["nestedAccuracy"] == trained_sample.nested_accuracy
    assert metrics["windowEndMs"] == trained_sample.online_model.end_ms
    assert (metrics["headlineModel"], original["headlineModel"]) == ("ensemble", "originalRule")
    assert all(0 <= metrics[name] <= 1 for name in FRACTION_METRICS)
    assert metrics["trialsPerClass"] == {"T1": 23, "T2": 21}
    assert metrics["bandsHz"][3] == [22.0, 28.0, 40.0, 48.0]


def test_serialisation_is_strict_and_stable(trained_sample):
    first = to_json_bytes(classifier_document(trained_sample))

    assert first == to_json_bytes(classifier_document(trained_sample))
    assert first.endswith(b"\n")
    with pytest.raises(ValueError, match="Out of range float"):
        to_json_bytes({"value": math.nan})
