"""The default model: FBCSP + shrinkage LDA on a few pre-declared 2 s windows, deciding by their mean.

Why this design (issue 14): on ~44 trials, choosing a window (or an option) from the data costs
more than it gains — the choice overfits the folds that made it. So nothing is chosen: one model
per pre-declared window, each with all CSP features (K = D) and Ledoit-Wolf shrinkage LDA, and the
trial's decision is the mean of the windows' decision values. The windows are 2 s long and start
every second from 0.5 s after the cue; the last one ends at the epoch end (7 s), so a recording
whose information comes 6-7 s after the cue is covered too. Because no choice is made from the
data, the plain outer cross-validation accuracy is already the honest (nested) estimate.

The single-window model for the original consumer (`online` tree) is one of these windows: inside
each outer fold the window with the best inner-CV accuracy (nested estimate), and for the exported
model the window with the best outer-fold mean accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .evaluation import permuted_fold_models
from .folds import matlab_round
from .model import WindowModel, fit_merged_models
from .rlda import predict_labels
from .time_resolved import test_accuracies, time_resolved_accuracies
from .windows import WindowGrid, centre_moments, moments_of_windows

#: Window length of the default model in seconds.
ENSEMBLE_WINDOW_S = 2.0
#: Window starts after the cue in seconds; the last window ends at the epoch end (7 s).
ENSEMBLE_STARTS_S = (0.5, 1.5, 2.5, 3.5, 4.5, 5.0)


@dataclass(frozen=True, eq=False)
class EnsembleWindows:
    """Where the ensemble's windows lie: ``length`` samples from ``starts`` samples after the cue."""

    starts: np.ndarray
    length: int
    sfreq: float

    @classmethod
    def for_grid(cls, grid: WindowGrid) -> EnsembleWindows:
        """The pre-declared windows at the grid's rate; each must fit inside the epoch."""
        starts = matlab_round(np.array(ENSEMBLE_STARTS_S) * grid.sfreq).astype(np.int64)
        length = int(matlab_round(ENSEMBLE_WINDOW_S * grid.sfreq))
        if starts[-1] + length > grid.post + 1:
            raise ValueError("the ensemble windows must lie inside the epoch")
        return cls(starts=starts, length=length, sfreq=grid.sfreq)

    @property
    def ends(self) -> np.ndarray:
        """Window ends (exclusive) in samples after the cue."""
        return self.starts + self.length

    @property
    def end_ms(self) -> np.ndarray:
        """Window ends relative to the cue in ms."""
        return 1000.0 * self.ends / self.sfreq


