"""MATLAB-compatible rounding and the chronological per-class cross-validation folds."""

from __future__ import annotations

import numpy as np


def matlab_round(values, decimals: int = 0):
    """Round half away from zero, as MATLAB's ``round`` does (numpy rounds half to even).

    Parameters
    ----------
    values : float or ndarray
    decimals : int
        Digits after the decimal point.

    Returns
    -------
    float or ndarray
        Same shape as `values`.
    """
    scale = 10.0**decimals
    return np.sign(values) * np.floor(np.abs(values) * scale + 0.5) / scale


def chronological_folds(labels: np.ndarray, n_folds: int) -> np.ndarray:
    """Assign trials to test folds in contiguous chronological blocks per class.

    For a class with ``n_c`` trials (in chronological order), fold ``f`` (1-based) tests its
    trials ``round((f-1) n_c / F) + 1 .. round(f n_c / F)`` (1-based, MATLAB rounding); the
    test blocks of both classes form the fold. No shuffling.

    Parameters
    ----------
    labels : ndarray of int, shape (n_trials,)
        Class of each trial, in chronological order.
    n_folds : int

    Returns
    -------
    ndarray of int, shape (n_trials,)
        0-based test fold of each trial.
    """
    labels = np.asarray(labels)
    folds = np.empty(labels.shape[0], dtype=np.int64)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        boundaries = matlab_round(np.arange(n_folds + 1) * members.size / n_folds).astype(np.int64)
        folds[members] = np.searchsorted(boundaries, np.arange(members.size), side="right") - 1
    return folds


def fold_masks(folds: np.ndarray, n_folds: int) -> np.ndarray:
    """Test-fold membership as a boolean matrix of shape (n_folds, n_trials)."""
    return np.asarray(folds)[None, :] == np.arange(n_folds)[:, None]
