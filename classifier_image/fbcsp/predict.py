"""Apply an exported ``classifier.json`` to a recording, using nothing but the JSON.

This is what an online consumer does, trial by trial: filter the continuous recording with the
exported FIR taps (causal, highpass then lowpass), take the window of ``windowSamples`` samples
ending ``windowEndSampleAfterCue`` samples after each cue, compute the band-major log-variance
features with the exported CSP filters, keep ``out_usedFeatureIDs`` and apply ``s = a0 + a1N . f``
(``s >= 0`` -> T1). On the training recording it reproduces ``TrainingResult.training_predictions``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InvalidUpload
from .export import SCHEMA_VERSION
from .features import log_variance_features
from .filterbank import BandDesign, filter_continuous
from .recording import Recording


class ClassifierFileError(ValueError):
    """``classifier.json`` is not a classifier this package can apply; the message says what is wrong."""


@dataclass(frozen=True, eq=False)
class ExportedClassifier:
    """The parts of ``classifier.json`` needed to classify a window.

    Attributes
    ----------
    sfreq : float
    ch_names : tuple of str
    bands : tuple of BandDesign
        Used bands in feature order, with the exported taps.
    filters : ndarray, shape (n_bands, 2m, n_channels)
    feature_ids : ndarray of int, shape (K,)
        0-based indices into the band-major feature vector.
    a0 : float
    weights : ndarray, shape (K,)
    window : int
        Window length W in samples.
    window_end : int
        Window end (exclusive) in samples after the cue.
    window_end_ms : float
    option_name : str
    """

    sfreq: float
    ch_names: tuple[str, ...]
    bands: tuple[BandDesign, ...]
    filters: np.ndarray
    feature_ids: np.ndarray
    a0: float
    weights: np.ndarray
    window: int
    window_end: int
    window_end_ms: float
    option_name: str


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
        Decision values ``s`` (``s >= 0`` -> T1).
    n_skipped : int
        Cues whose window does not fit inside the recording.
    """

    cue_samples: np.ndarray
    true_codes: np.ndarray
    predicted_codes: np.ndarray
    scores: np.ndarray
    n_skipped: int

    @property
    def agreement(self) -> float | None:
        """Fraction of predictions equal to the recording's labels (None without trials)."""
        if self.true_codes.size == 0:
            return None
        return float(np.mean(self.predicted_codes == self.true_codes))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ClassifierFileError(message)


