"""What `fbcsp.training.train` returns: every figure and model of one training run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .artifact_trials import ArtifactTrials
from .channel_quality import ChannelQuality
from .csp_channels import CspChannels
from .ensemble import EnsembleResult
from .filterbank import BandDesign
from .model import MergedModel, WindowModel
from .selection import SelectionResult
from .training_options import OptionSpec
from .windows import WindowGrid


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """Everything `train` found; arrays are numpy, accuracies are fractions 0..1.

    Attributes
    ----------
    ch_names : tuple of str
    ch_names_known : bool
        Whether the names are real electrode positions (see `Recording.ch_names_known`).
    sfreq : float
    bands : tuple of BandDesign
        Used bands, in feature order, with the FIR taps applied.
    grid : WindowGrid
    csp_pairs : int
        m.
    options : tuple of OptionSpec
    trial_labels : ndarray of int, shape (n_trials,)
        1/2 of the trials used, chronological.
    trial_samples : ndarray of int, shape (n_trials,)
        Cue sample of each trial used.
    n_dropped_trials : int
        Cues whose -3..+7 s epoch is not inside the recording.
    folds : ndarray of int, shape (n_trials,)
        Outer test fold of each trial.
    fold_accuracy : ndarray, shape (n_options, n_folds, n_windows)
    selection : SelectionResult
    model : MergedModel
    training_predictions : ndarray of int, shape (n_trials,)
        The merged model on every trial's selected window (training accuracy, not an estimate).
    cv_predictions : ndarray of int, shape (n_trials,)
        Each trial predicted by the model of the fold that tests it, at the selected option/window.
    selection_accuracy : float
        Fold-mean accuracy at the selected option and window, chosen on these same folds
        (the original's figure; optimistic).
    original_nested_fold_accuracies : ndarray, shape (n_folds,)
        The original rule redone inside each outer training set (see `fbcsp.evaluation`): outer
        test accuracy at the option/window chosen by inner CV.
    original_nested_options, original_nested_windows : ndarray of int, shape (n_folds,)
        0-based option and raw task-peak window chosen inside each outer fold.
    original_nested_cv_predictions : ndarray of int, shape (n_trials,)
        Each trial predicted by its outer fold's model at the option/window chosen inside that fold.
    selection_mode : str
        ``TrainingOptions.selection``.
    ensemble : EnsembleResult or None
        The default model (None with ``selection="original"``).
    chance_level : float
        Majority-class rate.
    permutation_p_value : float or None
        p-value of the headline accuracy (`nested_accuracy`); None when ``n_permutations == 0``.
    n_permutations : int
    channel_quality : ChannelQuality
        Per-channel noise and clipping figures of the recording (`fbcsp.channel_quality`).
    csp_channels : CspChannels
        The recorded channels CSP's input came from and the dimensions it worked in.
    artifacts : ArtifactTrials
        The trials holding an artifact, which every model's fit left out (`fbcsp.artifact_trials`).
    cue_note : str
        What the reader noticed about the cues (`Recording.cue_note`), or ``""``.
    """

    ch_names: tuple[str, ...]
    ch_names_known: bool
    sfreq: float
    bands: tuple[BandDesign, ...]
    grid: WindowGrid
    csp_pairs: int
    options: tuple[OptionSpec, ...]
    trial_labels: np.ndarray
    trial_samples: np.ndarray
    n_dropped_trials: int
    folds: np.ndarray
    fold_accuracy: np.ndarray
    selection: SelectionResult
    model: MergedModel
    training_predictions: np.ndarray
    cv_predictions: np.ndarray
    selection_accuracy: float
    original_nested_fold_accuracies: np.ndarray
    original_nested_options: np.ndarray
    original_nested_windows: np.ndarray
    original_nested_cv_predictions: np.ndarray
    selection_mode: str
    ensemble: EnsembleResult | None
    chance_level: float
    permutation_p_value: float | None
    n_permutations: int
    channel_quality: ChannelQuality
    csp_channels: CspChannels
    artifacts: ArtifactTrials
    cue_note: str = ""

    @property
    def online_model(self) -> WindowModel:
        """The single-window model of the ``online`` tree."""
        if self.ensemble is not None:
            return self.ensemble.models[self.ensemble.online_window]
        window = self.selection.task_window
        return WindowModel(self.model, self.grid.window, self.grid.end_sample(window), self.sfreq)

    @property
    def exported_models(self) -> tuple[WindowModel, ...]:
        """The models whose mean decision `predict` applies (the headline model)."""
        return self.ensemble.models if self.ensemble is not None else (self.online_model,)

    @property
    def nested_fold_accuracies(self) -> np.ndarray:
        """Outer-fold accuracies of the headline model's whole training procedure."""
        return (
            self.ensemble.fold_accuracies
            if self.ensemble is not None
            else self.original_nested_fold_accuracies
        )

    @property
    def nested_accuracy(self) -> float:
        """The headline: nested accuracy of the exported model `predict` applies."""
        return float(np.mean(self.nested_fold_accuracies))

    @property
    def online_nested_fold_accuracies(self) -> np.ndarray:
        """Outer-fold accuracies of the procedure that makes the ``online`` tree's single-window model."""
        if self.ensemble is not None:
            return self.ensemble.online_fold_accuracies
        return self.original_nested_fold_accuracies

    @property
    def online_nested_accuracy(self) -> float:
        """Nested accuracy of the ``online`` tree's single-window model."""
        return float(np.mean(self.online_nested_fold_accuracies))
