"""Trials holding a gross artifact are left out of every model's fit and still tested."""

import html
from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_recording

from fbcsp import report
from fbcsp.artifact_trials import ArtifactTrials, artifact_warnings
from fbcsp.metrics import metrics_document
from fbcsp.report import render_html
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions
from fbcsp.windows import WindowGrid

pytestmark = pytest.mark.classifier

GRID = WindowGrid.for_rate(125.0)
LABELS = np.repeat([1, 2], 12)


def _epochs(seed=0):
    return np.random.default_rng(seed).normal(size=(LABELS.size, 4, 3, GRID.epoch_length))


def test_only_a_trial_with_ten_times_the_median_power_after_the_cue_is_flagged():
    epochs = _epochs()
    epochs[3, 2, :, GRID.cue_index + 100 : GRID.cue_index + 400] *= 8.0  # one band, 2.4 s of 7 s: about 19x
    epochs[5, :, :, : GRID.cue_index] *= 30.0  # before the cue: not the trial's task
    epochs[7, 1, :, GRID.cue_index :] *= 2.5  # 6x: within a clean session's spread

    artifacts = ArtifactTrials.of(epochs, GRID, LABELS)

    assert np.flatnonzero(artifacts.flagged).tolist() == [3]
    assert artifacts.left_out and np.flatnonzero(~artifacts.fitted).tolist() == [3]
    assert 15 < artifacts.power_ratio[3] < 25 and 5 < artifacts.power_ratio[7] < 7


def test_artifacts_are_kept_when_leaving_them_out_would_take_over_a_quarter_of_a_class():
    epochs = _epochs()
    epochs[[0, 1, 2, 3], ..., GRID.cue_index :] *= 10.0  # 4 of the 12 T1 trials: only 67 % would be left

    artifacts = ArtifactTrials.of(epochs, GRID, LABELS)

    assert np.flatnonzero(artifacts.flagged).tolist() == [0, 1, 2, 3]
    assert not artifacts.left_out and artifacts.fitted.all()
    (warning,) = artifact_warnings(artifacts, np.arange(LABELS.size) * 10.0)
    assert warning.startswith("4 trial(s) hold an artifact: after the cues at 0.0 s (100x), 10.0 s (102x), 20.0 s")
    assert "They were kept in the fit, because leaving them out would leave a class with under 75 % of its" in warning


def _with_artifact(recording, trial):
    data = recording.data.copy()
    start = recording.event_samples[trial] + int(recording.sfreq)
    noise = np.random.default_rng(1).normal(scale=5e-4, size=(data.shape[0], int(2 * recording.sfreq)))
    data[:, start : start + noise.shape[1]] += noise
    return replace(recording, data=data)


@pytest.mark.slow
def test_a_trial_with_an_artifact_is_tested_but_the_models_are_fitted_as_without_it():
    recording = synthetic_recording(n_channels=5, effect=4.0, seed=3)
    moved = _with_artifact(recording, trial=9)
    others = np.arange(recording.event_samples.size) != 9
    without = replace(
        recording, event_samples=recording.event_samples[others], event_codes=recording.event_codes[others]
    )
    options = TrainingOptions(n_permutations=3)

    result, reference = train(moved, options), train(without, options)

    assert np.flatnonzero(result.artifacts.flagged).tolist() == [9] and result.artifacts.left_out
    assert result.ensemble.cv_predictions.size == recording.event_samples.size  # still tested
    assert result.nested_accuracy > result.chance_level
    for model, reference_model in zip(result.exported_models, reference.exported_models, strict=True):
        np.testing.assert_allclose(model.model.filters, reference_model.model.filters, rtol=1e-8)
        np.testing.assert_allclose(model.model.weights, reference_model.model.weights, rtol=1e-8)
    trials = metrics_document(result)["trials"]
    assert trials["artifactsLeftOutOfFitting"] is True
    assert np.flatnonzero(np.array(trials["artifactPowerRatio"]) > 10).tolist() == [9]
    (warning,) = artifact_warnings(result.artifacts, result.trial_samples / result.sfreq)
    assert "Every model was fitted without them, and they still count in every accuracy." in warning
    page = render_html(result, {}, {}, report.FIGURES, report.FIGURES_DIR)
    assert f'<p class="warning">{html.escape(warning)}</p>' in page


@pytest.mark.slow
def test_the_original_rule_fits_every_trial_as_the_original_does_and_warns():
    recording = synthetic_recording(n_channels=5, effect=4.0, seed=3)

    result = train(_with_artifact(recording, trial=9), TrainingOptions(n_permutations=0, selection="original"))

    assert np.flatnonzero(result.artifacts.flagged).tolist() == [9]
    assert not result.artifacts.left_out and result.artifacts.fitted.all()
    (warning,) = artifact_warnings(result.artifacts, result.trial_samples / result.sfreq)
    assert "They were kept in the fit, because --selection original fits every trial, as the original does" in warning
    assert metrics_document(result)["trials"]["artifactsLeftOutOfFitting"] is False


@pytest.mark.slow
def test_a_clean_recording_flags_nothing_and_warns_of_nothing():
    result = train(synthetic_recording(n_channels=4, seed=2), TrainingOptions(n_permutations=0))

    assert not result.artifacts.flagged.any() and result.artifacts.fitted.all()
    assert artifact_warnings(result.artifacts, result.trial_samples / result.sfreq) == []
