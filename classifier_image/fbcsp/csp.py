"""Common Spatial Patterns as in Lotte's RCSP toolbox (``learnCSP.m``), batched.

Per trial the window's second-moment matrix is divided by its trace (no mean removal); the
class means C1 (first class, T1) and C2 are whitened by their sum and the whitened C1 is
diagonalised. Rows of the CSP matrix are spatial filters, sorted by decreasing eigenvalue, so
the first rows maximise the variance ratio first class / second class and the last rows
minimise it.
"""

from __future__ import annotations

import numpy as np


def trace_normalised(second: np.ndarray) -> np.ndarray:
    """Divide each ``E E^T`` matrix by its trace.

    Parameters
    ----------
    second : ndarray, shape (..., n_channels, n_channels)

    Returns
    -------
    ndarray, same shape
    """
    return second / np.trace(second, axis1=-2, axis2=-1)[..., None, None]


def lotte_csp(class1_cov: np.ndarray, class2_cov: np.ndarray) -> np.ndarray:
    """CSP matrices from mean trace-normalised class covariances.

    Lotte's ``learnCSP`` whitens ``Cc = C1 + C2`` with ``P = diag(l^-1/2) U^T`` and returns
    ``U1^T P`` where ``U1`` holds the eigenvectors of ``P C1 P^T`` sorted by decreasing
    eigenvalue. Any whitening gives the same rows up to sign (each row w is the generalised
    eigenvector with ``w Cc w^T = 1`` and ``w C1 w^T`` = its eigenvalue); this uses the
    Cholesky factor ``Cc = L L^T``, ``P = L^-1``, which halves the eigen-decompositions. Signs of
    eigenvectors are arbitrary in MATLAB too, and log-variance features do not depend on them.

    Parameters
    ----------
    class1_cov, class2_cov : ndarray, shape (..., n_channels, n_channels)
        Mean trace-normalised covariance of each class; any leading batch shape.

    Returns
    -------
    ndarray, shape (..., n_channels, n_channels)
        Rows are spatial filters, by decreasing class-1 variance share.

    Raises
    ------
    numpy.linalg.LinAlgError
        When ``C1 + C2`` is singular (linearly dependent channels).
    """
    lower = np.linalg.cholesky(class1_cov + class2_cov)
    identity = np.broadcast_to(np.eye(lower.shape[-1]), lower.shape)
    whitening = np.linalg.solve(lower, identity)
    whitened_class1 = whitening @ class1_cov @ np.swapaxes(whitening, -1, -2)
    _, rotation = np.linalg.eigh(whitened_class1)
    return np.swapaxes(rotation[..., ::-1], -1, -2) @ whitening


def select_filters(csp_matrices: np.ndarray, n_pairs: int) -> np.ndarray:
    """The first and last `n_pairs` rows of each CSP matrix (or of anything with a row per CSP
    component, such as the patterns).

    Parameters
    ----------
    csp_matrices : ndarray, shape (..., n_components, n_channels)
    n_pairs : int

    Returns
    -------
    ndarray, shape (..., 2 * n_pairs, n_channels)
    """
    n_components = csp_matrices.shape[-2]
    rows = np.r_[0:n_pairs, n_components - n_pairs : n_components]
    return csp_matrices[..., rows, :]


def csp_pairs_for_channels(n_channels: int) -> int:
    """Filter pairs m per band: 1 below 4 channels, 2 for 4 or 5, 3 otherwise (spec section 4)."""
    if n_channels < 4:
        return 1
    if n_channels <= 5:
        return 2
    return 3


def class_mean_covariances(normalised: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted means of trace-normalised covariances over trials, for many trial subsets at once.

    Parameters
    ----------
    normalised : ndarray, shape (n_trials, ...)
        Trace-normalised covariances of every trial.
    weights : ndarray, shape (n_subsets, n_trials)
        Rows sum to one (``1 / n`` on the subset's trials of one class, 0 elsewhere).

    Returns
    -------
    ndarray, shape (n_subsets, ...)
    """
    flat = normalised.reshape(normalised.shape[0], -1)
    return (weights @ flat).reshape((weights.shape[0],) + normalised.shape[1:])
