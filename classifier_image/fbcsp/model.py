"""Exported models: one FBCSP + RLDA model fitted on all trials at one window, and where that window lies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .channel_reduction import to_channel_space
from .time_resolved import fit_window_models

#: Version of classifier.json's ``fbcsp`` block
#: (1.1: ``ensemble``, group delays, the original's band entries).
SCHEMA_VERSION = "1.1"


@dataclass(frozen=True, eq=False)
class MergedModel:
    """A model trained on all trials at one window.

    Attributes
    ----------
    band_ids : tuple of int
    csp_matrices : ndarray, shape (n_bands, n_components, n_channels)
        Rows are CSP filters on the recorded channels (``n_components`` is the channel count, or
        `fbcsp.channel_reduction.MAX_CSP_DIMENSIONS` for a reduced montage).
    filters : ndarray, shape (n_bands, 2m, n_channels)
        Selected rows (first m, last m).
    feature_ranking : ndarray of int, shape (D,)
        0-based feature indices by decreasing MI (stable); features are band-major.
    mi_weights : ndarray, shape (D,)
        MI of each feature, indexed by feature.
    feature_ids : ndarray of int, shape (K,)
        ``feature_ranking[:K]``, 0-based (exports add 1).
    a0 : float
    weights : ndarray, shape (K,)
        RLDA weights on ``features[feature_ids]`` (exported as ``a1N``).
    """

    band_ids: tuple[int, ...]
    csp_matrices: np.ndarray
    filters: np.ndarray
    feature_ranking: np.ndarray
    mi_weights: np.ndarray
    feature_ids: np.ndarray
    a0: float
    weights: np.ndarray


@dataclass(frozen=True, eq=False)
class WindowModel:
    """A merged model and its window: ``window_samples`` samples ending ``end_sample`` samples after the cue.

    The end is exclusive, so the window is samples ``end_sample - window_samples .. end_sample - 1``
    relative to the cue sample.
    """

    model: MergedModel
    window_samples: int
    end_sample: int
    sfreq: float

    @property
    def end_ms(self) -> float:
        """Window end relative to the cue in ms (label time: the EEG in it is older by the filters' delay)."""
        return 1000.0 * self.end_sample / self.sfreq


def fit_merged_models(
    second: np.ndarray,
    first: np.ndarray,
    n_times: int,
    labels: np.ndarray,
    band_ids: tuple[int, ...],
    n_pairs: int,
    n_features: int,
    projection: np.ndarray | None = None,
    fitted_trials: np.ndarray | None = None,
) -> tuple[list[MergedModel], np.ndarray]:
    """Fit one model on all (fitted) trials with K = `n_features` at every window of the given moments.

    Parameters
    ----------
    second, first : ndarray
        Window moments, shapes (n_trials, n_windows, n_bands, C, C) and (n_trials, n_windows, n_bands, C).
    n_times : int
        Window length in samples.
    labels : ndarray of int, shape (n_trials,)
    band_ids : tuple of int
    n_pairs : int
    n_features : int
        K.
    projection : ndarray, shape (n_bands, n_components, n_channels), optional
        Channel reduction the moments were computed after (`fbcsp.channel_reduction`); the
        models' filters are mapped back to the recorded channels.
    fitted_trials : ndarray of bool, shape (n_trials,), optional
        The trials to fit on (`fbcsp.artifact_trials`); all by default.

    Returns
    -------
    models : list of MergedModel, one per window
    decisions : ndarray, shape (n_windows, n_trials)
        Each model's decision value on every (training) trial.
    """
    fit_on = np.ones((1, labels.size), dtype=bool) if fitted_trials is None else fitted_trials[None]
    fitted = fit_window_models(second, first, n_times, labels, fit_on, n_pairs, (n_features,))
    models = [
        MergedModel(
            band_ids=tuple(band_ids),
            csp_matrices=to_channel_space(fitted.csp_matrices[0, window], projection),
            filters=to_channel_space(fitted.filters[0, window], projection),
            feature_ranking=fitted.ranking[0, window],
            mi_weights=fitted.mi_scores[0, window],
            feature_ids=fitted.ranking[0, window, :n_features],
            a0=float(fitted.a0[0, window, 0]),
            weights=fitted.weights[0, window, 0, :n_features].copy(),
        )
        for window in range(second.shape[1])
    ]
    return models, fitted.decision[0, 0]