def _number_array(value, name: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ClassifierFileError(f"{name} must be a {ndim}-D array of numbers") from None
    _require(array.ndim == ndim, f"{name} must be a {ndim}-D array of numbers, got {array.ndim}-D")
    _require(bool(np.all(np.isfinite(array))), f"{name} holds a non-finite number")
    return array


def parse_classifier(document: dict) -> ExportedClassifier:
    """Check a ``classifier.json`` document and extract the model.

    Raises
    ------
    ClassifierFileError
        Wrong or missing ``fbcsp.schemaVersion``, a missing key, or arrays whose shapes disagree
        (filters vs channels, K vs features, taps).
    """
    _require(isinstance(document, dict), "classifier.json must hold a JSON object")
    extra = document.get("fbcsp")
    _require(isinstance(extra, dict), "classifier.json has no 'fbcsp' block (not written by this package)")
    version = extra.get("schemaVersion")
    _require(
        version == SCHEMA_VERSION,
        f"classifier.json schemaVersion {version!r}; this package reads {SCHEMA_VERSION!r}",
    )
    try:
        online = document["online"]["p"]
        band_ids = [int(band_id) for band_id in extra["usedBandIDs"]]
        ch_names = tuple(str(name) for name in extra["channelNames"])
        sfreq = float(extra["sampleRateHz"])
        window = int(extra["windowSamples"])
        window_end = int(extra["windowEndSampleAfterCue"])
        filters_used = online["CSP"]["filters_used"]
        feature_ids = online["MI"]["out_usedFeatureIDs"]
        a0 = float(online["CF"]["param"]["a0"])
        weights = _number_array(online["CF"]["param"]["a1N"], "CF.param.a1N", 1)
        taps = {int(entry["bandID"]): entry for entry in extra["firTaps"]}
        edges = extra["bandEdgesHz"]
        window_end_ms = float(document["online"]["info"]["wt_taskOnset_cfWinOffset_ms"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ClassifierFileError(f"classifier.json lacks or mangles a required entry ({exc!r})") from None
    n_channels = len(ch_names)
    _require(
        n_channels >= 2 and sfreq > 0 and window >= 2,
        "channel count, sample rate or window length out of range",
    )
    _require(
        int(online["EEG"]["rec"]["validChNumber"]) == n_channels, "validChNumber differs from channelNames"
    )
    _require(len(edges) == len(band_ids), "bandEdgesHz and usedBandIDs differ in length")
    filters = []
    bands = []
    for band_id, band_edges in zip(band_ids, edges, strict=True):
        _require(1 <= band_id <= len(filters_used), f"filters_used has no entry for band {band_id}")
        band_filters = _number_array(filters_used[band_id - 1], f"filters_used[{band_id - 1}]", 2)
        _require(
            band_filters.shape[0] == n_channels and band_filters.shape[1] % 2 == 0,
            f"filters_used[{band_id - 1}] is {band_filters.shape}; "
            f"expected {n_channels} rows and an even number of columns",
        )
        filters.append(band_filters.T)
        _require(band_id in taps, f"firTaps has no entry for band {band_id}")
        bands.append(
            BandDesign(
                band_id=band_id,
                edges_hz=tuple(float(edge) for edge in band_edges),
                highpass=_number_array(taps[band_id]["highpass"], f"highpass taps of band {band_id}", 1),
                lowpass=_number_array(taps[band_id]["lowpass"], f"lowpass taps of band {band_id}", 1),
            )
        )
    _require(len({f.shape for f in filters}) == 1, "filters_used entries differ in shape")
    filter_stack = np.stack(filters)
    n_features = filter_stack.shape[0] * filter_stack.shape[1]
    _require(
        isinstance(feature_ids, list) and len(feature_ids) == 1 and isinstance(feature_ids[0], list),
        "MI.out_usedFeatureIDs must be a list holding one list of feature ids",
    )
    ids = np.asarray(feature_ids[0], dtype=np.int64) - 1
    _require(ids.size == weights.size, f"{ids.size} feature ids but {weights.size} weights in a1N")
    _require(bool(np.all((ids >= 0) & (ids < n_features))), f"feature ids must lie in 1..{n_features}")
    _require(len(set(ids.tolist())) == ids.size, "feature ids repeat")
    return ExportedClassifier(
        sfreq=sfreq,
        ch_names=ch_names,
        bands=tuple(bands),
        filters=filter_stack,
        feature_ids=ids,
        a0=a0,
        weights=weights,
        window=window,
        window_end=window_end,
        window_end_ms=window_end_ms,
        option_name=str(extra.get("optionName", "")),
    )


def load_classifier(path: str | Path) -> ExportedClassifier:
    """Read and check ``classifier.json``; see `parse_classifier`."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClassifierFileError(f"{path} is not a readable JSON file ({exc})") from exc
    return parse_classifier(document)


def check_compatible(classifier: ExportedClassifier, recording: Recording, check_names: bool = True) -> None:
    """Raise `InvalidUpload` if the recording's rate or channels differ from the classifier's."""
    if recording.sfreq != classifier.sfreq:
        raise InvalidUpload(
            f"the recording is sampled at {recording.sfreq:g} Hz, the classifier at {classifier.sfreq:g} Hz"
        )
    if recording.n_channels != len(classifier.ch_names):
        raise InvalidUpload(
            f"the recording has {recording.n_channels} channels, "
            f"the classifier expects {len(classifier.ch_names)}"
        )
    if check_names and [n.upper() for n in recording.ch_names] != [n.upper() for n in classifier.ch_names]:
        raise InvalidUpload(
            f"channels {list(recording.ch_names)} differ from the classifier's {list(classifier.ch_names)}"
        )


def predict_recording(
    classifier: ExportedClassifier, recording: Recording, check_names: bool = True
) -> Predictions:
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
    starts = recording.event_samples + classifier.window_end - classifier.window
    fits = (starts >= 0) & (starts + classifier.window <= recording.n_samples)
    starts = starts[fits]
    filtered = np.stack([filter_continuous(recording.data, band) for band in classifier.bands])
    offsets = starts[:, None] + np.arange(classifier.window)[None, :]
    windows = np.moveaxis(filtered[:, :, offsets], 2, 0)  # (n_trials, n_bands, n_channels, W)
    features = log_variance_features(windows, classifier.filters)
    scores = classifier.a0 + features[:, classifier.feature_ids] @ classifier.weights
    return Predictions(
        cue_samples=recording.event_samples[fits],
        true_codes=recording.event_codes[fits],
        predicted_codes=np.where(scores >= 0, 1, 2).astype(np.int64),
        scores=scores,
        n_skipped=int(np.count_nonzero(~fits)),
    )