def ensemble_moments(
    epochs: np.ndarray, grid: WindowGrid, windows: EnsembleWindows, centred: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Second and first moment sums of the ensemble windows.

    Parameters
    ----------
    epochs : ndarray, shape (n_trials, n_bands, n_channels, epoch_length)
    grid : WindowGrid
    windows : EnsembleWindows
    centred : bool
        Give the moments of each window about its own mean (`fbcsp.windows.centre_moments`).

    Returns
    -------
    second : ndarray, shape (n_trials, n_windows, n_bands, n_channels, n_channels)
    first : ndarray, shape (n_trials, n_windows, n_bands, n_channels)
    """
    offsets = grid.cue_index + windows.starts
    # One window at a time: the six 2 s windows cut at once held 1.2 times the epochs again.
    moments = [moments_of_windows(epochs[..., start : start + windows.length]) for start in offsets]
    second = np.stack([window_second for window_second, _ in moments], axis=1)
    first = np.stack([window_first for _, window_first in moments], axis=1)
    return centre_moments(second, first, windows.length) if centred else (second, first)


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """The default model and its cross-validation; accuracies are fractions 0..1.

    Attributes
    ----------
    windows : EnsembleWindows
    n_features : int
        K of every window model (all CSP features).
    models : tuple of WindowModel
        All-trials model of each window (the exported ensemble).
    training_predictions : ndarray of int, shape (n_trials,)
        The ensemble's vote on its own training trials (not an estimate).
    cv_predictions : ndarray of int, shape (n_trials,)
        Each trial predicted by the ensemble of the outer fold that tests it.
    online_cv_predictions : ndarray of int, shape (n_trials,)
        Each trial predicted by its outer fold's model at the window chosen inside that fold.
    fold_accuracies : ndarray, shape (n_folds,)
        Ensemble accuracy on each outer fold's test trials (the nested estimate: no choice is made).
    window_fold_accuracy : ndarray, shape (n_windows, n_folds)
        Outer-fold test accuracy of each single window.
    online_choices : ndarray of int, shape (n_folds,)
        Window chosen by inner CV inside each outer fold for the single-window model.
    online_fold_accuracies : ndarray, shape (n_folds,)
        Outer-fold test accuracy at that choice.
    online_window : int
        Window of the exported single-window model (best outer-fold mean accuracy; optimistic).
    """

    windows: EnsembleWindows
    n_features: int
    models: tuple[WindowModel, ...]
    training_predictions: np.ndarray
    cv_predictions: np.ndarray
    online_cv_predictions: np.ndarray
    fold_accuracies: np.ndarray
    window_fold_accuracy: np.ndarray
    online_choices: np.ndarray
    online_fold_accuracies: np.ndarray
    online_window: int


def _best_window(accuracy: np.ndarray) -> np.ndarray:
    """Index of the highest fold-mean accuracy along the last-but-one axis (ties: earliest window)."""
    return np.argmax(np.nanmean(accuracy, axis=-1), axis=-1)


def fit_ensemble(
    second: np.ndarray,
    first: np.ndarray,
    windows: EnsembleWindows,
    labels: np.ndarray,
    masks: tuple[np.ndarray, np.ndarray, np.ndarray],
    band_ids: tuple[int, ...],
    n_pairs: int,
    projection: np.ndarray | None = None,
    fitted_trials: np.ndarray | None = None,
) -> EnsembleResult:
    """Cross-validate the ensemble and the single-window choice, then fit the exported models.

    Parameters
    ----------
    second, first : ndarray
        Ensemble window moments (see `ensemble_moments`).
    windows : EnsembleWindows
    labels : ndarray of int, shape (n_trials,)
    masks : (folds, train_masks, test_masks)
        From `fbcsp.evaluation.outer_and_inner_masks`: outer folds first, then the inner folds.
    band_ids : tuple of int
    n_pairs : int
    projection : ndarray, optional
        Channel reduction of the epochs (`fbcsp.model.fit_merged_models`).
    fitted_trials : ndarray of bool, shape (n_trials,), optional
        The trials the exported models are fitted on (`fbcsp.artifact_trials`); the masks
        already leave the others out of every fold's training.

    Returns
    -------
    EnsembleResult
    """
    folds, train_masks, test_masks = masks
    n_folds, n_trials = int(folds.max()) + 1, labels.size
    n_features = len(band_ids) * 2 * n_pairs
    accuracy, decision = time_resolved_accuracies(
        second, first, windows.length, labels, train_masks, test_masks, n_pairs, (n_features,)
    )
    trials = np.arange(n_trials)
    votes = predict_labels(decision[:n_folds, 0].mean(axis=1))  # (n_folds, n_trials)
    cv_predictions = votes[folds, trials]
    fold_accuracies = np.array(
        [np.mean(cv_predictions[folds == fold] == labels[folds == fold]) for fold in range(n_folds)]
    )
    window_fold_accuracy = accuracy[:n_folds, 0].T
    inner = accuracy[n_folds:, 0].reshape(n_folds, n_folds, -1).swapaxes(1, 2)  # (outer, window, inner)
    online_choices = _best_window(inner)
    models, training_decisions = fit_merged_models(
        second, first, windows.length, labels, band_ids, n_pairs, n_features, projection, fitted_trials
    )
    return EnsembleResult(
        windows=windows,
        n_features=n_features,
        models=tuple(
            WindowModel(model=model, window_samples=windows.length, end_sample=int(end), sfreq=windows.sfreq)
            for model, end in zip(models, windows.ends, strict=True)
        ),
        training_predictions=predict_labels(training_decisions.mean(axis=0)),
        cv_predictions=cv_predictions,
        online_cv_predictions=predict_labels(decision[folds, 0, online_choices[folds], trials]),
        fold_accuracies=fold_accuracies,
        window_fold_accuracy=window_fold_accuracy,
        online_choices=online_choices,
        online_fold_accuracies=window_fold_accuracy[online_choices, np.arange(n_folds)],
        online_window=int(_best_window(window_fold_accuracy)),
    )


def ensemble_permutation_accuracies(
    second: np.ndarray,
    first: np.ndarray,
    windows: EnsembleWindows,
    labels: np.ndarray,
    n_folds: int,
    n_pairs: int,
    n_features: int,
    n_permutations: int,
    random_state: int,
    fitted_trials: np.ndarray,
) -> np.ndarray:
    """Fold-mean CV accuracy of the ensemble under `n_permutations` label permutations.

    Each permutation (see `fbcsp.evaluation.permuted_fold_models`) cross-validates the ensemble
    exactly as `fit_ensemble` does (outer folds only: the ensemble makes no inner choice).

    Returns
    -------
    ndarray, shape (n_permutations,)
    """
    statistics = []
    permutations = permuted_fold_models(labels, n_folds, n_permutations, random_state, fitted_trials)
    for count, model_labels, train, test in permutations:
        _, decision = time_resolved_accuracies(
            second, first, windows.length, model_labels, train, test, n_pairs, (n_features,)
        )
        vote = decision[:, 0].mean(axis=1)[:, None, None, :]
        accuracy = test_accuracies(vote, model_labels, test)[:, 0, 0]
        statistics.append(accuracy.reshape(count, n_folds).mean(axis=1))
    return np.concatenate(statistics) if statistics else np.empty(0)
