"""Regularised LDA with Ledoit-Wolf class covariances (Lotte's ``RLDA_Train.m``), batched.

Per class the covariance is the Ledoit-Wolf shrinkage of the biased sample covariance toward
``mean(diag(S)) I`` (identical to ``sklearn.covariance.ledoit_wolf``); the two are averaged
without class weights, ``w = pinv(Sigma) (mu1 - mu2)``, ``a0 = -(mu1 + mu2) . w / 2``.
The decision value is ``s = a0 + w . x`` and ``s >= 0`` predicts the first class (T1).
"""

from __future__ import annotations

import numpy as np


def _class_moments(features: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, biased covariance and ``sum_t x_ti^2 x_tj^2 / n`` of the centred members of one class.

    features (M, T, K, D); weights (M, T) with 1 on the class members.
    """
    counts = weights.sum(axis=1)[:, None, None]
    mean = np.einsum("mt,mtkd->mkd", weights, features) / counts
    centred = (features - mean[:, None]) * np.sqrt(weights)[:, :, None, None]
    centred_t = np.moveaxis(centred, 1, -1)  # (M, K, D, T)
    covariance = centred_t @ np.swapaxes(centred_t, -1, -2) / counts[..., None]
    squared = centred_t**2
    fourth = squared @ np.swapaxes(squared, -1, -2) / counts[..., None]
    return mean, covariance, fourth


def ledoit_wolf_from_moments(covariance: np.ndarray, fourth: np.ndarray, n_samples) -> np.ndarray:
    """Ledoit-Wolf shrunk covariance from centred moments (sklearn's formulas).

    Parameters
    ----------
    covariance : ndarray, shape (..., p, p)
        Biased covariance ``X^T X / n`` of centred data X.
    fourth : ndarray, shape (..., p, p)
        ``(X**2)^T (X**2) / n``.
    n_samples : int or ndarray broadcastable to the batch shape
        n.

    Returns
    -------
    ndarray, shape (..., p, p)
    """
    n_features = covariance.shape[-1]
    n_samples = np.asarray(n_samples, dtype=np.float64)
    trace = np.trace(covariance, axis1=-2, axis2=-1)
    mu = trace / n_features
    squared_sum = np.sum(covariance**2, axis=(-2, -1))
    beta = (np.sum(fourth, axis=(-2, -1)) - squared_sum) / (n_features * n_samples)
    delta = (squared_sum - 2.0 * mu * trace + n_features * mu**2) / n_features
    beta = np.minimum(beta, delta)
    shrinkage = np.where(beta == 0, 0.0, beta / np.where(delta == 0, 1.0, delta))
    identity = np.eye(n_features)
    return (1.0 - shrinkage)[..., None, None] * covariance + (shrinkage * mu)[..., None, None] * identity


def pseudo_inverse_solve(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """``pinv(A) b`` for a batch of symmetric matrices.

    The shrunk covariances are positive definite (shrinkage toward ``mu I``) except in
    degenerate cases, and then ``pinv(A) b`` equals ``solve(A, b)``, which is several times
    faster; a singular batch falls back to the pseudo-inverse with MATLAB's tolerance
    (``max(size) eps(norm)``).

    Parameters
    ----------
    matrices : ndarray, shape (..., p, p)
    vectors : ndarray, shape (..., p)

    Returns
    -------
    ndarray, shape (..., p)
    """
    try:
        return np.linalg.solve(matrices, vectors[..., None])[..., 0]
    except np.linalg.LinAlgError:
        size = matrices.shape[-1]
        inverse = np.linalg.pinv(matrices, rcond=size * np.finfo(np.float64).eps, hermitian=True)
        return (inverse @ vectors[..., None])[..., 0]


def fit_rlda(
    features: np.ndarray, labels: np.ndarray, train_mask: np.ndarray, feature_counts: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Fit RLDA on the leading K features for several K, many models and windows at once.

    Parameters
    ----------
    features : ndarray, shape (n_models, n_trials, n_windows, n_features)
        Features already in the order in which the first K are kept.
    labels : ndarray of int, shape (n_models, n_trials) or (n_trials,)
        1 (first class) or 2.
    train_mask : ndarray of bool, shape (n_models, n_trials)
        Each class needs at least two training trials.
    feature_counts : tuple of int
        The K values.

    Returns
    -------
    a0 : ndarray, shape (n_models, n_windows, n_counts)
    weights : ndarray, shape (n_models, n_windows, n_counts, max(feature_counts))
        Zero-padded beyond each K.
    """
    labels = np.broadcast_to(labels, train_mask.shape)
    n_models, _, n_windows, _ = features.shape
    moments = []
    for label in (1, 2):
        members = (train_mask & (labels == label)).astype(np.float64)
        moments.append((members.sum(axis=1)[:, None], *_class_moments(features, members)))
    widest = max(feature_counts)
    a0 = np.empty((n_models, n_windows, len(feature_counts)))
    weights = np.zeros((n_models, n_windows, len(feature_counts), widest))
    for index, count in enumerate(feature_counts):
        shrunk = [
            ledoit_wolf_from_moments(cov[..., :count, :count], fourth[..., :count, :count], n)
            for n, _, cov, fourth in moments
        ]
        pooled = (shrunk[0] + shrunk[1]) / 2.0
        mean1, mean2 = moments[0][1][..., :count], moments[1][1][..., :count]
        w = pseudo_inverse_solve(pooled, mean1 - mean2)
        a0[..., index] = -0.5 * np.sum((mean1 + mean2) * w, axis=-1)
        weights[..., index, :count] = w
    return a0, weights


def decision_values(features: np.ndarray, a0: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``s = a0 + w . x`` for every model, window, K and trial.

    Parameters
    ----------
    features : ndarray, shape (n_models, n_trials, n_windows, n_features)
        In the same order as used for fitting.
    a0 : ndarray, shape (n_models, n_windows, n_counts)
    weights : ndarray, shape (n_models, n_windows, n_counts, max_count)

    Returns
    -------
    ndarray, shape (n_models, n_counts, n_windows, n_trials)
    """
    leading = features[..., : weights.shape[-1]]
    scores = np.einsum("mtkd,mkod->mokt", leading, weights)
    return scores + np.moveaxis(a0, -1, 1)[..., None]


def predict_labels(decision: np.ndarray) -> np.ndarray:
    """1 (T1) where the decision value is >= 0, else 2."""
    return np.where(decision >= 0, 1, 2)
