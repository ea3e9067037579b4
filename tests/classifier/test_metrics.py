"""metrics.json is auditable: what the report states is recomputed from metrics.json and the upload alone."""

import json

import numpy as np
import pytest
from scipy import stats

from fbcsp.folds import chronological_folds
from fbcsp.statistics import binomial_chance_threshold
from fbcsp.training_epochs import usable_trials
from fbcsp.windows import WindowGrid

pytestmark = pytest.mark.classifier


@pytest.fixture(scope="module")
def metrics_json(sample_outputs):
    return json.loads((sample_outputs / "metrics.json").read_text(encoding="ascii"))


def _fold_accuracies(predictions, labels, folds):
    return [float(np.mean(predictions[folds == fold] == labels[folds == fold])) for fold in np.unique(folds)]


def test_trials_and_folds_are_those_of_the_upload(metrics_json, sample_recording):
    trials = metrics_json["trials"]
    grid = WindowGrid.for_rate(metrics_json["recording"]["sampleRateHz"])
    samples, labels, dropped = usable_trials(sample_recording, grid, len(metrics_json["outerFolds"]))

    assert trials["cueSample"] == samples.tolist()
    assert trials["label"] == labels.tolist()
    assert trials["droppedIncompleteEpochs"] == dropped
    assert trials["outerFold"] == chronological_folds(labels, len(metrics_json["outerFolds"])).tolist()
    assert [fold["testTrials"] for fold in metrics_json["outerFolds"]] == np.bincount(
        trials["outerFold"]
    ).tolist()


@pytest.mark.parametrize(
    ("estimate", "predictions", "per_fold"),
    [
        ("nestedAccuracy", "ensembleCvPrediction", "ensemble"),
        ("onlineNestedAccuracy", "singleWindowCvPrediction", "singleWindow"),
        ("originalRuleNestedAccuracy", "originalRuleCvPrediction", "originalRule"),
    ],
)
def test_nested_accuracies_are_recomputed_from_the_trials(metrics_json, estimate, predictions, per_fold):
    trials = metrics_json["trials"]
    labels, folds = np.array(trials["label"]), np.array(trials["outerFold"])
    recomputed = _fold_accuracies(np.array(trials[predictions]), labels, folds)
    figure = metrics_json["estimates"][estimate]

    assert recomputed == [fold[per_fold]["accuracy"] for fold in metrics_json["outerFolds"]]
    assert recomputed == figure["foldValues"]
    assert float(np.mean(recomputed)) == pytest.approx(figure["value"], abs=1e-15)


def test_each_folds_single_window_choice_is_stated(metrics_json):
    ends = metrics_json["selected"]["ensemble"]["windowEndMs"]
    per_window = np.array(metrics_json["selected"]["ensemble"]["outerFoldAccuracyPerWindow"])
    for fold in metrics_json["outerFolds"]:
        chosen = fold["singleWindow"]
        assert chosen["windowEndMs"] == ends[chosen["windowIndex"]]
        assert chosen["accuracy"] == per_window[chosen["windowIndex"], fold["fold"]]
    online = metrics_json["selected"]["online"]
    assert online["windowIndex"] == int(np.argmax(per_window.mean(axis=1)))
    assert online["windowEndMs"] == ends[online["windowIndex"]]


def test_chance_figures_are_recomputed(metrics_json):
    chance = metrics_json["estimates"]["chanceLevel"]
    labels = np.array(metrics_json["trials"]["label"])
    n_trials = labels.size
    threshold_count = round(chance["binomialThreshold95"] * n_trials)

    assert chance["nTrials"] == n_trials
    assert chance["value"] == np.bincount(labels).max() / n_trials
    assert (
        stats.binom.sf(threshold_count - 1, n_trials, 0.5)
        <= 0.05
        < stats.binom.sf(threshold_count - 2, n_trials, 0.5)
    )
    assert binomial_chance_threshold(44) == 28 / 44
    assert metrics_json["estimates"]["permutationPValue"]["nPermutations"] == 5
