"""Log-variance features of spatially filtered windows, computed from window moments.

For a window E (channels x W samples) and filters F, feature ``ln var(F E, ddof=1)`` equals
``ln((diag(F S F^T) - (F s)^2 / W) / (W - 1))`` with ``S = E E^T`` and ``s = E 1``; working from
(S, s) lets every window of every trial share one pass over the data.
"""

from __future__ import annotations

import numpy as np

from .windows import moments_of_windows


def batched_log_variance(
    second: np.ndarray, first: np.ndarray, n_times: int, filters: np.ndarray
) -> np.ndarray:
    """Log-variances of projections for many filter sets and trials at once.

    Parameters
    ----------
    second : ndarray, shape (n_trials, n_windows, n_bands, n_channels, n_channels)
        Window sums of ``x x^T``.
    first : ndarray, shape (n_trials, n_windows, n_bands, n_channels)
        Window sums of ``x``.
    n_times : int
        Samples per window W.
    filters : ndarray, shape (n_models, n_windows, n_bands, n_filters, n_channels)
        Spatial filters of each model at each window and band.

    Returns
    -------
    ndarray, shape (n_models, n_trials, n_windows, n_bands * n_filters)
        Band-major: all filters of the first band, then the next band, ...
    """
    n_models, n_windows, n_bands, n_filters, n_channels = filters.shape
    n_trials = second.shape[0]
    # vec(F^T F) . vec(S) gives diag(F S F^T) as one matrix product per (window, band).
    outer = np.einsum("mkbpc,mkbpd->kbmpcd", filters, filters, order="C").reshape(
        n_windows * n_bands, n_models * n_filters, n_channels * n_channels
    )
    moments = np.moveaxis(second, 0, -1).reshape(n_windows * n_bands, n_channels * n_channels, n_trials)
    quadratic = outer @ moments
    stacked_filters = np.moveaxis(filters, 0, 2).reshape(
        n_windows * n_bands, n_models * n_filters, n_channels
    )
    linear = stacked_filters @ np.moveaxis(first, 0, -1).reshape(n_windows * n_bands, n_channels, n_trials)
    variance = (quadratic - linear**2 / n_times) / (n_times - 1)
    variance = variance.reshape(n_windows, n_bands, n_models, n_filters, n_trials)
    features = np.log(variance).transpose(2, 4, 0, 1, 3)
    return features.reshape(n_models, n_trials, n_windows, n_bands * n_filters)


def log_variance_features(windows: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """``ln var(F E, ddof=1)`` per band and filter, band-major.

    Parameters
    ----------
    windows : ndarray, shape (n_trials, n_bands, n_channels, W)
    filters : ndarray, shape (n_bands, 2m, n_channels)

    Returns
    -------
    ndarray, shape (n_trials, n_bands * 2m)
    """
    second, first = moments_of_windows(np.asarray(windows, dtype=np.float64))
    features = batched_log_variance(second[:, None], first[:, None], windows.shape[-1], filters[None, None])
    return features[0, :, 0]
