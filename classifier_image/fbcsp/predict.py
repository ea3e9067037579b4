"""Apply an exported ``classifier.json`` to a recording, using nothing but the JSON.

This is what an online consumer does, trial by trial: filter the continuous recording with the
exported FIR taps (causal, highpass then lowpass), take the window of ``windowSamples`` samples
ending ``windowEndSampleAfterCue`` samples after each cue, compute the band-major log-variance
features with the exported CSP filters, keep ``out_usedFeatureIDs`` and apply ``s = a0 + a1N . f``.
With an ``fbcsp.ensemble`` block (the default model) it does this for every window of the
ensemble and decides by the mean of their ``s`` (``>= 0`` -> T1); without one it applies the
``online`` tree's single window. On the training recording it reproduces the exported model's
training predictions. `fbcsp.classifier_file` reads and checks the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .channel_quality import ChannelQuality
from .classifier_file import ExportedClassifier
from .electrodes import electrode_key
from .errors import InvalidUpload
from .features import log_variance_features
from .filterbank import filter_continuous
from .recording import Recording


@dataclass(frozen=True, eq=False)
class Predictions:
    """Per-trial output of the classifier.

    Attributes
    ----------
    cue_samples : ndarray of int
        Cues whose window lies inside the recording (others are skipped).
    true_codes : ndarray of int
        The recording's class of each cue (1/2).
    predicted_codes : ndarray of int
    scores : ndarray
        Decision values ``s`` (mean over the windows; ``s >= 0`` -> T1).
    n_skipped : int
        Cues whose window does not fit inside the recording.
    dead_weighted_channels : tuple of str
        Channels constant in the recording (an unconnected electrode, say) that the classifier's
        filters weigh: its predictions then lean on an electrode that recorded nothing.
    """

    cue_samples: np.ndarray
    true_codes: np.ndarray
    predicted_codes: np.ndarray
    scores: np.ndarray
    n_skipped: int
    dead_weighted_channels: tuple[str, ...] = ()

    @property
    def agreement(self) -> float | None:
        """Fraction of predictions equal to the recording's labels (None without trials)."""
        if self.true_codes.size == 0:
            return None
        return float(np.mean(self.predicted_codes == self.true_codes))


def check_compatible(classifier: ExportedClassifier, recording: Recording, check_names: bool = True) -> None:
    """Raise `InvalidUpload` if the recording's rate or channels differ from the classifier's."""
    if recording.sfreq != classifier.sfreq:
        raise InvalidUpload(
            f"the recording is sampled at {recording.sfreq:g} Hz, the classifier at {classifier.sfreq:g} Hz"
        )
    if recording.n_channels != len(classifier.ch_names):
        raise InvalidUpload(
            f"the recording has {recording.n_channels} channels, the classifier expects {len(classifier.ch_names)}"
        )
    if check_names and list(map(electrode_key, recording.ch_names)) != list(map(electrode_key, classifier.ch_names)):
        raise InvalidUpload(
            f"channels {list(recording.ch_names)} differ from the classifier's {list(classifier.ch_names)}"
        )


def dead_weighted_channels(classifier: ExportedClassifier, recording: Recording) -> tuple[str, ...]:
    """The recording's constant channels that some filter of the classifier gives a non-zero weight."""
    weighted = np.logical_or.reduce([np.any(model.filters != 0, axis=(0, 1)) for model in classifier.windows])
    constant = ChannelQuality.of(recording.data).constant
    return tuple(name for name, dead in zip(recording.ch_names, constant & weighted, strict=True) if dead)


def predict_recording(classifier: ExportedClassifier, recording: Recording, check_names: bool = True) -> Predictions:
    """Classify the window after every cue of ``recording`` with ``classifier``.

    Parameters
    ----------
    classifier : ExportedClassifier
    recording : Recording
        Same rate and channels (in the same order) as the training recording.
    check_names : bool
        Also require the channel names to match (case-insensitively).

    Returns
    -------
    Predictions
    """
    check_compatible(classifier, recording, check_names)
    starts = [recording.event_samples + model.window_end - model.window for model in classifier.windows]
    fits = np.logical_and.reduce(
        [
            (start >= 0) & (start + model.window <= recording.n_samples)
            for start, model in zip(starts, classifier.windows, strict=True)
        ]
    )
    filtered = np.stack([filter_continuous(recording.data, band) for band in classifier.bands])
    scores = np.zeros(int(np.count_nonzero(fits)))
    for start, model in zip(starts, classifier.windows, strict=True):
        offsets = start[fits][:, None] + np.arange(model.window)[None, :]
        windows = np.moveaxis(filtered[:, :, offsets], 2, 0)  # (n_trials, n_bands, n_channels, W)
        features = log_variance_features(windows, model.filters)
        scores += model.a0 + features[:, model.feature_ids] @ model.weights
    scores /= len(classifier.windows)
    return Predictions(
        cue_samples=recording.event_samples[fits],
        true_codes=recording.event_codes[fits],
        predicted_codes=np.where(scores >= 0, 1, 2).astype(np.int64),
        scores=scores,
        n_skipped=int(np.count_nonzero(~fits)),
        dead_weighted_channels=dead_weighted_channels(classifier, recording),
    )
