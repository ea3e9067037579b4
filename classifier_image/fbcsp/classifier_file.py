"""Read and check an exported ``classifier.json``: the model parts `fbcsp.predict` applies.

`parse_classifier` checks the ``fbcsp`` block's schema version and every array's shape against the
bands and channels, and returns the ensemble's windows when there is an ``fbcsp.ensemble`` block,
else the ``online`` tree's single window; anything it cannot use raises `ClassifierFileError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contracts.documents import is_finite_number, is_whole_number

from .filterbank import BAND_TABLE, BandDesign
from .model import SCHEMA_VERSION

#: Largest window length or cue offset, in samples, a classifier may give (2**31 - 1, about 74 hours at
#: 8 kHz): cue samples plus offsets then stay far inside the int64 arithmetic of `fbcsp.predict`.
MAX_SAMPLE_COUNT = 2**31 - 1


class ClassifierFileError(ValueError):
    """``classifier.json`` is not a classifier this package can apply; the message says what is wrong."""


@dataclass(frozen=True, eq=False)
class ExportedWindow:
    """One window model: ``window`` samples ending ``window_end`` samples after the cue.

    Attributes
    ----------
    filters : ndarray, shape (n_bands, 2m, n_channels)
    feature_ids : ndarray of int, shape (K,)
        0-based indices into the band-major feature vector.
    a0 : float
    weights : ndarray, shape (K,)
    window : int
    window_end : int
    """

    filters: np.ndarray
    feature_ids: np.ndarray
    a0: float
    weights: np.ndarray
    window: int
    window_end: int


@dataclass(frozen=True, eq=False)
class ExportedClassifier:
    """The parts of ``classifier.json`` needed to classify a trial.

    Attributes
    ----------
    sfreq : float
    ch_names : tuple of str
    bands : tuple of BandDesign
        Used bands in feature order, with the exported taps.
    windows : tuple of ExportedWindow
        The models whose mean decision classifies a trial (one for a single-window classifier).
    """

    sfreq: float
    ch_names: tuple[str, ...]
    bands: tuple[BandDesign, ...]
    windows: tuple[ExportedWindow, ...]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ClassifierFileError(message)


def _number_array(value, name: str, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError:  # ragged nesting
        raise ClassifierFileError(f"{name} must be a {ndim}-D array of numbers") from None
    # JSON numbers only: strings, null, booleans and integers beyond int64 are refused, not converted
    _require(array.dtype.kind in "iuf", f"{name} must be a {ndim}-D array of numbers")
    _require(array.ndim == ndim, f"{name} must be a {ndim}-D array of numbers, got {array.ndim}-D")
    array = array.astype(np.float64)
    _require(bool(np.all(np.isfinite(array))), f"{name} holds a non-finite number")
    return array


def _finite_number(value, name: str) -> float:
    _require(is_finite_number(value), f"{name} must be a finite number, got {value!r}")
    return float(value)


def _whole_number(value, name: str, minimum: int, maximum: int) -> int:
    _require(
        is_whole_number(value, minimum, maximum),
        f"{name} must be a whole number from {minimum} to {maximum}, got {value!r}",
    )
    return int(value)


def _window(
    filters_used,
    feature_ids,
    a0,
    weights,
    window,
    window_end,
    band_ids: list[int],
    n_channels: int,
    where: str,
) -> ExportedWindow:
    """Check one window model's arrays against the bands and channels."""
    filters = []
    for band_id in band_ids:
        _require(1 <= band_id <= len(filters_used), f"{where} filters_used has no entry for band {band_id}")
        band_filters = _number_array(filters_used[band_id - 1], f"{where} filters_used[{band_id - 1}]", 2)
        _require(
            band_filters.shape[0] == n_channels and band_filters.shape[1] % 2 == 0,
            f"{where} filters_used[{band_id - 1}] is {band_filters.shape}; "
            f"expected {n_channels} rows and an even number of columns",
        )
        filters.append(band_filters.T)
    _require(len({f.shape for f in filters}) == 1, f"{where} filters_used entries differ in shape")
    filter_stack = np.stack(filters)
    n_features = filter_stack.shape[0] * filter_stack.shape[1]
    weights = _number_array(weights, f"{where} a1N", 1)
    ids = _number_array(feature_ids, f"{where} feature ids", 1)
    _require(ids.size == weights.size, f"{where}: {ids.size} feature ids but {weights.size} weights")
    _require(
        bool(np.all((ids == np.round(ids)) & (ids >= 1) & (ids <= n_features))),
        f"{where} feature ids must lie in 1..{n_features} and be whole numbers",
    )
    ids = ids.astype(np.int64) - 1
    _require(len(set(ids.tolist())) == ids.size, f"{where} feature ids repeat")
    return ExportedWindow(
        filters=filter_stack,
        feature_ids=ids,
        a0=_finite_number(a0, f"{where} a0"),
        weights=weights,
        window=_whole_number(window, f"{where} window length", 2, MAX_SAMPLE_COUNT),
        window_end=_whole_number(window_end, f"{where} window end", -MAX_SAMPLE_COUNT, MAX_SAMPLE_COUNT),
    )


