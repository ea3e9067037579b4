"""Honest accuracy estimates: nested cross-validation, chance level and the permutation p-value.

* Selection accuracy (the original's number) is the fold-mean accuracy at the option and window
  that were chosen by looking at those same folds, so it is optimistic.
* Nested accuracy redoes the whole choice inside each outer training set: its trials are split
  into the same kind of chronological per-class folds, the option/window selection of
  `fbcsp.selection` runs on those inner accuracies, and the outer fold's model (trained on all
  of its training trials) is scored on the outer test trials at the inner choice. The nested
  accuracy is the mean of these outer-fold accuracies.
* Chance level is the majority-class rate.
* The permutation p-value shuffles the labels, rebuilds the folds from the shuffled labels,
  reruns the time-resolved analysis and takes the selection statistic (best smoothed
  task-window fold-mean accuracy over options); ``p = (1 + #{perm >= observed}) / (1 + n)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .folds import chronological_folds, fold_masks
from .selection import best_smoothed_accuracy, choose_option_and_window
from .time_resolved import grid_accuracies
from .windows import WindowGrid

#: Permutations analysed per batch (each adds n_folds models).
PERMUTATION_CHUNK = 4


def outer_and_inner_masks(labels: np.ndarray, n_folds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training and test masks of the outer folds followed by every outer fold's inner folds.

    Parameters
    ----------
    labels : ndarray of int, shape (n_trials,)
    n_folds : int

    Returns
    -------
    folds : ndarray of int, shape (n_trials,)
        Outer test fold of each trial.
    train_masks, test_masks : ndarray of bool, shape (n_folds + n_folds**2, n_trials)
        Rows ``0..F-1``: outer folds; rows ``F + o F + i``: inner fold i of outer fold o
        (training and testing only on outer fold o's training trials).
    """
    folds = chronological_folds(labels, n_folds)
    outer_test = fold_masks(folds, n_folds)
    train_masks, test_masks = [~outer_test], [outer_test]
    for outer_train in ~outer_test:
        members = np.flatnonzero(outer_train)
        inner_test = np.zeros((n_folds, labels.size), dtype=bool)
        inner_test[:, members] = fold_masks(chronological_folds(labels[members], n_folds), n_folds)
        train_masks.append(outer_train & ~inner_test)
        test_masks.append(inner_test)
    return folds, np.concatenate(train_masks), np.concatenate(test_masks)


def nested_fold_accuracies(
    outer_accuracy: np.ndarray, inner_accuracy: np.ndarray, grid: WindowGrid
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outer-fold accuracy at the option and window chosen on each outer fold's inner folds.

    Parameters
    ----------
    outer_accuracy : ndarray, shape (n_options, n_folds, n_windows)
    inner_accuracy : ndarray, shape (n_folds, n_options, n_inner_folds, n_windows)
    grid : WindowGrid

    Returns
    -------
    accuracies : ndarray, shape (n_folds,)
    options : ndarray of int, shape (n_folds,)
        0-based option chosen per outer fold.
    windows : ndarray of int, shape (n_folds,)
        Raw task-peak window chosen per outer fold.
    """
    choices = [choose_option_and_window(inner, grid) for inner in inner_accuracy]
    options = np.array([option for option, _, _ in choices])
    windows = np.array([window for _, _, window in choices])
    accuracies = outer_accuracy[options, np.arange(len(choices)), windows]
    return accuracies, options, windows


def chance_level(labels: np.ndarray) -> float:
    """Majority-class rate of the labels."""
    return float(np.max(np.unique(labels, return_counts=True)[1]) / labels.size)


def permuted_fold_models(
    labels: np.ndarray, n_folds: int, n_permutations: int, random_state: int, fitted_trials: np.ndarray
) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """Outer-fold models of label permutations, `PERMUTATION_CHUNK` permutations at a time.

    Each permutation shuffles the labels (``np.random.default_rng(random_state)``) and rebuilds
    the chronological folds from the shuffled labels.

    Yields
    ------
    count : int
        Permutations in this chunk.
    model_labels : ndarray of int, shape (count * n_folds, n_trials)
        Each permutation's labels, once per fold model.
    train, test : ndarray of bool, shape (count * n_folds, n_trials)
        Training and test trials of each fold model: the training trials are the other folds'
        `fitted_trials` (`fbcsp.artifact_trials`).
    """
    rng = np.random.default_rng(random_state)
    for start in range(0, n_permutations, PERMUTATION_CHUNK):
        count = min(PERMUTATION_CHUNK, n_permutations - start)
        shuffled = np.stack([rng.permutation(labels) for _ in range(count)])
        test = np.concatenate([fold_masks(chronological_folds(row, n_folds), n_folds) for row in shuffled])
        yield count, np.repeat(shuffled, n_folds, axis=0), ~test & fitted_trials, test


def permutation_statistics(
    epochs: np.ndarray,
    grid: WindowGrid,
    labels: np.ndarray,
    n_folds: int,
    n_pairs: int,
    feature_counts: tuple[int, ...],
    n_permutations: int,
    random_state: int,
    fitted_trials: np.ndarray,
) -> np.ndarray:
    """Selection statistic under `n_permutations` label permutations.

    Only the windows the statistic can depend on (task windows and their smoothing
    neighbours) are analysed.

    Returns
    -------
    ndarray, shape (n_permutations,)
    """
    half_width = grid.smoothing_half_width
    first_window = max(0, int(grid.task_windows[0]) - half_width)
    last_window = min(grid.n_windows, int(grid.task_windows[-1]) + half_width + 1)
    task_windows = grid.task_windows - first_window
    statistics = []
    permutations = permuted_fold_models(labels, n_folds, n_permutations, random_state, fitted_trials)
    for count, model_labels, train, test in permutations:
        accuracy, _ = grid_accuracies(
            epochs, grid, model_labels, train, test, n_pairs, feature_counts,
            windows=np.arange(first_window, last_window), keep_decisions=False,
        )
        per_permutation = accuracy.reshape(count, n_folds, *accuracy.shape[1:]).swapaxes(1, 2)
        statistics.append(best_smoothed_accuracy(per_permutation, task_windows, half_width))
    return np.concatenate(statistics) if statistics else np.empty(0)


def permutation_p_value(observed: float, permuted: np.ndarray) -> float:
    """``(1 + #{permuted >= observed}) / (1 + n)``; values within 1e-12 of `observed` count as equal."""
    return float((1 + np.sum(permuted >= observed - 1e-12)) / (1 + permuted.size))
