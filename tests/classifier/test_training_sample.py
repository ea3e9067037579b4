"""train() on the bundled real session S001 (8 channels, 160 Hz, 45 cues)."""

import numpy as np
import pytest
from test_training import assert_online_reproduction

from fbcsp.training import train
from fbcsp.training_options import TrainingOptions

pytestmark = pytest.mark.classifier

# The shared ``trained_sample`` ran label permutations too; they are seeded apart and change no model.
OPTIONS = TrainingOptions(n_permutations=0)


def test_sample_geometry_and_trials(trained_sample):
    assert trained_sample.grid.n_windows == 241
    assert trained_sample.csp_pairs == 3 and len(trained_sample.options) == 4
    assert trained_sample.trial_labels.size + trained_sample.n_dropped_trials == 45
    assert trained_sample.model.filters.shape == (4, 6, 8)


def test_sample_accuracy_is_clearly_above_chance(trained_sample):
    # measured: selection 0.824, nested 0.620, chance 0.523 (44 trials with a complete epoch)
    assert trained_sample.chance_level < 0.55
    assert trained_sample.selection_accuracy >= 0.75
    assert trained_sample.nested_accuracy >= 0.55
    assert trained_sample.selection.stats["task_mean"] >= 75.0


def test_sample_training_is_deterministic(sample_recording, trained_sample):
    again = train(sample_recording, OPTIONS)
    np.testing.assert_array_equal(again.fold_accuracy, trained_sample.fold_accuracy)
    np.testing.assert_array_equal(again.model.weights, trained_sample.model.weights)
    np.testing.assert_array_equal(again.model.filters, trained_sample.model.filters)
    np.testing.assert_array_equal(again.nested_fold_accuracies, trained_sample.nested_fold_accuracies)
    assert again.selection == trained_sample.selection


def test_sample_training_predictions_are_reproduced_from_the_exported_model(sample_recording, trained_sample):
    assert_online_reproduction(sample_recording, trained_sample)
