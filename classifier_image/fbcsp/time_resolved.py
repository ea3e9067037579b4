"""The time-resolved analysis: one FBCSP model per (training subset, window), all at once.

A "model" here is a training subset of the trials (an outer fold, an inner fold, or the same
fold under permuted labels). For every model and every window this fits Lotte CSP per band,
log-variance features, the MI ranking and RLDA for each feature count K, and returns the
decision values of every trial. Work is batched over models, windows and bands; windows and
models are processed in chunks sized from a memory budget (`fbcsp.budget`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .budget import MODEL_CHUNK, windows_per_chunk
from .cpus import worker_threads
from .csp import class_mean_covariances, lotte_csp, select_filters, trace_normalised
from .features import batched_log_variance
from .mutual_info import mutual_information_scores, rank_features
from .rlda import decision_values, fit_rlda, predict_labels
from .windows import WindowGrid, window_moments


@dataclass(frozen=True)
class WindowModels:
    """Fitted parameters and decision values of many models at many windows.

    Attributes
    ----------
    csp_matrices : ndarray, shape (n_models, n_windows, n_bands, n_channels, n_channels)
    filters : ndarray, shape (n_models, n_windows, n_bands, 2m, n_channels)
    mi_scores : ndarray, shape (n_models, n_windows, n_features)
        MI of each feature (indexed by feature).
    ranking : ndarray of int, shape (n_models, n_windows, n_features)
        Feature indices by decreasing MI (stable).
    a0 : ndarray, shape (n_models, n_windows, n_options)
    weights : ndarray, shape (n_models, n_windows, n_options, max K)
        RLDA weights on ``ranking[..., :K]``, zero-padded.
    decision : ndarray, shape (n_models, n_options, n_windows, n_trials)
        ``s = a0 + w . x`` of every trial (training and test).
    """

    csp_matrices: np.ndarray
    filters: np.ndarray
    mi_scores: np.ndarray
    ranking: np.ndarray
    a0: np.ndarray
    weights: np.ndarray
    decision: np.ndarray


def class_weights(labels: np.ndarray, train_mask: np.ndarray, label: int) -> np.ndarray:
    """Averaging weights (M, T): ``1 / n`` on each model's training trials of `label`."""
    members = (train_mask & (labels == label)).astype(np.float64)
    return members / members.sum(axis=1, keepdims=True)


def fit_window_models(
    second: np.ndarray,
    first: np.ndarray,
    n_times: int,
    labels: np.ndarray,
    train_mask: np.ndarray,
    n_pairs: int,
    feature_counts: tuple[int, ...],
) -> WindowModels:
    """Fit every model at every window.

    Parameters
    ----------
    second : ndarray, shape (n_trials, n_windows, n_bands, n_channels, n_channels)
    first : ndarray, shape (n_trials, n_windows, n_bands, n_channels)
        Window moments (see `fbcsp.windows.window_moments`).
    n_times : int
        Window length W in samples.
    labels : ndarray of int, shape (n_trials,) or (n_models, n_trials)
        1 = T1, 2 = T2.
    train_mask : ndarray of bool, shape (n_models, n_trials)
    n_pairs : int
        CSP filter pairs m.
    feature_counts : tuple of int
        K of each option.

    Returns
    -------
    WindowModels
    """
    labels = np.broadcast_to(labels, train_mask.shape)
    normalised = trace_normalised(second)
    class1_cov = class_mean_covariances(normalised, class_weights(labels, train_mask, 1))
    class2_cov = class_mean_covariances(normalised, class_weights(labels, train_mask, 2))
    csp_matrices = lotte_csp(class1_cov, class2_cov)
    filters = select_filters(csp_matrices, n_pairs)
    features = batched_log_variance(second, first, n_times, filters)
    mi_scores = mutual_information_scores(features, labels, train_mask)
    ranking = rank_features(mi_scores)
    ranked = np.take_along_axis(features, ranking[:, None], axis=-1)
    a0, weights = fit_rlda(ranked, labels, train_mask, feature_counts)
    return WindowModels(
        csp_matrices=csp_matrices,
        filters=filters,
        mi_scores=mi_scores,
        ranking=ranking,
        a0=a0,
        weights=weights,
        decision=decision_values(ranked, a0, weights),
    )


