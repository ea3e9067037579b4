"""train() on the bundled real session S001 (8 channels, 160 Hz, 45 cues)."""

import numpy as np
import pytest
from test_training import assert_online_reproduction

from fbcsp.training import TrainingOptions, train

pytestmark = pytest.mark.classifier

OPTIONS = TrainingOptions(n_permutations=0)


@pytest.fixture(scope="module")
def sample_result(sample_recording):
    return train(sample_recording, OPTIONS)


def test_sample_geometry_and_trials(sample_result):
    assert sample_result.grid.n_windows == 241
    assert sample_result.csp_pairs == 3 and len(sample_result.options) == 4
    assert sample_result.trial_labels.size + sample_result.n_dropped_trials == 45
    assert sample_result.model.filters.shape == (4, 6, 8)


def test_sample_accuracy_is_clearly_above_chance(sample_result):
    # measured: selection 0.824, nested 0.620, chance 0.523 (44 trials with a complete epoch)
    assert sample_result.chance_level < 0.55
    assert sample_result.selection_accuracy >= 0.75
    assert sample_result.nested_accuracy >= 0.55
    assert sample_result.selection.stats["task_mean"] >= 75.0


def test_sample_training_is_deterministic(sample_recording, sample_result):
    again = train(sample_recording, OPTIONS)
    np.testing.assert_array_equal(again.fold_accuracy, sample_result.fold_accuracy)
    np.testing.assert_array_equal(again.model.weights, sample_result.model.weights)
    np.testing.assert_array_equal(again.model.filters, sample_result.model.filters)
    np.testing.assert_array_equal(again.nested_fold_accuracies, sample_result.nested_fold_accuracies)
    assert again.selection == sample_result.selection


def test_sample_training_predictions_are_reproduced_from_the_exported_model(sample_recording, sample_result):
    assert_online_reproduction(sample_recording, sample_result)
