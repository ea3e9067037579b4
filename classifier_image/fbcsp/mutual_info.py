"""Mutual-information feature ranking with the quirks of the original ``MI.m`` (spec section 4.4).

Per feature, over the training trials: a 501-point grid from min to max; the q-th edge
(q = 1..Q-1, Q = 3) is the grid point of the first histogram bin whose cumulative count exceeds
``q N / Q``; a value x gets symbol ``1 + #(edges < x)`` with edges ``[-inf, e1, e2, +inf]``, so
symbols are 2..Q+1 and symbol 1 is part of the alphabet but never occurs. The alphabet runs to
the largest symbol observed. Probabilities are ``count / N + 1e-6`` (marginals and joint), and
``I = sum M log2(M / (p_symbol p_label))`` over the whole alphabet. Features are ranked by I
descending with a stable sort (ties keep the lower index). A constant feature gets edges 0, 0.

Grid points are ``min + i (max - min) / 500`` with the last one exactly max; the bin search is
done on the sorted training values, so no histogram is materialised.
"""

from __future__ import annotations

import numpy as np

QUANTISATION_LEVELS = 3
GRID_INTERVALS = 500
SMOOTHING = 1e-6


def _edge_values(sorted_values: np.ndarray, n_train: np.ndarray) -> np.ndarray:
    """Quantisation edges e_1..e_{Q-1}; sorted_values (..., T) has the training values first."""
    last = np.take_along_axis(sorted_values, (n_train - 1)[..., None], axis=-1)[..., 0]
    low = sorted_values[..., 0]
    step = (last - low) / GRID_INTERVALS
    constant = step == 0
    safe_step = np.where(constant, 1.0, step)
    edges = []
    for q in range(1, QUANTISATION_LEVELS):
        # first bin i whose cumulative count #(x < grid[i+1]) exceeds qN/Q: the bin where the
        # (floor(qN/Q)+1)-th smallest value lies; the edge is that bin's left grid point.
        rank = np.floor(q * n_train / QUANTISATION_LEVELS).astype(np.int64)
        pivot = np.take_along_axis(sorted_values, rank[..., None], axis=-1)[..., 0]
        index = np.clip(np.floor((pivot - low) / safe_step), 0, GRID_INTERVALS)

        def grid(i, low=low, last=last, safe_step=safe_step):
            return np.where(i >= GRID_INTERVALS, last, low + i * safe_step)

        index = np.where((index + 1 <= GRID_INTERVALS) & (grid(index + 1) <= pivot), index + 1, index)
        index = np.where((index >= 1) & (grid(index) > pivot), index - 1, index)
        edges.append(np.where(constant, 0.0, grid(index)))
    return np.stack(edges, axis=-1)


def mutual_information_scores(features: np.ndarray, labels: np.ndarray, train_mask: np.ndarray) -> np.ndarray:
    """MI of each feature with the two-class label, for many training subsets at once.

    Parameters
    ----------
    features : ndarray, shape (n_models, n_trials, n_windows, n_features)
    labels : ndarray of int, shape (n_models, n_trials) or (n_trials,)
        Labels 1..L (per model, so permuted labels can share one batch); the label alphabet
        runs to the largest training label, as in ``MI.m``.
    train_mask : ndarray of bool, shape (n_models, n_trials)
        Trials each model trains on.

    Returns
    -------
    ndarray, shape (n_models, n_windows, n_features)
        Mutual information in bits.
    """
    labels = np.broadcast_to(labels, train_mask.shape)
    values = np.moveaxis(features, 1, -1)  # (M, K, D, T)
    masked = np.where(train_mask[:, None, None, :], values, np.inf)
    sorted_values = np.sort(masked, axis=-1)
    n_train = train_mask.sum(axis=1)
    edges = _edge_values(sorted_values, np.broadcast_to(n_train[:, None, None], sorted_values.shape[:-1]))
    above_first = (values > edges[..., 0:1]).astype(np.float64)
    above_second = (values > edges[..., 1:2]).astype(np.float64)

    n_labels = int(np.max(np.where(train_mask, labels, 0)))
    class_weights = np.stack([train_mask & (labels == label) for label in range(1, n_labels + 1)], axis=-1)
    class_weights = class_weights.astype(np.float64)
    class_counts = class_weights.sum(axis=1)  # (M, L)
    n_above_first = above_first @ class_weights[:, None]  # (M, K, D, L)
    n_above_second = above_second @ class_weights[:, None]
    counts = np.stack(
        [
            np.zeros_like(n_above_first),
            class_counts[:, None, None, :] - n_above_first,
            n_above_first - n_above_second,
            n_above_second,
        ],
        axis=-2,
    )  # (M, K, D, symbol 1..4, label 1..L)
    symbol_totals = counts.sum(axis=-1)
    highest_symbol = np.where(symbol_totals[..., 3] > 0, 4, np.where(symbol_totals[..., 2] > 0, 3, 2))
    in_alphabet = np.arange(1, QUANTISATION_LEVELS + 2) <= highest_symbol[..., None]

    n_total = n_train[:, None, None, None].astype(np.float64)
    p_symbol = symbol_totals / n_total + SMOOTHING
    p_label = class_counts[:, None, None, :] / n_train[:, None, None, None] + SMOOTHING
    joint = counts / n_total[..., None] + SMOOTHING
    terms = joint * np.log2(joint / (p_symbol[..., :, None] * p_label[..., None, :]))
    return np.sum(np.where(in_alphabet[..., None], terms, 0.0), axis=(-2, -1))


def rank_features(scores: np.ndarray) -> np.ndarray:
    """Feature indices by decreasing score, stable (ties keep the lower index); along the last axis."""
    return np.argsort(-scores, axis=-1, kind="stable")
