"""The time-resolved analysis in window chunks and on worker threads: chunking bounds memory, and
neither the chunks nor the thread count change a result."""

import functools
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from synthetic import synthetic_recording

from fbcsp.budget import windows_per_chunk
from fbcsp.evaluation import outer_and_inner_masks
from fbcsp.filterbank import design_band
from fbcsp.time_resolved import grid_accuracies, window_groups
from fbcsp.training_epochs import filtered_epochs
from fbcsp.windows import WindowGrid

pytestmark = pytest.mark.classifier


def test_window_groups_keep_order_and_each_group_within_the_span():
    windows = np.array([0, 1, 2, 5, 9, 10, 30])
    groups = window_groups(windows, 4)
    np.testing.assert_array_equal(np.concatenate(groups), windows)
    assert [group.tolist() for group in groups] == [[0, 1, 2], [5], [9, 10], [30]]


def test_chunk_size_shrinks_with_channels_features_and_trials():
    assert windows_per_chunk(45, 4, 2, 8) >= 241
    assert 1 <= windows_per_chunk(45, 4, 64, 24) < windows_per_chunk(45, 4, 16, 24) < windows_per_chunk(45, 4, 8, 24)
    assert windows_per_chunk(45, 4, 4, 24) < windows_per_chunk(45, 4, 4, 16)
    assert windows_per_chunk(658, 4, 4, 16) < windows_per_chunk(45, 4, 4, 16)
    assert windows_per_chunk(45, 4, 64, 24, budget=1) == 1


def test_window_chunks_bound_the_feature_arrays_of_few_channels_and_many_trials(monkeypatch):
    # 4 channels: a window's moments are small, but every model chunk ranks the features of every
    # trial at every window of the chunk (a 90-minute recording with ~650 cues held 2.4 GB of them).
    budget = 8 * 1024**2
    monkeypatch.setattr("fbcsp.time_resolved.windows_per_chunk", functools.partial(windows_per_chunk, budget=budget))
    rng = np.random.default_rng(0)
    grid = WindowGrid.for_rate(100.0)
    labels = np.tile([1, 2], 60)
    epochs = rng.normal(size=(labels.size, 4, 4, grid.epoch_length))
    _, train_masks, test_masks = outer_and_inner_masks(labels, 3)
    models = slice(0, 12)  # one model chunk
    tracemalloc.start()
    try:
        grid_accuracies(
            epochs, grid, labels, train_masks[models], test_masks[models], 2, (4, 6, 8, 10),
            windows=np.arange(100), keep_decisions=False,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2 * budget


@pytest.fixture(scope="module")
def arguments():
    """`grid_accuracies`' positional arguments on a small synthetic recording (3 outer folds)."""
    recording = synthetic_recording(n_channels=4, trials_per_class=(8, 8), seed=5)
    grid = WindowGrid.for_rate(recording.sfreq)
    bands = tuple(design_band(band_id, recording.sfreq) for band_id in (3, 4))
    epochs, _ = filtered_epochs(recording.data, bands, recording.event_samples, grid)
    _, train_masks, test_masks = outer_and_inner_masks(recording.event_codes, 3)
    return epochs, grid, recording.event_codes, train_masks, test_masks, 1, (2, 4)


def test_results_do_not_depend_on_the_window_chunks(arguments, monkeypatch):
    windows = np.arange(60, 140)
    whole, whole_decision = grid_accuracies(*arguments, windows=windows)
    monkeypatch.setattr("fbcsp.time_resolved.windows_per_chunk", lambda *args: 7)
    chunked, chunked_decision = grid_accuracies(*arguments, windows=windows)
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_allclose(chunked_decision, whole_decision, rtol=1e-9, atol=1e-9)
    accuracy_only, no_decision = grid_accuracies(*arguments, windows=windows, keep_decisions=False)
    assert no_decision is None
    np.testing.assert_array_equal(accuracy_only, whole)


def test_results_do_not_depend_on_the_worker_threads(arguments, monkeypatch):
    windows = np.arange(60, 120)
    pools = []

    class RecordedPool(ThreadPoolExecutor):
        def __init__(self, max_workers):
            pools.append(max_workers)
            super().__init__(max_workers)

    monkeypatch.setattr("fbcsp.time_resolved.ThreadPoolExecutor", RecordedPool)
    monkeypatch.setattr("fbcsp.time_resolved.MODEL_CHUNK", 2)  # several chunks of models, so threads overlap
    results = {}
    for threads in (1, 2):
        monkeypatch.setattr("fbcsp.time_resolved.worker_threads", lambda threads=threads: threads)
        monkeypatch.setattr("fbcsp.budget.worker_threads", lambda threads=threads: threads)
        results[threads] = grid_accuracies(*arguments, windows=windows)

    assert set(pools) == {1, 2}
    assert arguments[3].shape[0] > 2  # train masks: more models than one chunk
    np.testing.assert_array_equal(results[1][0], results[2][0])
    np.testing.assert_array_equal(results[1][1], results[2][1])
