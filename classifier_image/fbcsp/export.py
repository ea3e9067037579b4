"""``classifier.json`` from a :class:`TrainingResult` (classifier.md §6).

``classifier.json`` holds the original's ``online`` tree (same keys, nesting, JSON types and entry
shapes as the original's own export, so the AI4NG real-time consumer and ``classifierProcessor``
can load it) built from the single-window model (`TrainingResult.online_model`), plus a top-level
``fbcsp`` block with what the original lost (the FIR taps actually used and their group delay,
K, the window in samples, channel names...) and, by default, the ``ensemble`` of window models
that `fbcsp.predict` applies.

The file is strict JSON (``NaN``/``Infinity`` never appear) and is written deterministically:
keys in a fixed order, floats in Python's shortest round-trip form, so the exported numbers are
bit-exact and the same training gives the same bytes. Whole numbers of the original's scalar
settings (rates, band edges, dB, milliseconds) are written as JSON integers, as the original does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from contracts.manifest import CLASSIFIER_FILE, METRICS_FILE

from . import __version__
from .filterbank import BAND_TABLE, PASSBAND_RIPPLE_DB, STOPBAND_ATTENUATION_DB, group_delay_samples
from .metrics import metrics_document
from .model import SCHEMA_VERSION, WindowModel
from .recording import CLASS_LABELS
from .training_result import TrainingResult

#: Entries of the original's band table (ids 1..12; 7..10 undefined).
N_BAND_TABLE_ENTRIES = 12
#: Entries of the original's ``filters_used`` (one per band id 1..6).
N_FILTER_ENTRIES = 6
BAND_EDGE_NAMES = ("low1", "low2", "high1", "high2")


def to_json_bytes(document: Any) -> bytes:
    """Serialise strictly and deterministically (2-space indent, ASCII, trailing newline)."""
    return (json.dumps(document, indent=2, allow_nan=False, ensure_ascii=True) + "\n").encode("ascii")


def setting_number(value: float) -> int | float:
    """A scalar setting as the original writes it: an integer when whole, else a float."""
    number = float(value)
    return int(number) if number.is_integer() else number


def window_end_sample(result: TrainingResult, window: int) -> int:
    """End of grid window ``window`` (exclusive) in samples after the cue: ``k*S + W + pre``."""
    return result.grid.end_sample(window)


def _band_table_entries() -> list[dict]:
    entries = []
    for band_id in range(1, N_BAND_TABLE_ENTRIES + 1):
        edges = BAND_TABLE.get(band_id)
        values = [[] for _ in BAND_EDGE_NAMES] if edges is None else [setting_number(edge) for edge in edges]
        entries.append(dict(zip(BAND_EDGE_NAMES, values, strict=True)))
    return entries


def _filters_used(window_model: WindowModel) -> list:
    model = window_model.model
    entries: list = [[] for _ in range(max(N_FILTER_ENTRIES, *model.band_ids))]
    for band_id, filters in zip(model.band_ids, model.filters, strict=True):
        entries[band_id - 1] = np.asarray(filters, dtype=np.float64).T.tolist()  # rows = channels
    return entries


def _feature_ids(window_model: WindowModel) -> list[int]:
    return [int(i) + 1 for i in window_model.model.feature_ids]


def online_tree(result: TrainingResult) -> dict:
    """The original's ``online`` object for the single-window model (classifier.md §6)."""
    online = result.online_model
    n_channels = len(result.ch_names)
    legacy_triple = [0, 0, 0]
    return {
        "info": {
            "subject": 1,
            "session": 1,
            "outerFoldID_or_lastOuterFold999_or_allMergedOuterFolds0": 0,
            "wt_taskOnset_cfWinOffset_ms": setting_number(online.end_ms),
            "CFx": 1,
        },
        "p": {
            "EEG": {
                "rec": {
                    "sr": setting_number(result.sfreq),
                    "validChNumber": n_channels,
                    "validChIDs": list(range(1, n_channels + 1)),
                },
                "refFilt": {"used_non0_CAR1_Laplace2": 0},
                "used_bandpass1_bandpower2": 1,
                "bandPass": {
                    "band_pass_dB": setting_number(PASSBAND_RIPPLE_DB),
                    "band_stop_dB": setting_number(STOPBAND_ATTENUATION_DB),
                    "band": _band_table_entries(),
                },
                "bandPower": {"wSize": 1},
                "downsamp": {"sr": setting_number(result.sfreq)},
            },
            "CSP": {"filters_used": _filters_used(online)},
            "CF": {
                "winSize": {"ms": setting_number(1000.0 * online.window_samples / online.sfreq)},
                "param": {
                    "a0": float(online.model.a0),
                    "a1N": np.asarray(online.model.weights, dtype=np.float64).tolist(),
                },
                "substractedValue2_from_2ClassResults": list(legacy_triple),
                "SW_2ClassResultNorm_notUsed0_autoBaseline1_specNorm2": 0,
                "meanCurrent": {"wSize": {"ms": 200}},
                "gapBetweenCurrentAndRefWindows": {"wSize": {"ms": 600}},
                "meanReference": {"wSize": {"ms": 200}},
            },
            "MI": {"out_usedFeatureIDs": [_feature_ids(online)]},
            "CF_postProc": {
                "baseline": list(legacy_triple),
                "baseAmp": [1, 1, 1],
                "hyster": {
                    name: list(legacy_triple)
                    for name in ("class1_on", "class1_off", "class2_on", "class2_off")
                },
                "timer": {"hysterOnsetMin_sec": 0.3, "outClassWidth_sec": 0.1, "deadband_sec": 2},
            },
        },
    }


