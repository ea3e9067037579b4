"""A straightforward per-window FBCSP analysis built from ``mne.decoding.CSP`` and scikit-learn LDA.

This is the yardstick of ``benchmarks/fbcsp_benchmark.py``: it runs the same steps as
``fbcsp.training.train`` (spec sections 2-5), but as a plain loop over windows x fold models x
bands with one small estimator per step, instead of the package's batched computation.

Shared with the package on purpose (the benchmark is about the time-resolved analysis):
the filter bank and causal filtering, epoching, the chronological per-class folds (outer and
nested inner), the MI ranking estimator (`fbcsp.mutual_info.MutualInfoSelector`, fitted once per
window and fold) and the option/window selection rules.

The mne and scikit-learn estimators, and how they are made to compute the spec's Lotte CSP and
RLDA, are in `benchmarks.reference_estimators`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import mne
import numpy as np

from benchmarks.reference_estimators import window_predictions
from fbcsp.csp import csp_pairs_for_channels
from fbcsp.evaluation import nested_fold_accuracies, outer_and_inner_masks
from fbcsp.filterbank import USED_BAND_IDS, design_band, filter_continuous
from fbcsp.recording import Recording
from fbcsp.selection import SelectionResult, select_model
from fbcsp.training_epochs import usable_trials
from fbcsp.training_options import available_options
from fbcsp.windows import WindowGrid, extract_epochs

#: What the reference runs: "full" = outer folds, selection, merged model and nested CV
#: (6 x 7 fold models per window); "outer" = everything except the nested CV (6 fold models).
SCOPES = ("full", "outer")


@dataclass(frozen=True, eq=False)
class BandEpochs:
    """Filtered epochs of the usable trials, cut exactly as the package cuts them.

    Attributes
    ----------
    epochs : ndarray, shape (n_trials, n_bands, n_channels, epoch_length)
    labels : ndarray of int, shape (n_trials,)
        1 = T1, 2 = T2, chronological.
    grid : WindowGrid
    n_pairs : int
        CSP filter pairs m.
    feature_counts : tuple of int
        K of each available option.
    """

    epochs: np.ndarray
    labels: np.ndarray
    grid: WindowGrid
    n_pairs: int
    feature_counts: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class ReferenceResult:
    """What the reference analysis found; accuracies are fractions 0..1.

    Attributes
    ----------
    scope : str
        "full" or "outer".
    fold_accuracy : ndarray, shape (n_options, n_folds, n_windows)
    selection : SelectionResult
    selection_accuracy : float
        Fold-mean accuracy at the selected option and window.
    merged_feature_ids : ndarray of int, shape (K,)
        Features of the merged (all-trials) model, 0-based band-major.
    training_predictions : ndarray of int, shape (n_trials,)
        The merged model on every trial's selected window.
    nested_accuracy : float or None
        None for the "outer" scope.
    nested_fold_accuracies : ndarray, shape (n_folds,), or None
    """

    scope: str
    fold_accuracy: np.ndarray
    selection: SelectionResult
    selection_accuracy: float
    merged_feature_ids: np.ndarray
    training_predictions: np.ndarray
    nested_accuracy: float | None
    nested_fold_accuracies: np.ndarray | None


def prepare_epochs(recording: Recording, band_ids: tuple[int, ...], n_folds: int) -> BandEpochs:
    """Filter the recording with the package's filter bank and cut the package's epochs."""
    grid = WindowGrid.for_rate(recording.sfreq)
    samples, labels, _ = usable_trials(recording, grid, n_folds)
    bands = [design_band(band_id, recording.sfreq) for band_id in band_ids]
    filtered = np.stack([filter_continuous(recording.data, band) for band in bands])
    n_pairs = csp_pairs_for_channels(recording.n_channels)
    options = available_options(len(band_ids) * 2 * n_pairs)
    return BandEpochs(
        epochs=extract_epochs(filtered, samples, grid),
        labels=labels,
        grid=grid,
        n_pairs=n_pairs,
        feature_counts=tuple(option.n_features for option in options),
    )


def fold_accuracies(
    prepared: BandEpochs,
    train_masks: np.ndarray,
    test_masks: np.ndarray,
    windows: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
) -> np.ndarray:
    """Test accuracy of every fold model at every window, one window and one fold at a time.

    Parameters
    ----------
    prepared : BandEpochs
    train_masks, test_masks : ndarray of bool, shape (n_models, n_trials)
    windows : ndarray of int, optional
        Window indices to analyse (default: all).
    progress : callable, optional
        Called with a line about every 10 windows.

    Returns
    -------
    ndarray, shape (n_models, n_options, n_windows analysed)
    """
    grid, labels = prepared.grid, prepared.labels
    windows = np.arange(grid.n_windows) if windows is None else np.asarray(windows)
    accuracy = np.empty((train_masks.shape[0], len(prepared.feature_counts), windows.size))
    started = time.perf_counter()
    for position, window in enumerate(windows):
        window_data = prepared.epochs[..., grid.window_slice(int(window))]
        for model, (train_mask, test_mask) in enumerate(zip(train_masks, test_masks, strict=True)):
            predictions, _ = window_predictions(
                window_data, labels, train_mask, prepared.n_pairs, prepared.feature_counts
            )
            accuracy[model, :, position] = np.mean(predictions[:, test_mask] == labels[test_mask], axis=1)
        done = position + 1
        if progress and (done % 10 == 0 or done == windows.size):
            elapsed = time.perf_counter() - started
            progress(
                f"reference: {done}/{windows.size} windows x {train_masks.shape[0]} fold models, "
                f"{elapsed:.0f} s elapsed, about {elapsed / done * (windows.size - done):.0f} s left"
            )
    return accuracy


def run_reference(
    recording: Recording,
    band_ids: tuple[int, ...] = USED_BAND_IDS,
    n_folds: int = 6,
    scope: str = "full",
    progress: Callable[[str], None] | None = None,
) -> ReferenceResult:
    """The whole analysis, per window: outer folds, selection, merged model and (scope "full") nested CV.

    Parameters
    ----------
    recording : Recording
    band_ids : tuple of int
    n_folds : int
    scope : {"full", "outer"}
    progress : callable, optional

    Returns
    -------
    ReferenceResult
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    prepared = prepare_epochs(recording, band_ids, n_folds)
    labels, grid = prepared.labels, prepared.grid
    _, train_masks, test_masks = outer_and_inner_masks(labels, n_folds)
    if scope == "outer":
        train_masks, test_masks = train_masks[:n_folds], test_masks[:n_folds]
    with mne.utils.use_log_level("WARNING"):
        accuracy = fold_accuracies(prepared, train_masks, test_masks, progress=progress)
        fold_accuracy = accuracy[:n_folds].swapaxes(0, 1)
        selection = select_model(fold_accuracy, grid)
        option_index = selection.option_id - 1
        everything = np.ones(labels.size, dtype=bool)
        merged_window = prepared.epochs[..., grid.window_slice(selection.task_window)]
        merged_predictions, merged_ranking = window_predictions(
            merged_window, labels, everything, prepared.n_pairs, prepared.feature_counts
        )
    nested = None
    if scope == "full":
        inner = accuracy[n_folds:].reshape(n_folds, n_folds, *accuracy.shape[1:]).swapaxes(1, 2)
        nested, _, _ = nested_fold_accuracies(fold_accuracy, inner, grid)
    return ReferenceResult(
        scope=scope,
        fold_accuracy=fold_accuracy,
        selection=selection,
        selection_accuracy=float(np.nanmean(fold_accuracy[option_index, :, selection.task_window])),
        merged_feature_ids=merged_ranking[: prepared.feature_counts[option_index]],
        training_predictions=merged_predictions[option_index],
        nested_accuracy=None if nested is None else float(np.nanmean(nested)),
        nested_fold_accuracies=nested,
    )
