"""MI ranking: the section 4.4 procedure against a literal histc implementation, and its quirks."""

import numpy as np
import pytest

from fbcsp.estimators import MutualInfoSelector
from fbcsp.mutual_info import mutual_information_scores, rank_features

pytestmark = pytest.mark.classifier


def literal_mi(values, labels, levels=3):
    """MI.m as described: 501-point grid, histc, cumulative edges, symbol offset, 1e-6 smoothing."""
    n = values.size
    low, high = values.min(), values.max()
    if low == high:
        edges = [0.0] * (levels - 1)
    else:
        grid = np.array([low + i * (high - low) / 500 for i in range(500)] + [high])
        counts = np.array([np.sum((values >= grid[i]) & (values < grid[i + 1])) for i in range(500)])
        counts = np.append(counts, np.sum(values == high))
        cumulative = np.cumsum(counts)
        edges = [grid[np.flatnonzero(cumulative > q * n / levels)[0]] for q in range(1, levels)]
    boundaries = [-np.inf, *edges, np.inf]
    symbols = np.array([1 + sum(b < x for b in boundaries) for x in values])
    n_symbols, n_labels = symbols.max(), labels.max()
    p_symbol = np.array([np.sum(symbols == s) / n for s in range(1, n_symbols + 1)]) + 1e-6
    p_label = np.array([np.sum(labels == c) / n for c in range(1, n_labels + 1)]) + 1e-6
    total = 0.0
    for s in range(1, n_symbols + 1):
        for c in range(1, n_labels + 1):
            joint = np.sum((symbols == s) & (labels == c)) / n + 1e-6
            total += joint * np.log2(joint / (p_symbol[s - 1] * p_label[c - 1]))
    return total


def scores_of(features, labels, mask=None):
    mask = np.ones(labels.size, dtype=bool) if mask is None else mask
    return mutual_information_scores(features[None, :, None, :], labels[None], mask[None])[0, 0]


def test_batched_scores_equal_the_literal_procedure():
    rng = np.random.default_rng(7)
    labels = np.repeat([1, 2], [13, 11])
    features = rng.normal(size=(24, 6)) + labels[:, None] * np.array([0, 0.5, 1, 2, 0, 0])
    features[:, 4] = np.round(features[:, 4])  # ties on grid points
    features[:, 5] = 1.5  # constant
    expected = [literal_mi(features[:, j], labels) for j in range(6)]
    np.testing.assert_allclose(scores_of(features, labels), expected, rtol=1e-12, atol=1e-15)


def test_training_mask_restricts_the_trials_used():
    rng = np.random.default_rng(8)
    labels = np.tile([1, 2], 15)
    features = rng.normal(size=(30, 3))
    mask = np.arange(30) % 3 != 0
    expected = [literal_mi(features[mask, j], labels[mask]) for j in range(3)]
    np.testing.assert_allclose(scores_of(features, labels, mask), expected, rtol=1e-12)


def test_separating_feature_ranks_first_and_constant_feature_scores_near_zero():
    rng = np.random.default_rng(9)
    labels = np.repeat([1, 2], 15)
    features = np.column_stack([rng.normal(size=30), np.full(30, 2.0), labels + 0.1 * rng.random(30)])
    scores = scores_of(features, labels)
    assert rank_features(scores)[0] == 2
    assert abs(scores[1]) < 1e-4
    assert scores[2] > 0.5


def test_ties_keep_the_lower_index():
    np.testing.assert_array_equal(rank_features(np.array([0.1, 0.3, 0.3, 0.2, 0.3])), [1, 2, 4, 3, 0])


def test_selector_keeps_the_top_k_in_rank_order():
    rng = np.random.default_rng(10)
    y = np.repeat(["a", "b"], 10)
    X = rng.normal(size=(20, 5))
    X[:, 3] += (y == "b") * 5
    selector = MutualInfoSelector(n_features=2).fit(X, y)
    assert selector.feature_ids_[0] == 3
    np.testing.assert_array_equal(selector.transform(X), X[:, selector.feature_ids_])
    with pytest.raises(ValueError, match="n_features"):
        MutualInfoSelector(n_features=6).fit(X, y)