def _window_entry(window_model: WindowModel) -> dict:
    """One window model of the ``ensemble`` block, in the ``online`` tree's own layout."""
    return {
        "windowSamples": window_model.window_samples,
        "windowEndSampleAfterCue": window_model.end_sample,
        "windowEndMs": window_model.end_ms,
        "filters_used": _filters_used(window_model),
        "out_usedFeatureIDs": _feature_ids(window_model),
        "a0": float(window_model.model.a0),
        "a1N": np.asarray(window_model.model.weights, dtype=np.float64).tolist(),
    }


def fbcsp_block(result: TrainingResult) -> dict:
    """What a consumer needs beyond the original tree to apply the models without redesigning anything."""
    online = result.online_model
    delays = [group_delay_samples(band) for band in result.bands]
    block = {
        "schemaVersion": SCHEMA_VERSION,
        "packageVersion": __version__,
        "selection": result.selection_mode,
        "K": int(online.model.feature_ids.size),
        "cspPairs": result.csp_pairs,
        "usedBandIDs": list(online.model.band_ids),
        "bandEdgesHz": [list(map(float, band.edges_hz)) for band in result.bands],
        "firTaps": [
            {
                "bandID": band.band_id,
                "highpass": np.asarray(band.highpass, dtype=np.float64).tolist(),
                "lowpass": np.asarray(band.lowpass, dtype=np.float64).tolist(),
            }
            for band in result.bands
        ],
        "filtering": "causal: per band, highpass FIR then lowpass FIR along time, zero initial state",
        "groupDelaySamples": delays,
        "groupDelayMs": [1000.0 * delay / result.sfreq for delay in delays],
        "timing": "window times are label times relative to the cue; the filtered EEG in a window is "
        "older than its label by the band's group delay (linear-phase FIRs: half of each filter's length)",
        "channelNames": list(result.ch_names),
        "classLabels": {str(code): name for code, name in CLASS_LABELS.items()},
        "sampleRateHz": result.sfreq,
        "windowSamples": online.window_samples,
        "windowEndSampleAfterCue": online.end_sample,
        "windowEndMs": online.end_ms,
        "features": "f = ln(var(F @ E, ddof=1)) per used band in usedBandIDs order, band-major; "
        "F = filters_used[bandID-1] transposed, E = the last windowSamples samples (channels x time)",
        "decision": "s = a0 + a1N . f[out_usedFeatureIDs - 1]; s >= 0 -> 1 (T1), otherwise 2 (T2)",
    }
    if result.ensemble is not None:
        block["ensemble"] = {
            "decision": "mean over windows of each window's s (computed as in 'decision' from its own "
            "window, filters_used, out_usedFeatureIDs, a0 and a1N); mean >= 0 -> 1 (T1), otherwise 2 (T2)",
            "windows": [_window_entry(window_model) for window_model in result.ensemble.models],
        }
    return block


def classifier_document(result: TrainingResult) -> dict:
    """The whole ``classifier.json`` document."""
    return {"online": online_tree(result), "fbcsp": fbcsp_block(result)}


def write_model_files(
    result: TrainingResult, out_dir: Path, session_id: str | None = None
) -> dict[str, Path]:
    """Write ``classifier.json`` and ``metrics.json`` into ``out_dir``; return name -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, document in (
        (CLASSIFIER_FILE, classifier_document(result)),
        (METRICS_FILE, metrics_document(result, session_id)),
    ):
        path = out_dir / name
        path.write_bytes(to_json_bytes(document))
        written[name] = path
    return written
