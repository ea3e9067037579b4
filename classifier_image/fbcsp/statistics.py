"""The few statistical functions of metrics and selection, on ``scipy.special`` instead of ``scipy.stats``.

Why: import time counts in the container's wall time (issue 14 section 5). On one CPU, after
numpy, importing ``scipy.stats`` takes about 0.85 s and ``scipy.special`` about 0.2 s (most of it
scipy's array-API layer, which ``scipy.linalg`` loads too). These are the only computations the run
needs from ``scipy.stats``. Each function does scipy.stats' arithmetic in the same order, so the
results are the same to the last bit (scipy 1.17's ``binom.isf``, ``rankdata``, ``ttest_rel`` and
``ttest_ind``; tests/classifier/test_statistics.py compares them). `runs_test`, for the report's
blocked-order warning, has no scipy counterpart. `binomial_chance_threshold` is here rather than in
``metrics`` because the report's warnings use it and ``metrics`` lists those warnings in the manifest.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import special

from .recording import CLASS_LABELS

#: Significance level of the chance threshold.
CHANCE_ALPHA = 0.05


def binomial_inverse_survival(alpha: float, n_trials: int, probability: float) -> int:
    """Smallest count x with ``P(X > x) <= alpha`` for X ~ Binomial(n_trials, probability).

    As ``scipy.stats.binom.isf(alpha, n_trials, probability)`` for 0 < alpha < 1.
    """
    exceedance = special.bdtrc(np.arange(n_trials + 1), n_trials, probability)
    return int(np.argmax(exceedance <= alpha))


@cache
def binomial_chance_threshold(n_trials: int, n_classes: int = len(CLASS_LABELS), alpha: float = CHANCE_ALPHA) -> float:
    """Smallest accuracy k/n whose chance of being reached by guessing is at most `alpha`.

    Guessing is Binomial(n, 1/n_classes); k is the smallest count with ``P(X >= k) <= alpha``.
    """
    count = binomial_inverse_survival(alpha, n_trials, 1.0 / n_classes) + 1
    return count / n_trials


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of finite `values`, ties sharing their mean rank (``scipy.stats.rankdata``'s default)."""
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_group = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    group_starts = np.flatnonzero(starts_group)
    group_ends = np.append(group_starts[1:], values.size)
    # a group at sorted positions start..end-1 holds ranks start+1..end
    group_ranks = (group_starts + group_ends + 1) / 2.0
    ranks = np.empty(values.size)
    ranks[order] = group_ranks[np.cumsum(starts_group) - 1]
    return ranks


def _sample_variance(values: np.ndarray) -> float:
    """Variance with ddof=1 as scipy.stats computes it: mean squared deviation times n / (n - 1)."""
    deviations = values - np.mean(values)
    return np.mean(deviations**2) * (values.size / (values.size - 1))


def _t_less_p(mean_difference: float, standard_error: float, degrees_of_freedom: float) -> float:
    """P(T <= t) for Student's t; t is +-inf or NaN when the standard error is zero, as in scipy."""
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.divide(mean_difference, standard_error)
    return float(special.stdtr(degrees_of_freedom, statistic))


def paired_t_less_p(first: np.ndarray, second: np.ndarray) -> float:
    """One-sided p-value (H1: mean of first - second < 0) of the paired t-test.

    As ``scipy.stats.ttest_rel(first, second, alternative="less").pvalue``: NaN for fewer than two
    pairs, and NaN propagates from the values.
    """
    differences = np.asarray(first, dtype=np.float64) - np.asarray(second, dtype=np.float64)
    n_pairs = differences.size
    if n_pairs < 2:
        return float("nan")
    standard_error = np.sqrt(_sample_variance(differences) / n_pairs)
    return _t_less_p(np.mean(differences), standard_error, n_pairs - 1)


def pooled_t_less_p(first: np.ndarray, second: np.ndarray) -> float:
    """One-sided p-value (H1: mean of first < mean of second) of the two-sample pooled-variance t-test.

    As ``scipy.stats.ttest_ind(first, second, alternative="less").pvalue``: NaN when a sample is
    empty or there are no degrees of freedom, a one-value sample adds no variance, and NaN
    propagates from the values.
    """
    first, second = np.asarray(first, dtype=np.float64), np.asarray(second, dtype=np.float64)
    n_first, n_second = first.size, second.size
    degrees_of_freedom = n_first + n_second - 2.0
    if min(n_first, n_second) == 0 or degrees_of_freedom == 0:
        return float("nan")
    first_variance = _sample_variance(first) if n_first > 1 else 0.0
    second_variance = _sample_variance(second) if n_second > 1 else 0.0
    pooled_variance = ((n_first - 1) * first_variance + (n_second - 1) * second_variance) / degrees_of_freedom
    standard_error = np.sqrt(pooled_variance * (1.0 / n_first + 1.0 / n_second))
    return _t_less_p(np.mean(first) - np.mean(second), standard_error, degrees_of_freedom)


def runs_test(labels: np.ndarray) -> tuple[int, float, float]:
    """Wald-Wolfowitz runs test of a two-valued sequence: runs, their expected number, and z.

    z is negative when the values come in longer runs than a random order gives (a blocked
    design) and NaN when the sequence holds one value only.
    """
    labels = np.asarray(labels)
    runs = 1 + int(np.count_nonzero(labels[1:] != labels[:-1])) if labels.size else 0
    values = np.unique(labels)
    if values.size != 2:
        return runs, float("nan"), float("nan")
    n = labels.size
    first = int(np.count_nonzero(labels == values[0]))
    second = n - first
    expected = 1 + 2 * first * second / n
    variance = 2 * first * second * (2 * first * second - n) / (n * n * (n - 1))
    return runs, expected, float((runs - expected) / np.sqrt(variance))
