"""The default window ensemble: geometry, agreement with a plain estimator loop, honest estimates."""

import tracemalloc

import numpy as np
import pytest
from synthetic import synthetic_recording

from fbcsp.ensemble import ENSEMBLE_STARTS_S, EnsembleWindows, ensemble_moments
from fbcsp.estimators import RLDA, FilterBankCSP, LogVariance
from fbcsp.filterbank import filter_continuous
from fbcsp.folds import matlab_round
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions
from fbcsp.windows import WindowGrid, extract_epochs

pytestmark = pytest.mark.classifier


@pytest.mark.parametrize("sfreq", [125.0, 160.0, 250.0, 500.0])
def test_windows_are_two_seconds_and_the_last_ends_at_the_epoch_end(sfreq):
    grid = WindowGrid.for_rate(sfreq)
    windows = EnsembleWindows.for_grid(grid)

    assert windows.length == 2 * sfreq
    np.testing.assert_array_equal(windows.starts, matlab_round(np.array(ENSEMBLE_STARTS_S) * sfreq))
    np.testing.assert_allclose(
        windows.end_ms, [2500.0, 3500.0, 4500.0, 5500.0, 6500.0, 7000.0], atol=500.0 / sfreq
    )
    assert grid.cue_index + windows.ends[-1] <= grid.epoch_length


def _plain_window_pipeline_decisions(windows, labels, train):
    csp = FilterBankCSP(n_pairs=2).fit(windows[train], labels[train])
    features = LogVariance().fit_transform(csp.transform(windows))
    return RLDA().fit(features[train], labels[train]).decision_function(features)


def test_cv_predictions_are_the_mean_decision_of_plain_per_window_estimators(synthetic, synthetic_result):
    result, ensemble = synthetic_result, synthetic_result.ensemble
    filtered = np.stack([filter_continuous(synthetic.data, band) for band in result.bands])
    epochs = extract_epochs(filtered, result.trial_samples, result.grid)
    labels = result.trial_labels
    offsets = result.grid.cue_index + ensemble.windows.starts
    for fold in range(6):
        test = result.folds == fold
        decisions = np.mean(
            [
                _plain_window_pipeline_decisions(
                    epochs[..., start : start + ensemble.windows.length], labels, ~test
                )
                for start in offsets
            ],
            axis=0,
        )
        np.testing.assert_array_equal(np.where(decisions[test] >= 0, 1, 2), ensemble.cv_predictions[test])
        assert ensemble.fold_accuracies[fold] == np.mean(ensemble.cv_predictions[test] == labels[test])


def test_moments_are_those_of_the_cut_windows(synthetic_result):
    rng = np.random.default_rng(0)
    grid = WindowGrid.for_rate(125.0)
    windows = EnsembleWindows.for_grid(grid)
    epochs = rng.normal(size=(3, 2, 4, grid.epoch_length))

    second, first = ensemble_moments(epochs, grid, windows)

    start = grid.cue_index + windows.starts[2]
    cut = epochs[..., start : start + windows.length]
    np.testing.assert_allclose(second[:, 2], cut @ np.swapaxes(cut, -1, -2))
    np.testing.assert_allclose(first[:, 2], cut.sum(axis=-1))


def test_moments_do_not_copy_the_epochs():
    # At 2048 Hz a 30-minute recording's epochs on 8 channels take over 1 GB; the six 2 s windows
    # cut at once were 1.2 times that again.
    grid = WindowGrid.for_rate(125.0)
    epochs = np.random.default_rng(0).normal(size=(40, 4, 8, grid.epoch_length))
    tracemalloc.start()
    try:
        ensemble_moments(epochs, grid, EnsembleWindows.for_grid(grid), centred=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.25 * epochs.nbytes


def test_the_single_window_choice_is_made_inside_each_outer_fold(synthetic_result):
    ensemble = synthetic_result.ensemble
    folds = np.arange(6)

    np.testing.assert_array_equal(
        ensemble.online_fold_accuracies, ensemble.window_fold_accuracy[ensemble.online_choices, folds]
    )
    assert ensemble.online_window == int(np.argmax(ensemble.window_fold_accuracy.mean(axis=1)))
    assert synthetic_result.online_model is ensemble.models[ensemble.online_window]


def test_a_clear_effect_is_found(synthetic_result):
    assert synthetic_result.nested_accuracy > 0.85
    assert synthetic_result.nested_accuracy == np.mean(synthetic_result.ensemble.fold_accuracies)


def test_without_class_information_the_ensemble_stays_near_chance():
    result = train(
        synthetic_recording(effect=0.0, seed=3), TrainingOptions(n_permutations=20, random_state=1)
    )
    assert result.nested_accuracy < 0.7
    assert result.permutation_p_value > 0.05