def parse_classifier(document: dict) -> ExportedClassifier:
    """Check a ``classifier.json`` document and extract the model (the ensemble when there is one).

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
        used_band_ids = extra["usedBandIDs"]
        names = extra["channelNames"]
        sfreq = extra["sampleRateHz"]
        taps = {entry["bandID"]: entry for entry in extra["firTaps"]}
        edges = extra["bandEdgesHz"]
        valid_channels = online["EEG"]["rec"]["validChNumber"]
        feature_ids = online["MI"]["out_usedFeatureIDs"]
        _require(
            isinstance(feature_ids, list) and len(feature_ids) == 1 and isinstance(feature_ids[0], list),
            "MI.out_usedFeatureIDs must be a list holding one list of feature ids",
        )
        ensemble = extra.get("ensemble")
        entries = (
            [
                (
                    entry["filters_used"],
                    entry["out_usedFeatureIDs"],
                    entry["a0"],
                    entry["a1N"],
                    entry["windowSamples"],
                    entry["windowEndSampleAfterCue"],
                    f"ensemble window {index + 1}",
                )
                for index, entry in enumerate(ensemble["windows"])
            ]
            if ensemble is not None
            else [
                (
                    online["CSP"]["filters_used"],
                    feature_ids[0],
                    online["CF"]["param"]["a0"],
                    online["CF"]["param"]["a1N"],
                    extra["windowSamples"],
                    extra["windowEndSampleAfterCue"],
                    "online",
                )
            ]
        )
    except (KeyError, TypeError) as exc:
        raise ClassifierFileError(f"classifier.json lacks or mangles a required entry ({exc!r})") from None
    _require(
        isinstance(names, list) and all(isinstance(name, str) for name in names), "channelNames must be a list of names"
    )
    ch_names = tuple(names)
    n_channels = len(ch_names)
    _require(n_channels >= 2, "channel count out of range")
    _require(
        is_finite_number(valid_channels) and valid_channels == n_channels, "validChNumber differs from channelNames"
    )
    sfreq = _finite_number(sfreq, "sampleRateHz")
    _require(sfreq > 0, "sample rate out of range")
    _require(isinstance(used_band_ids, list), "usedBandIDs must be a list of band ids")
    band_ids = [_whole_number(band_id, "a usedBandIDs entry", 1, max(BAND_TABLE)) for band_id in used_band_ids]
    _require(len(entries) >= 1, "the ensemble has no windows")
    _require(isinstance(edges, list) and len(edges) == len(band_ids), "bandEdgesHz and usedBandIDs differ in length")
    windows = tuple(_window(*entry[:6], band_ids, n_channels, entry[6]) for entry in entries)
    bands = []
    for band_id, band_edges in zip(band_ids, edges, strict=True):
        _require(band_id in taps and isinstance(taps[band_id], dict), f"firTaps has no entry for band {band_id}")
        edges_hz = _number_array(band_edges, f"bandEdgesHz of band {band_id}", 1)
        _require(edges_hz.size == 4, f"bandEdgesHz of band {band_id} must hold 4 edges")
        bands.append(
            BandDesign(
                band_id=band_id,
                edges_hz=tuple(edges_hz.tolist()),
                highpass=_taps(taps[band_id], "highpass", band_id),
                lowpass=_taps(taps[band_id], "lowpass", band_id),
            )
        )
    return ExportedClassifier(sfreq=sfreq, ch_names=ch_names, bands=tuple(bands), windows=windows)


def _taps(entry: dict, kind: str, band_id: int) -> np.ndarray:
    taps = _number_array(entry.get(kind), f"{kind} taps of band {band_id}", 1)
    _require(taps.size >= 1, f"{kind} taps of band {band_id} are empty")
    return taps


def load_classifier(path: str | Path) -> ExportedClassifier:
    """Read and check ``classifier.json``; see `parse_classifier`."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ClassifierFileError(f"{path} is not a readable JSON file ({exc})") from exc
    return parse_classifier(document)
