"""fbcsp.statistics against scipy.stats, its oracle: the same results to the last bit, without warnings."""

import warnings

import numpy as np
import pytest
from scipy import stats

from fbcsp.statistics import (
    average_ranks,
    binomial_inverse_survival,
    paired_t_less_p,
    pooled_t_less_p,
    runs_test,
)

pytestmark = pytest.mark.classifier

SEEDS = range(60)
SIZES = range(13)


def quietly(function, *args):
    """The oracle's result; scipy warns on small or constant samples."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return function(*args)


def strictly(function, *args):
    """Our result; a warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args)


def fold_accuracies(rng: np.random.Generator, size: int) -> np.ndarray:
    """Percent accuracies of 7-trial folds: many ties, zero differences and constant samples."""
    return 100.0 * rng.integers(0, 8, size) / 7


def sample_pairs():
    """Seeded pairs of samples of every small size, on the fold-accuracy grid and continuous."""
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for size in SIZES:
            yield fold_accuracies(rng, size), fold_accuracies(rng, size)
            yield rng.normal(60.0, 10.0, size), rng.normal(65.0, 10.0, size)


EDGE_PAIRS = [
    ([], []),
    ([50.0], [60.0]),
    ([50.0, 60.0], [55.0, 70.0]),
    ([50.0, 50.0, 50.0], [50.0, 50.0, 50.0]),  # zero differences, constant samples: t = nan
    ([50.0, 50.0, 50.0], [60.0, 60.0, 60.0]),  # constant shift: t = -inf
    ([60.0, 60.0, 60.0], [50.0, 50.0, 50.0]),  # t = +inf
    ([40.0, 50.0, 60.0], [50.0, 60.0, 70.0]),  # constant differences: paired t = -inf
    ([40.0, np.nan, 60.0], [50.0, 60.0, 70.0]),
]


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.05, 0.01])
@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_binomial_inverse_survival_equals_scipy_for_every_trial_count(alpha, n_classes):
    probability = 1.0 / n_classes
    trial_counts = np.arange(2001)
    expected = stats.binom.isf(alpha, trial_counts, probability)
    ours = [binomial_inverse_survival(alpha, int(n), probability) for n in trial_counts]
    np.testing.assert_array_equal(ours, expected)


def test_binomial_inverse_survival_is_the_smallest_count_with_a_small_enough_tail():
    count = binomial_inverse_survival(0.05, 44, 0.5)
    assert stats.binom.sf(count, 44, 0.5) <= 0.05 < stats.binom.sf(count - 1, 44, 0.5)


@pytest.mark.slow
def test_average_ranks_equal_scipy_rankdata():
    for first, second in sample_pairs():
        for values in (first, np.abs(first - second)):
            np.testing.assert_array_equal(strictly(average_ranks, values), stats.rankdata(values))


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], []), ([3.0], [1.0]), ([2.0, 2.0], [1.5, 1.5]), ([5.0, 1.0, 5.0, 3.0, 5.0], [4.0, 1.0, 4.0, 2.0, 4.0])],
)
def test_average_ranks_share_the_mean_rank_of_ties(values, expected):
    np.testing.assert_array_equal(average_ranks(np.array(values)), expected)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("ours", "oracle"),
    [(paired_t_less_p, stats.ttest_rel), (pooled_t_less_p, stats.ttest_ind)],
    ids=["paired", "pooled"],
)
def test_t_test_p_values_equal_scipy(ours, oracle):
    pairs = [*sample_pairs(), *(tuple(map(np.array, pair)) for pair in EDGE_PAIRS)]
    for first, second in pairs:
        expected = quietly(lambda a, b: oracle(a, b, alternative="less").pvalue, first, second)
        np.testing.assert_array_equal(strictly(ours, first, second), expected, err_msg=f"{first} {second}")


def test_t_test_edges_are_nan_or_certain():
    assert np.isnan(paired_t_less_p(np.array([50.0]), np.array([60.0])))
    assert np.isnan(pooled_t_less_p(np.array([50.0, 50.0]), np.array([50.0, 50.0])))
    assert paired_t_less_p(np.array([40.0, 50.0]), np.array([50.0, 60.0])) == 0.0
    assert pooled_t_less_p(np.array([60.0, 60.0]), np.array([50.0, 50.0])) == 1.0


@pytest.mark.parametrize(("first_size", "second_size"), [(1, 1), (1, 2), (2, 1), (1, 5), (0, 3), (4, 7)])
def test_pooled_t_test_of_unequal_sizes_equals_scipy(first_size, second_size):
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        first, second = rng.normal(0.0, 1.0, first_size), rng.normal(0.5, 1.0, second_size)
        expected = quietly(lambda a, b: stats.ttest_ind(a, b, alternative="less").pvalue, first, second)
        np.testing.assert_array_equal(strictly(pooled_t_less_p, first, second), expected)


def test_runs_test_counts_runs_against_a_random_order():
    # 6 + 6 values: a random order gives 1 + 2*6*6/12 = 7 runs on average, variance 72*60/(144*11)
    blocked = np.repeat([1, 2], 6)
    interleaved = np.tile([1, 2], 6)

    runs, expected, z = runs_test(blocked)
    assert (runs, expected) == (2, 7.0)
    assert z == pytest.approx((2 - 7) / np.sqrt(4320 / 1584))
    assert runs_test(interleaved)[0] == 12
    assert runs_test(interleaved)[2] > 0
    assert np.isnan(runs_test(np.ones(5))[2])
