"""Option/window selection rules, smoothing and the reference-vs-task statistics (spec section 5)."""

import numpy as np
import pytest
from scipy import stats

from fbcsp.selection import (
    best_smoothed_accuracy,
    choose_option_and_window,
    select_model,
    signrank_exact_p,
    smooth_over_windows,
)
from fbcsp.windows import WindowGrid

pytestmark = pytest.mark.classifier

GRID = WindowGrid.for_rate(125)  # ref windows 25..50, task windows 60..225, h = 2


def flat_accuracy(n_options=3, value=0.5):
    return np.full((n_options, 6, GRID.n_windows), value)


def test_smoothing_is_truncated_at_the_edges():
    values = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    np.testing.assert_allclose(smooth_over_windows(values, 2), [[2.0, 2.5, 3.0, 4.0, 4.5, 5.0]])


def test_smoothing_skips_nan_folds():
    values = np.array([[1.0, np.nan, 3.0]])
    np.testing.assert_allclose(smooth_over_windows(values, 1), [[1.0, 2.0, 3.0]])


def test_the_option_with_the_best_smoothed_task_peak_wins():
    accuracy = flat_accuracy()
    accuracy[1, :, 100:105] = 0.9
    option, smooth_peak, raw_peak = choose_option_and_window(accuracy, GRID)
    assert (option, smooth_peak) == (1, 102)
    assert raw_peak == 100  # raw peak: highest mean within 100..104, lowest index on ties


def test_equal_peaks_prefer_lower_sd_then_lower_option():
    accuracy = flat_accuracy()
    spread = np.array([0.8, 1.0, 0.8, 1.0, 0.8, 1.0])[:, None]
    accuracy[0, :, 80:85] = spread  # mean 0.9, sd 0.1
    accuracy[2, :, 150:155] = 0.9  # mean 0.9, sd 0
    assert choose_option_and_window(accuracy, GRID)[0] == 2
    accuracy[1, :, 150:155] = 0.9
    assert choose_option_and_window(accuracy, GRID)[0] == 1


def test_raw_peak_stays_within_h_of_the_smoothed_peak():
    accuracy = flat_accuracy(1)
    accuracy[0, :, 120:125] = 0.8
    accuracy[0, :, 124] = 1.0
    accuracy[0, :, 200] = 1.0  # isolated raw maximum far away: not reachable
    _, smooth_peak, raw_peak = choose_option_and_window(accuracy, GRID)
    assert abs(raw_peak - smooth_peak) <= GRID.smoothing_half_width
    assert raw_peak == 124


def test_selection_uses_rounded_means_so_tiny_differences_tie():
    accuracy = flat_accuracy(2)
    accuracy[0, :, 70:75] = 0.9 + 1e-9
    accuracy[1, :, 70:75] = 0.9
    assert choose_option_and_window(accuracy, GRID)[0] == 0
    accuracy[0, 0, 70:75] += 0.01  # now option 0 is better but has a larger sd
    assert choose_option_and_window(accuracy, GRID)[0] == 0


def test_select_model_reports_reference_peak_and_statistics():
    rng = np.random.default_rng(15)
    accuracy = 0.5 + 0.05 * rng.random((2, 6, GRID.n_windows))
    accuracy[1, :, 90:95] = np.array([0.9, 0.95, 0.85, 0.9, 1.0, 0.8])[:, None]
    result = select_model(accuracy, GRID)
    assert result.option_id == 2
    assert result.smooth_ref_window in GRID.ref_windows
    assert abs(result.ref_window - result.smooth_ref_window) <= 2
    reference = 100 * accuracy[1, :, result.ref_window]
    task = 100 * accuracy[1, :, result.task_window]
    assert result.stats["task_mean"] == pytest.approx(task.mean())
    assert result.stats["ref_std"] == pytest.approx(reference.std(ddof=1))
    paired = stats.ttest_rel(reference, task, alternative="less").pvalue
    pooled = stats.ttest_ind(reference, task, alternative="less").pvalue
    assert result.stats["ttest_p"] == pytest.approx(paired)
    assert result.stats["ttest2_p"] == pytest.approx(pooled)
    assert set(result.stats) == {
        prefix + key
        for prefix in ("", "smooth_")
        for key in ("ref_mean", "ref_std", "task_mean", "task_std", "ttest_p", "ttest2_p", "wilcoxon_p")
    }


def test_signrank_matches_scipy_exact_without_ties_and_handles_ties_and_zeros():
    a = np.array([0.61, 0.72, 0.55, 0.8, 0.67, 0.7])
    b = np.array([0.9, 0.85, 0.95, 0.82, 0.91, 0.6])
    assert signrank_exact_p(a, b) == pytest.approx(stats.wilcoxon(a, b, method="exact").pvalue)
    assert signrank_exact_p(a, a) == 1.0
    # ties and a zero: differences -0.1, -0.1, 0, -0.2 -> ranks 1.5, 1.5, 3 of 8 equally likely sums
    p = signrank_exact_p(np.array([0.5, 0.5, 0.7, 0.5]), np.array([0.6, 0.6, 0.7, 0.7]))
    assert p == pytest.approx(0.25)


def test_best_smoothed_accuracy_is_the_statistic_of_the_selected_peak():
    accuracy = flat_accuracy()
    accuracy[2, :, 140:145] = 0.75
    assert best_smoothed_accuracy(accuracy, GRID.task_windows, 2) == pytest.approx(0.75)
    stacked = np.stack([accuracy, flat_accuracy()])
    np.testing.assert_allclose(best_smoothed_accuracy(stacked, GRID.task_windows, 2), [0.75, 0.5])
