"""How much of the analysis is held in memory at once: chunk sizes derived from one byte budget.

The time-resolved analysis never holds window moments of every window: it works through windows
in chunks whose moments, the models fitted on them and those models' features of every trial fit
`WORKING_BYTES`. Moments and models are counted in float64 values of a
``n_bands x n_channels x n_channels`` block (one window of one trial, or one model at one window);
features in float64 values per model, trial and window.
"""

from __future__ import annotations

from .cpus import worker_threads

#: Bytes the analysis' large temporary arrays may take at once (every worker thread together).
WORKING_BYTES = 384 * 1024**2
#: Models fitted per batch, the same for every channel count so that results do not depend on it.
MODEL_CHUNK = 12
#: Channel-covariance-sized arrays a fitted model keeps per window and band while it is fitted:
#: class means, their sum, Cholesky factor, whitening, whitened class 1, eigenvectors, CSP
#: matrix (8), plus the quadratic-form matrices of the 2m <= 6 filters (6) and slack (2).
MODEL_BLOCKS = 16
#: Copies of a window chunk's moments alive while it is analysed: the moments, their
#: trace-normalised copy and the trial-last copy for the feature product.
MOMENT_COPIES = 3
#: Feature-sized arrays (one value per model, trial, window and feature) a model chunk holds at once
#: while it ranks its features: the log-variance features, their masked and sorted copies and the two
#: quantisation indicators of `fbcsp.mutual_info`. With few channels they outweigh the moments.
FEATURE_COPIES = 5
#: Channel-covariance-sized temporaries per block of S samples while window moments are
#: accumulated (head and tail products, their sum, the cumulative sum).
BLOCK_TEMPORARIES = 4

_FLOAT_BYTES = 8


def block_bytes(n_bands: int, n_channels: int) -> int:
    """Bytes of one ``n_bands x n_channels x n_channels`` float64 block."""
    return n_bands * n_channels * n_channels * _FLOAT_BYTES


def windows_per_chunk(
    n_trials: int, n_bands: int, n_channels: int, n_features: int, budget: int = WORKING_BYTES
) -> int:
    """Windows analysed together so that moments, and a model chunk per worker thread
    (`worker_threads`) with its `n_features` features of every trial, fit `budget`.

    At least one window, whatever the budget.
    """
    models = worker_threads() * MODEL_CHUNK
    per_window = block_bytes(n_bands, n_channels) * (MOMENT_COPIES * n_trials + models * MODEL_BLOCKS) + (
        models * FEATURE_COPIES * n_trials * n_features * _FLOAT_BYTES
    )
    return max(1, budget // per_window)


def trials_per_pass(
    n_windows: int, blocks_per_window_range: int, n_bands: int, n_channels: int, budget: int = WORKING_BYTES
) -> int:
    """Trials whose window moments are accumulated together (at least one).

    Parameters
    ----------
    n_windows : int
        Windows in the range being accumulated.
    blocks_per_window_range : int
        Blocks of S samples the range spans.
    """
    per_trial = block_bytes(n_bands, n_channels) * (
        BLOCK_TEMPORARIES * blocks_per_window_range + 4 * n_windows
    )
    return max(1, budget // (2 * per_trial))
