"""The time-resolved analysis: one FBCSP model per (training subset, window), all at once.

A "model" here is a training subset of the trials (an outer fold, an inner fold, or the same
fold under permuted labels). For every model and every window this fits Lotte CSP per band,
log-variance features, the MI ranking and RLDA for each feature count K, and returns the
decision values of every trial. Work is batched over models, windows and bands; models are
processed in chunks to bound memory.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .csp import class_mean_covariances, lotte_csp, select_filters, trace_normalised
from .features import batched_log_variance
from .mutual_info import mutual_information_scores, rank_features
from .rlda import decision_values, fit_rlda, predict_labels

#: Models fitted per batch; bounds peak memory (about 15 MB per model for 45 trials x 241
#: windows x 24 features) while keeping the batches large enough to be fast.
MODEL_CHUNK = 12
#: Chunks fitted concurrently.
WORKER_THREADS = min(2, os.cpu_count() or 1)


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
) -> tuple[np.ndarray, np.ndarray]:
    """Test accuracy and decisions of many models.

    Same parameters as `fit_window_models`, plus ``test_mask`` (n_models, n_trials): the trials
    each model is scored on. Models are fitted `MODEL_CHUNK` at a time and only their decision
    values are kept.

    Returns
    -------
    accuracy : ndarray, shape (n_models, n_options, n_windows)
    decision : ndarray, shape (n_models, n_options, n_windows, n_trials)
    """
    labels = np.broadcast_to(labels, train_mask.shape)

    def decide(start: int) -> np.ndarray:
        chunk = slice(start, start + MODEL_CHUNK)
        return fit_window_models(
            second, first, n_times, labels[chunk], train_mask[chunk], n_pairs, feature_counts
        ).decision

    # numpy releases the GIL inside its linear algebra and array loops, so threads use both cores.
    with ThreadPoolExecutor(max_workers=WORKER_THREADS) as pool:
        decision = np.concatenate(list(pool.map(decide, range(0, train_mask.shape[0], MODEL_CHUNK))), axis=0)
    return test_accuracies(decision, labels, test_mask), decision
