"""Option and window selection from fold accuracies, and the reference-vs-task statistics (spec section 5).

Per option the fold accuracies (folds x windows) are summarised as ``round(100 mean, 4)`` and
``round(100 std(ddof=0), 4)`` (MATLAB rounding, NaN-skipping as the NaN toolbox does); the
smoothed curves average each fold over windows ``k-h .. k+h`` truncated at the edges.

* Smoothed task peak: over the task windows, each option's best smoothed mean; the options
  reaching the overall best are candidates; for each, among its task windows at that mean the
  minimal smoothed sd, then the lowest index; between candidates the lower sd, then the lower
  option.
* Raw task peak (the exported window): within ``smooth peak +- h`` (clipped to the window
  range, not to the task windows, as in the original), the highest raw mean, then the minimal
  raw sd, then the lowest index.
* The same two steps over the reference windows, for the selected option.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import numpy as np

from .folds import matlab_round
from .statistics import average_ranks, paired_t_less_p, pooled_t_less_p
from .windows import WindowGrid


@dataclass(frozen=True)
class SelectionResult:
    """The selected option and windows.

    Attributes
    ----------
    option_id : int
        1-based option (1 = A01 ...).
    task_window, smooth_task_window, ref_window, smooth_ref_window : int
        0-based window indices: raw (exported) and smoothed task peaks, raw and smoothed
        reference peaks.
    stats : dict of str to float
        Percent accuracies over folds at the peaks and p-values, keys:
        ``ref_mean, ref_std, task_mean, task_std`` (raw windows, std with ddof=1),
        ``ttest_p`` (paired t-test, one-sided, H1 ref < task), ``ttest2_p`` (two-sample
        pooled-variance t-test, one-sided), ``wilcoxon_p`` (signed-rank, two-sided, exact),
        and the same with prefix ``smooth_`` at the smoothed peaks. A p-value is NaN when the
        test is undefined (e.g. identical fold accuracies at both windows).
    """

    option_id: int
    task_window: int
    smooth_task_window: int
    ref_window: int
    smooth_ref_window: int
    stats: dict[str, float]


def smooth_over_windows(fold_accuracy: np.ndarray, half_width: int) -> np.ndarray:
    """NaN-skipping mean over windows ``k-h .. k+h`` (truncated at the edges), along the last axis."""
    valid = np.isfinite(fold_accuracy)
    values = np.where(valid, fold_accuracy, 0.0)
    n_windows = fold_accuracy.shape[-1]
    pad = [(0, 0)] * (fold_accuracy.ndim - 1) + [(1, 0)]
    value_sums = np.pad(np.cumsum(values, axis=-1), pad)
    count_sums = np.pad(np.cumsum(valid, axis=-1), pad)
    index = np.arange(n_windows)
    low = np.maximum(index - half_width, 0)
    high = np.minimum(index + half_width, n_windows - 1) + 1
    counts = count_sums[..., high] - count_sums[..., low]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (value_sums[..., high] - value_sums[..., low]) / counts


def fold_summary(fold_accuracy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rounded percent mean and sd (ddof=0) over folds (axis -2), NaN-skipping."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(fold_accuracy, axis=-2)
        sd = np.nanstd(fold_accuracy, axis=-2)
    return matlab_round(100.0 * mean, 4), matlab_round(100.0 * sd, 4)


def _peak(means: np.ndarray, sds: np.ndarray, candidates: np.ndarray) -> int:
    """Among candidate windows: highest mean, then lowest sd, then lowest index."""
    candidate_means = means[candidates]
    best = candidates[candidate_means == np.nanmax(candidate_means)]
    return int(best[np.argmin(sds[best])])


def _neighbourhood(window: int, half_width: int, n_windows: int) -> np.ndarray:
    return np.arange(max(0, window - half_width), min(n_windows - 1, window + half_width) + 1)


def best_smoothed_accuracy(
    fold_accuracy: np.ndarray, task_windows: np.ndarray, half_width: int
) -> np.ndarray:
    """The selection statistic: best smoothed task-window fold-mean accuracy over options, as a fraction.

    Parameters
    ----------
    fold_accuracy : ndarray, shape (..., n_options, n_folds, n_windows)
    task_windows : ndarray of int
        Indices of the task windows along the last axis.
    half_width : int
        Smoothing half-width h in windows.

    Returns
    -------
    ndarray, shape (...)
    """
    smooth_mean, _ = fold_summary(smooth_over_windows(fold_accuracy, half_width))
    return np.nanmax(smooth_mean[..., task_windows], axis=(-2, -1)) / 100.0


def choose_option_and_window(fold_accuracy: np.ndarray, grid: WindowGrid) -> tuple[int, int, int]:
    """Selected option index (0-based), smoothed task peak and raw task peak.

    Parameters
    ----------
    fold_accuracy : ndarray, shape (n_options, n_folds, n_windows)
    grid : WindowGrid
    """
    half_width = grid.smoothing_half_width
    mean, sd = fold_summary(fold_accuracy)
    smooth_mean, smooth_sd = fold_summary(smooth_over_windows(fold_accuracy, half_width))
    task = grid.task_windows
    best_per_option = np.nanmax(smooth_mean[:, task], axis=1)
    candidates = np.flatnonzero(best_per_option == np.nanmax(best_per_option))
    peaks = [_peak(smooth_mean[option], smooth_sd[option], task) for option in candidates]
    # lowest smoothed sd wins; argmin keeps the lower option on ties
    chosen = int(np.argmin([smooth_sd[option, peak] for option, peak in zip(candidates, peaks, strict=True)]))
    option, smooth_peak = int(candidates[chosen]), peaks[chosen]
    raw_peak = _peak(mean[option], sd[option], _neighbourhood(smooth_peak, half_width, grid.n_windows))
    return option, smooth_peak, raw_peak


def signrank_exact_p(first: np.ndarray, second: np.ndarray) -> float:
    """Two-sided exact Wilcoxon signed-rank p-value, as MATLAB's ``signrank`` for small samples.

    Zero differences are dropped, tied absolute differences get average ranks, and the null
    distribution of the positive-rank sum is enumerated over all sign assignments of those
    ranks (so ties are handled exactly). ``p = min(1, 2 min(P(W <= w), P(W >= w)))``; 1.0 when
    every difference is zero.
    """
    differences = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    differences = differences[np.isfinite(differences) & (differences != 0)]
    if differences.size == 0:
        return 1.0
    ranks = average_ranks(np.abs(differences))
    observed = ranks[differences > 0].sum()
    signs = np.array(list(itertools.product((0.0, 1.0), repeat=differences.size)))
    null = signs @ ranks
    tolerance = 1e-9
    lower = np.mean(null <= observed + tolerance)
    upper = np.mean(null >= observed - tolerance)
    return float(min(1.0, 2.0 * min(lower, upper)))


def _comparison(reference: np.ndarray, task: np.ndarray, prefix: str) -> dict[str, float]:
    reference, task = 100.0 * reference, 100.0 * task
    paired = np.isfinite(reference) & np.isfinite(task)
    # a fold without test trials is NaN; numpy warns where no value (mean) or one (sd) is left, and NaN is right
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        summary = {
            f"{prefix}ref_mean": float(np.nanmean(reference)),
            f"{prefix}ref_std": float(np.nanstd(reference, ddof=1)),
            f"{prefix}task_mean": float(np.nanmean(task)),
            f"{prefix}task_std": float(np.nanstd(task, ddof=1)),
        }
    return summary | {
        f"{prefix}ttest_p": paired_t_less_p(reference[paired], task[paired]),
        f"{prefix}ttest2_p": pooled_t_less_p(reference[paired], task[paired]),
        f"{prefix}wilcoxon_p": signrank_exact_p(reference[paired], task[paired]),
    }


def select_model(fold_accuracy: np.ndarray, grid: WindowGrid) -> SelectionResult:
    """Select the option and windows from outer-fold accuracies and compute the statistics.

    Parameters
    ----------
    fold_accuracy : ndarray, shape (n_options, n_folds, n_windows)
        Fractions 0..1 (NaN for a fold without test trials).
    grid : WindowGrid

    Returns
    -------
    SelectionResult
    """
    half_width = grid.smoothing_half_width
    option, smooth_task, raw_task = choose_option_and_window(fold_accuracy, grid)
    accuracy = fold_accuracy[option]
    smoothed = smooth_over_windows(accuracy, half_width)
    mean, sd = fold_summary(accuracy)
    smooth_mean, smooth_sd = fold_summary(smoothed)
    smooth_ref = _peak(smooth_mean, smooth_sd, grid.ref_windows)
    raw_ref = _peak(mean, sd, _neighbourhood(smooth_ref, half_width, grid.n_windows))
    statistics = _comparison(accuracy[:, raw_ref], accuracy[:, raw_task], "")
    statistics.update(_comparison(smoothed[:, smooth_ref], smoothed[:, smooth_task], "smooth_"))
    return SelectionResult(
        option_id=option + 1,
        task_window=raw_task,
        smooth_task_window=smooth_task,
        ref_window=raw_ref,
        smooth_ref_window=smooth_ref,
        stats=statistics,
    )
