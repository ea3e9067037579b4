"""metrics.json and the manifest metrics of the trained sample: the original's result table, labelled estimates,
undefined statistics as null, and the manifest contract."""

import dataclasses
import json
import math

import numpy as np
import pytest
from strict_json import load_strict, reject_constant

from contracts.manifest import FRACTION_METRICS, REQUIRED_METRICS, report_warnings
from fbcsp.export import to_json_bytes
from fbcsp.metrics import manifest_metrics, metrics_document
from fbcsp.original_table import selected_option
from fbcsp.report_warnings import report_warning_texts
from handlers.common.manifest import record_metrics_problem

pytestmark = pytest.mark.classifier


@pytest.fixture(scope="module")
def metrics_json(sample_outputs):
    return load_strict(sample_outputs / "metrics.json")


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

    document = json.loads(to_json_bytes(metrics_document(broken)), parse_constant=reject_constant)

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
        "reportWarnings",
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
    # process_results' bounds on what the status and classifier items copy hold what the container writes
    assert record_metrics_problem(metrics) is None and record_metrics_problem(original) is None


def test_the_manifest_carries_the_reports_warnings_in_its_order(trained_sample):
    n = trained_sample.trial_labels.size
    blocked = dataclasses.replace(trained_sample, trial_labels=np.repeat([1, 2], [n // 2, n - n // 2]))

    sample_warnings = manifest_metrics(trained_sample)["reportWarnings"]
    blocked_warnings = report_warnings(json.loads(to_json_bytes(manifest_metrics(blocked))))

    assert sample_warnings == report_warning_texts(trained_sample) == []
    assert blocked_warnings == report_warning_texts(blocked)
    assert blocked_warnings[0].startswith("The classes come in blocks")
