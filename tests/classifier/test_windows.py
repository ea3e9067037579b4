"""Window geometry at several rates (spec section 8), epoching and window moments."""

import numpy as np
import pytest

from fbcsp.windows import WindowGrid, extract_epochs, window_moments

pytestmark = pytest.mark.classifier


@pytest.mark.parametrize(
    ("sfreq", "pre", "length", "window", "step", "n_windows"),
    [
        (125, -375, 1251, 125, 5, 226),
        (250, -750, 2501, 250, 10, 226),
        (500, -1500, 5001, 500, 20, 226),
        (256, -768, 2561, 256, 10, 231),
        (160, -480, 1601, 160, 6, 241),
    ],
)
def test_geometry_matches_the_spec(sfreq, pre, length, window, step, n_windows):
    grid = WindowGrid.for_rate(sfreq)
    assert (grid.pre, grid.epoch_length, grid.window, grid.step, grid.n_windows) == (
        pre,
        length,
        window,
        step,
        n_windows,
    )
    assert grid.cue_index == -pre
    assert grid.smoothing_half_width == 2


@pytest.mark.parametrize("sfreq", [125, 250, 500])
def test_reference_and_task_windows_reproduce_wt_ids_26_51_and_61_226(sfreq):
    grid = WindowGrid.for_rate(sfreq)
    np.testing.assert_array_equal(grid.ref_windows + 1, np.arange(26, 52))
    np.testing.assert_array_equal(grid.task_windows + 1, np.arange(61, 227))
    wt_ids = np.arange(1, grid.n_windows + 1)
    np.testing.assert_allclose(grid.end_ms, (wt_ids - 1) * 40.0 - 2000.0)


def test_window_50_at_125_hz_covers_the_samples_before_the_cue():
    grid = WindowGrid.for_rate(125)
    assert grid.window_slice(50) == slice(250, 375)
    assert grid.end_ms[50] == 0.0


def test_windows_at_160_hz_carry_their_real_end_times():
    grid = WindowGrid.for_rate(160)
    np.testing.assert_allclose(grid.end_ms[:3], [-2000.0, -1962.5, -1925.0])
    assert grid.end_ms[grid.ref_windows].min() >= -1000 and grid.end_ms[grid.ref_windows].max() <= 0
    assert grid.end_ms[grid.ref_windows[0] - 1] < -1000 and grid.end_ms[grid.ref_windows[-1] + 1] > 0
    assert grid.end_ms[grid.task_windows[0] - 1] < 400 and grid.end_ms[grid.task_windows[-1]] <= 7000
    assert (grid.ref_windows[[0, -1]] + 1).tolist() == [28, 54]
    assert (grid.task_windows[[0, -1]] + 1).tolist() == [65, 241]


def test_window_slice_rejects_out_of_range_windows():
    with pytest.raises(IndexError):
        WindowGrid.for_rate(125).window_slice(226)


def test_complete_epochs_need_3_s_before_and_7_s_after_the_cue():
    grid = WindowGrid.for_rate(125)
    cues = np.array([374, 375, 1000, 2000 - 876, 2000 - 875])
    np.testing.assert_array_equal(grid.complete_epochs(cues, 2000), [False, True, True, True, False])


def test_window_moments_equal_direct_sums():
    rng = np.random.default_rng(1)
    grid = WindowGrid.for_rate(125)
    data = rng.normal(size=(2, 3, 3000))
    cues = np.array([400, 1500])
    epochs = extract_epochs(data, cues, grid)
    assert epochs.shape == (2, 2, 3, grid.epoch_length)
    np.testing.assert_array_equal(epochs[1, 0], data[0, :, 1500 + grid.pre : 1500 + grid.post + 1])
    second, first = window_moments(epochs, grid)
    for k in (0, 77, grid.n_windows - 1):
        segment = epochs[1, 1][:, grid.window_slice(k)]
        np.testing.assert_allclose(second[1, k, 1], segment @ segment.T, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(first[1, k, 1], segment.sum(axis=1), rtol=1e-9, atol=1e-9)


def test_window_moments_of_a_range_match_every_window_and_do_not_depend_on_trials_per_pass(monkeypatch):
    rng = np.random.default_rng(2)
    grid = WindowGrid.for_rate(125)
    epochs = extract_epochs(rng.normal(size=(2, 3, 4000)), np.array([400, 1500, 2600]), grid)
    second, first = window_moments(epochs, grid)
    part_second, part_first = window_moments(epochs, grid, 50, 90)
    np.testing.assert_allclose(part_second, second[:, 50:90], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(part_first, first[:, 50:90], rtol=1e-9, atol=1e-9)
    monkeypatch.setattr("fbcsp.windows.trials_per_pass", lambda *args: 1)
    one_at_a_time = window_moments(epochs, grid)
    np.testing.assert_array_equal(one_at_a_time[0], second)
    np.testing.assert_array_equal(one_at_a_time[1], first)


def test_centred_window_moments_are_those_of_each_window_less_its_own_mean():
    rng = np.random.default_rng(3)
    grid = WindowGrid.for_rate(125)
    epochs = extract_epochs(rng.normal(loc=5.0, size=(2, 3, 3000)), np.array([400, 1500]), grid)
    second, first = window_moments(epochs, grid, 10, 20, centred=True)
    segment = epochs[1, 1][:, grid.window_slice(13)]
    centred = segment - segment.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(second[1, 3, 1], centred @ centred.T, rtol=1e-9)
    assert not first.any()
