"""train(): interface, agreement with a plain per-window estimator loop, errors, honest estimates."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import signal
from synthetic import synthetic_recording

from fbcsp.errors import InsufficientData
from fbcsp.estimators import RLDA, FilterBankCSP, LogVariance, MutualInfoSelector
from fbcsp.evaluation import outer_and_inner_masks
from fbcsp.filterbank import filter_continuous
from fbcsp.recording import Recording
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions, available_options
from fbcsp.windows import extract_epochs

pytestmark = pytest.mark.classifier

NO_PERMUTATIONS = TrainingOptions(n_permutations=0)


def test_every_result_field_has_the_documented_shape(synthetic, synthetic_result):
    result = synthetic_result
    n_trials, n_folds, n_windows = 24, 6, result.grid.n_windows
    n_channels, m = 4, 2
    n_features = 4 * 2 * m
    assert result.ch_names == synthetic.ch_names and result.sfreq == 125.0
    assert [band.band_id for band in result.bands] == [3, 4, 5, 6]
    assert result.csp_pairs == m
    assert [(o.option_id, o.name, o.n_features) for o in result.options] == [
        (1, "A01", 4),
        (2, "A02", 6),
        (3, "A03", 8),
        (4, "A04", 10),
    ]
    assert result.trial_labels.shape == result.trial_samples.shape == result.folds.shape == (n_trials,)
    assert result.n_dropped_trials == 0
    assert result.fold_accuracy.shape == (4, n_folds, n_windows)
    assert np.all((result.fold_accuracy >= 0) & (result.fold_accuracy <= 1))
    model = result.model
    option = result.options[result.selection.option_id - 1]
    assert model.band_ids == (3, 4, 5, 6)
    assert model.csp_matrices.shape == (4, n_channels, n_channels)
    assert model.filters.shape == (4, 2 * m, n_channels)
    assert model.feature_ranking.shape == model.mi_weights.shape == (n_features,)
    assert sorted(model.feature_ranking.tolist()) == list(range(n_features))
    np.testing.assert_array_equal(model.feature_ids, model.feature_ranking[: option.n_features])
    assert model.weights.shape == (option.n_features,) and isinstance(model.a0, float)
    assert result.training_predictions.shape == result.cv_predictions.shape == (n_trials,)
    assert set(np.unique(result.cv_predictions)) <= {1, 2}
    assert result.nested_fold_accuracies.shape == (n_folds,)
    assert result.chance_level == 0.5
    assert result.permutation_p_value is None and result.n_permutations == 0
    assert 0 <= result.selection.task_window < n_windows


def test_a_clear_effect_is_found_in_the_task_interval(synthetic_result):
    result = synthetic_result
    assert result.selection_accuracy >= 0.9
    assert result.nested_accuracy >= 0.8
    assert 500 <= result.grid.end_ms[result.selection.smooth_task_window] <= 5000


def test_cv_predictions_reproduce_the_fold_accuracies(synthetic_result):
    result = synthetic_result
    option, window = result.selection.option_id - 1, result.selection.task_window
    correct = result.cv_predictions == result.trial_labels
    per_fold = [correct[result.folds == fold].mean() for fold in range(6)]
    np.testing.assert_allclose(per_fold, result.fold_accuracy[option, :, window])
    assert result.selection_accuracy == pytest.approx(np.mean(per_fold))


def test_batched_accuracies_equal_a_plain_loop_of_the_estimators(synthetic, synthetic_result):
    result = synthetic_result
    filtered = np.stack([filter_continuous(synthetic.data, band) for band in result.bands])
    epochs = extract_epochs(filtered, result.trial_samples, result.grid)
    labels = result.trial_labels
    for window in (result.grid.ref_windows[3], result.selection.task_window, result.grid.n_windows - 1):
        windows = epochs[..., result.grid.window_slice(int(window))]
        for fold in range(6):
            test = result.folds == fold
            for option_index, option in enumerate(result.options):
                pipeline_steps = [
                    FilterBankCSP(n_pairs=result.csp_pairs, centred=result.selection_mode == "default"),
                    LogVariance(),
                    MutualInfoSelector(n_features=option.n_features),
                    RLDA(),
                ]
                features = windows[~test]
                for step in pipeline_steps[:-1]:
                    features = step.fit(features, labels[~test]).transform(features)
                classifier = pipeline_steps[-1].fit(features, labels[~test])
                test_features = windows[test]
                for step in pipeline_steps[:-1]:
                    test_features = step.transform(test_features)
                accuracy = np.mean(classifier.predict(test_features) == labels[test])
                assert accuracy == pytest.approx(result.fold_accuracy[option_index, fold, window])


def test_an_electrode_offset_changes_nothing_in_the_default_procedure(synthetic, synthetic_result):
    # a DC-coupled amplifier's offsets (here up to 0.2 V) leak through the band-pass filters' 60 dB
    # stopband at ten times the EEG; CSP on each window's covariance about its mean ignores them
    offsets = np.linspace(-0.2, 0.2, synthetic.n_channels)[:, None]
    offset = train(replace(synthetic, data=synthetic.data + offsets), TrainingOptions(n_permutations=0))

    assert offset.nested_accuracy == synthetic_result.nested_accuracy
    assert offset.online_nested_accuracy == synthetic_result.online_nested_accuracy
    for with_offset, without in zip(offset.ensemble.models, synthetic_result.ensemble.models, strict=True):
        np.testing.assert_allclose(with_offset.model.filters, without.model.filters, rtol=1e-6, atol=1e-9)


def test_training_predictions_are_what_an_online_consumer_computes(synthetic, synthetic_result):
    assert_online_reproduction(synthetic, synthetic_result)


def assert_online_reproduction(recording, result):
    """Filter causally with the exported taps, cut the selected window, ln var, a0 + w . f[ids]."""
    model, grid = result.model, result.grid
    start = result.trial_samples + grid.pre + result.selection.task_window * grid.step
    features = []
    for band, filters in zip(result.bands, model.filters, strict=True):
        highpassed = signal.lfilter(band.highpass, 1, recording.data, axis=1)
        filtered = signal.lfilter(band.lowpass, 1, highpassed, axis=1)
        windows = np.stack([filtered[:, s : s + grid.window] for s in start])
        features.append(np.log(np.var(filters @ windows, axis=-1, ddof=1)))
    scores = model.a0 + np.concatenate(features, axis=1)[:, model.feature_ids] @ model.weights
    np.testing.assert_array_equal(np.where(scores >= 0, 1, 2), result.training_predictions)


def test_nested_masks_train_and_test_inside_each_outer_training_set():
    labels = np.repeat([1, 2], [13, 11])
    folds, train_masks, test_masks = outer_and_inner_masks(labels, 6)
    assert train_masks.shape == test_masks.shape == (42, 24)
    for outer in range(6):
        outer_train = folds != outer
        rows = slice(6 + 6 * outer, 12 + 6 * outer)
        inner_train, inner_test = train_masks[rows], test_masks[rows]
        assert not np.any((inner_train | inner_test) & ~outer_train)
        np.testing.assert_array_equal(inner_test.sum(axis=0), outer_train.astype(int))
        assert not np.any(inner_train & inner_test)


def test_without_class_information_nested_accuracy_is_not_inflated():
    result = train(synthetic_recording(effect=0.0, seed=3), NO_PERMUTATIONS)
    assert result.selection_accuracy > result.nested_accuracy
    assert result.nested_accuracy < 0.7


@pytest.mark.slow
def test_permutation_p_value_is_small_for_a_clear_effect_and_deterministic(synthetic):
    options = TrainingOptions(n_permutations=3, random_state=7)
    first, second = train(synthetic, options), train(synthetic, options)
    assert first.permutation_p_value == pytest.approx(1 / 4)
    assert first.permutation_p_value == second.permutation_p_value
    assert first.n_permutations == 3


@pytest.mark.slow
def test_progress_reports_each_stage_on_one_line(synthetic):
    lines = []
    train(synthetic, TrainingOptions(n_permutations=1), progress=lines.append)
    stages = ("filtering", "time-resolved", "selecting", "nested", "window ensemble", "permutation")
    assert len(lines) == len(stages)
    for line, stage in zip(lines, stages, strict=True):
        assert stage in line and "\n" not in line


def test_incomplete_epochs_are_dropped_and_counted(synthetic):
    cropped = Recording(
        data=synthetic.data[:, : synthetic.event_samples[-1] + 600],
        sfreq=synthetic.sfreq,
        ch_names=synthetic.ch_names,
        event_samples=synthetic.event_samples,
        event_codes=synthetic.event_codes,
    )
    result = train(cropped, NO_PERMUTATIONS)
    assert result.n_dropped_trials == 1
    np.testing.assert_array_equal(result.trial_samples, synthetic.event_samples[:-1])


def test_one_class_or_too_few_trials_raise_insufficient_data():
    with pytest.raises(InsufficientData, match="class T2 has 0 trial"):
        train(synthetic_recording(trials_per_class=(8, 0)), NO_PERMUTATIONS)
    with pytest.raises(InsufficientData, match="class T1 has 4 trial.*at least 6 are needed for 6-fold"):
        train(synthetic_recording(trials_per_class=(4, 8)), NO_PERMUTATIONS)


def test_options_follow_the_feature_count():
    assert [o.n_features for o in available_options(8)] == [4, 6, 8]  # 3 channels: m = 1
    assert [o.n_features for o in available_options(24)] == [4, 6, 8, 10]
    assert [o.n_features for o in available_options(6)] == [4, 6]


def test_three_channels_at_160_hz_train_with_one_filter_pair():
    result = train(synthetic_recording(n_channels=3, sfreq=160.0), NO_PERMUTATIONS)
    assert result.csp_pairs == 1 and len(result.options) == 3
    assert result.grid.n_windows == 241
    assert result.model.filters.shape == (4, 2, 3)
