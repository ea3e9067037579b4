"""MATLAB rounding and chronological per-class fold blocks (spec section 8)."""

import numpy as np
import pytest

from fbcsp.folds import chronological_folds, fold_masks, matlab_round

pytestmark = pytest.mark.classifier


def test_matlab_round_goes_half_away_from_zero():
    np.testing.assert_array_equal(matlab_round(np.array([0.5, 1.5, 2.5, -2.5, 15.5])), [1, 2, 3, -3, 16])
    assert matlab_round(0.125, 2) == pytest.approx(0.13)
    assert matlab_round(-0.00125, 4) == pytest.approx(-0.0013)


def test_thirty_trials_per_class_give_blocks_of_five():
    labels = np.repeat([1, 2], 30)
    folds = chronological_folds(labels, 6)
    np.testing.assert_array_equal(folds[:30], np.repeat(np.arange(6), 5))
    np.testing.assert_array_equal(folds[30:], np.repeat(np.arange(6), 5))
    assert fold_masks(folds, 6).sum(axis=1).tolist() == [10] * 6


def test_thirty_one_trials_give_5_5_6_5_5_5():
    folds = chronological_folds(np.ones(31, dtype=int), 6)
    assert np.bincount(folds).tolist() == [5, 5, 6, 5, 5, 5]
    assert np.all(np.diff(folds) >= 0)


def test_interleaved_classes_keep_chronological_blocks_per_class():
    labels = np.array([1, 2, 2, 1, 1, 2, 1, 2, 1, 2, 2, 1])
    folds = chronological_folds(labels, 3)
    np.testing.assert_array_equal(folds[labels == 1], [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(folds[labels == 2], [0, 0, 1, 1, 2, 2])