def test_accuracies(decision: np.ndarray, labels: np.ndarray, test_mask: np.ndarray) -> np.ndarray:
    """Fraction of each model's test trials classified correctly.

    Parameters
    ----------
    decision : ndarray, shape (n_models, n_options, n_windows, n_trials)
    labels : ndarray of int, shape (n_trials,) or (n_models, n_trials)
    test_mask : ndarray of bool, shape (n_models, n_trials)

    Returns
    -------
    ndarray, shape (n_models, n_options, n_windows)
        NaN for a model without test trials.
    """
    labels = np.broadcast_to(labels, test_mask.shape)
    correct = predict_labels(decision) == labels[:, None, None, :]
    n_test = test_mask.sum(axis=1).astype(np.float64)
    hits = np.einsum("mokt,mt->mok", correct.astype(np.float64), test_mask.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / n_test[:, None, None]


def time_resolved_accuracies(
    second: np.ndarray,
    first: np.ndarray,
    n_times: int,
    labels: np.ndarray,
    train_mask: np.ndarray,
    test_mask: np.ndarray,
    n_pairs: int,
    feature_counts: tuple[int, ...],
    keep_decisions: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Test accuracy and decisions of many models on window moments held in memory.

    Same parameters as `fit_window_models`, plus ``test_mask`` (n_models, n_trials): the trials
    each model is scored on. Models are fitted `MODEL_CHUNK` at a time on `fbcsp.cpus.worker_threads`
    threads and only their decision values (or, with ``keep_decisions=False``, only their
    accuracies) are kept.

    Returns
    -------
    accuracy : ndarray, shape (n_models, n_options, n_windows)
    decision : ndarray, shape (n_models, n_options, n_windows, n_trials), or None
    """
    labels = np.broadcast_to(labels, train_mask.shape)

    def decide(start: int) -> tuple[np.ndarray, np.ndarray | None]:
        chunk = slice(start, start + MODEL_CHUNK)
        decision = fit_window_models(
            second, first, n_times, labels[chunk], train_mask[chunk], n_pairs, feature_counts
        ).decision
        accuracy = test_accuracies(decision, labels[chunk], test_mask[chunk])
        return accuracy, (decision if keep_decisions else None)

    # numpy releases the GIL inside its linear algebra and array loops, so threads use every core.
    pool = ThreadPoolExecutor(max_workers=worker_threads())
    try:
        fitted = list(pool.map(decide, range(0, train_mask.shape[0], MODEL_CHUNK)))
    finally:
        # Every chunk is done unless something interrupted the fits (SIGTERM stopping the task,
        # fbcsp.container): then the chunks in flight are not waited for.
        pool.shutdown(wait=False, cancel_futures=True)
    accuracy = np.concatenate([accuracy for accuracy, _ in fitted])
    return accuracy, (np.concatenate([decision for _, decision in fitted]) if keep_decisions else None)


def window_groups(windows: np.ndarray, span: int) -> list[np.ndarray]:
    """Split sorted window indices into consecutive groups, each lying within `span` windows."""
    groups, begin = [], 0
    for position in range(1, windows.size + 1):
        if position == windows.size or windows[position] - windows[begin] >= span:
            groups.append(windows[begin:position])
            begin = position
    return groups


def grid_accuracies(
    epochs: np.ndarray,
    grid: WindowGrid,
    labels: np.ndarray,
    train_mask: np.ndarray,
    test_mask: np.ndarray,
    n_pairs: int,
    feature_counts: tuple[int, ...],
    windows: np.ndarray | None = None,
    keep_decisions: bool = True,
    centred: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """`time_resolved_accuracies` on the windows of the grid, in bounded memory.

    Windows are analysed in chunks sized by `fbcsp.budget.windows_per_chunk`: each chunk's
    window moments are accumulated from the epochs, its models fitted, and only decisions (or
    accuracies) are kept, so the moments of every window never exist at once.

    Parameters
    ----------
    epochs : ndarray, shape (n_trials, n_bands, n_channels, epoch_length)
        Filtered epochs (see `fbcsp.training_epochs.filtered_epochs`).
    grid : WindowGrid
    labels, train_mask, test_mask, n_pairs, feature_counts, keep_decisions
        As for `time_resolved_accuracies`.
    windows : ndarray of int, optional
        Sorted window indices to analyse (default: every window).
    centred : bool
        CSP on each window's covariance about its mean (`fbcsp.windows.centre_moments`); False is
        the spec's ``E E^T``.

    Returns
    -------
    accuracy : ndarray, shape (n_models, n_options, n_windows)
    decision : ndarray, shape (n_models, n_options, n_windows, n_trials), or None
    """
    windows = np.arange(grid.n_windows) if windows is None else np.asarray(windows)
    n_trials, n_bands, n_channels, _ = epochs.shape
    accuracies, decisions = [], []
    chunk = windows_per_chunk(n_trials, n_bands, n_channels, n_bands * 2 * n_pairs)
    for group in window_groups(windows, chunk):
        second, first = window_moments(epochs, grid, int(group[0]), int(group[-1]) + 1, centred)
        if group.size < second.shape[1]:
            second, first = second[:, group - group[0]], first[:, group - group[0]]
        accuracy, decision = time_resolved_accuracies(
            second, first, grid.window, labels, train_mask, test_mask, n_pairs, feature_counts, keep_decisions
        )
        del second, first
        accuracies.append(accuracy)
        decisions.append(decision)
    accuracy = np.concatenate(accuracies, axis=2)
    return accuracy, (np.concatenate(decisions, axis=2) if keep_decisions else None)
