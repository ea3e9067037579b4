"""``classifier.json`` and ``metrics.json`` from a :class:`TrainingResult` (classifier.md §6).

``classifier.json`` holds the original's ``online`` tree (same keys, nesting and shapes, so the
AI4NG real-time consumer and ``classifierProcessor`` can load it) built from the merged model of
the **selected** option at its raw task-peak window, plus a top-level ``fbcsp`` block with what the
original lost (the FIR taps actually used, the option, K, the window in samples, channel names...).

Both files are strict JSON (``NaN``/``Infinity`` never appear: undefined statistics become
``null``) and are written deterministically: keys in a fixed order, floats in Python's shortest
round-trip form, so the exported numbers are bit-exact and the same training gives the same bytes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .filterbank import BAND_TABLE, PASSBAND_RIPPLE_DB, STOPBAND_ATTENUATION_DB
from .recording import CLASS_LABELS
from .selection import fold_summary, smooth_over_windows
from .training import TrainingResult

SCHEMA_VERSION = "1.0"
CLASSIFIER_FILE = "classifier.json"
METRICS_FILE = "metrics.json"
#: Entries of the original's band table (ids 1..12; 7..10 undefined).
N_BAND_TABLE_ENTRIES = 12
#: Entries of the original's ``filters_used`` (one per band id 1..6).
N_FILTER_ENTRIES = 6


def to_json_bytes(document: Any) -> bytes:
    """Serialise strictly and deterministically (2-space indent, ASCII, trailing newline)."""
    return (json.dumps(document, indent=2, allow_nan=False, ensure_ascii=True) + "\n").encode("ascii")


def _finite_or_none(value: float | None) -> float | None:
    """A JSON-safe number: None for a missing or non-finite statistic."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def window_end_sample(result: TrainingResult, window: int) -> int:
    """End of window ``window`` (exclusive) in samples after the cue: ``k*S + W + pre``."""
    return result.grid.end_sample(window)


def _band_table_entries() -> list:
    entries: list = []
    for band_id in range(1, N_BAND_TABLE_ENTRIES + 1):
        edges = BAND_TABLE.get(band_id)
        entries.append(
            []
            if edges is None
            else dict(zip(("low1", "low2", "high1", "high2"), map(float, edges), strict=True))
        )
    return entries


def _filters_used(result: TrainingResult) -> list:
    model = result.model
    entries: list = [[] for _ in range(max(N_FILTER_ENTRIES, *model.band_ids))]
    for band_id, filters in zip(model.band_ids, model.filters, strict=True):
        entries[band_id - 1] = np.asarray(filters, dtype=np.float64).T.tolist()  # rows = channels
    return entries


def online_tree(result: TrainingResult) -> dict:
    """The original's ``online`` object for the selected option and window (classifier.md §6)."""
    model, grid = result.model, result.grid
    n_channels = len(result.ch_names)
    legacy_triple = [0, 0, 0]
    return {
        "info": {
            "subject": 1,
            "session": 1,
            "outerFoldID_or_lastOuterFold999_or_allMergedOuterFolds0": 0,
            "wt_taskOnset_cfWinOffset_ms": float(grid.end_ms[result.selection.task_window]),
            "CFx": 1,
        },
        "p": {
            "EEG": {
                "rec": {
                    "sr": result.sfreq,
                    "validChNumber": n_channels,
                    "validChIDs": list(range(1, n_channels + 1)),
                },
                "refFilt": {"used_non0_CAR1_Laplace2": 0},
                "used_bandpass1_bandpower2": 1,
                "bandPass": {
                    "band_pass_dB": PASSBAND_RIPPLE_DB,
                    "band_stop_dB": STOPBAND_ATTENUATION_DB,
                    "band": _band_table_entries(),
                },
                "bandPower": {"wSize": 1},
                "downsamp": {"sr": result.sfreq},
            },
            "CSP": {"filters_used": _filters_used(result)},
            "CF": {
                "winSize": {"ms": 1000.0 * grid.window / grid.sfreq},
                "param": {"a0": float(model.a0), "a1N": np.asarray(model.weights, dtype=np.float64).tolist()},
                "substractedValue2_from_2ClassResults": list(legacy_triple),
                "SW_2ClassResultNorm_notUsed0_autoBaseline1_specNorm2": 0,
                "meanCurrent": {"wSize": {"ms": 200}},
                "gapBetweenCurrentAndRefWindows": {"wSize": {"ms": 600}},
                "meanReference": {"wSize": {"ms": 200}},
            },
            "MI": {"out_usedFeatureIDs": [[int(i) + 1 for i in model.feature_ids]]},
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


def selected_option(result: TrainingResult):
    """The :class:`OptionSpec` of the selected option."""
    return next(option for option in result.options if option.option_id == result.selection.option_id)


def fbcsp_block(result: TrainingResult) -> dict:
    """What a consumer needs beyond the original tree to apply the model without redesigning anything."""
    option, grid = selected_option(result), result.grid
    window = result.selection.task_window
    return {
        "schemaVersion": SCHEMA_VERSION,
        "packageVersion": __version__,
        "optionID": option.option_id,
        "optionName": option.name,
        "K": option.n_features,
        "cspPairs": result.csp_pairs,
        "usedBandIDs": list(result.model.band_ids),
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
        "channelNames": list(result.ch_names),
        "classLabels": {str(code): name for code, name in CLASS_LABELS.items()},
        "sampleRateHz": result.sfreq,
        "windowSamples": grid.window,
        "stepSamples": grid.step,
        "windowIndex": window,
        "windowEndSampleAfterCue": window_end_sample(result, window),
        "windowEndMs": float(grid.end_ms[window]),
        "features": "f = ln(var(F @ E, ddof=1)) per used band in usedBandIDs order, band-major; "
        "F = filters_used[bandID-1] transposed, E = the last windowSamples samples (channels x time)",
        "decision": "s = a0 + a1N . f[out_usedFeatureIDs - 1]; s >= 0 -> 1 (T1), otherwise 2 (T2)",
    }


def classifier_document(result: TrainingResult) -> dict:
    """The whole ``classifier.json`` document."""
    return {"online": online_tree(result), "fbcsp": fbcsp_block(result)}


def _trials_per_class(labels: np.ndarray) -> dict[str, int]:
    return {name: int(np.count_nonzero(labels == code)) for code, name in CLASS_LABELS.items()}


def _fold_counts(result: TrainingResult, test: bool) -> list[int]:
    n_folds = result.fold_accuracy.shape[1]
    return [int(np.count_nonzero((result.folds == fold) == test)) for fold in range(n_folds)]


def _fold_counts_per_class(result: TrainingResult, test: bool) -> list[list[int]]:
    n_folds = result.fold_accuracy.shape[1]
    return [
        [
            int(np.count_nonzero(((result.folds == fold) == test) & (result.trial_labels == code)))
            for code in CLASS_LABELS
        ]
        for fold in range(n_folds)
    ]


def result_table(result: TrainingResult, session_id: str | None = None) -> dict:
    """The original's ``T1_result_table`` fields (times in ms from the epoch start, accuracies in percent).

    ``testTrials``/``trainTrials`` and their per-class variants are lists with one entry per
    outer fold (the original kept one fold's counts). ``smoothWidth_ms`` is the real width of the
    smoothing span, ``2 h`` windows of the real step (200 ms at 125/250/500 Hz).
    """
    grid, selection, stats = result.grid, result.selection, result.selection.stats
    trig_ms = 1000.0 * grid.cue_index / grid.sfreq

    def from_epoch_start(window: int) -> float:
        return float(grid.end_ms[window] + trig_ms)

    table: dict[str, Any] = {}
    if session_id is not None:
        table["ssr_code"] = session_id
    table.update(
        {
            "classes": len(CLASS_LABELS),
            "CVfolds": int(result.fold_accuracy.shape[1]),
            "allTrials": int(result.trial_labels.size),
            "trPerClass": list(_trials_per_class(result.trial_labels).values()),
            "testTrials": _fold_counts(result, test=True),
            "testTrPerClass": _fold_counts_per_class(result, test=True),
            "trainTrials": _fold_counts(result, test=False),
            "trainTrPerClass": _fold_counts_per_class(result, test=False),
            "cfWin_ms": 1000.0 * grid.window / grid.sfreq,
            "cfStep_ms": grid.step_ms,
            "smoothWidth_ms": 2 * grid.smoothing_half_width * grid.step_ms,
            "opt_tt_ID": selection.option_id,
            "trigPoint_ms": trig_ms,
            "refInterval_ms": [
                from_epoch_start(int(grid.ref_windows[0])),
                from_epoch_start(int(grid.ref_windows[-1])),
            ],
            "taskInterval_ms": [
                from_epoch_start(int(grid.task_windows[0])),
                from_epoch_start(int(grid.task_windows[-1])),
            ],
            "refPeak_ms": from_epoch_start(selection.ref_window),
            "taskPeak_ms": from_epoch_start(selection.task_window),
            "smooth_refPeak_ms": from_epoch_start(selection.smooth_ref_window),
            "smooth_taskPeak_ms": from_epoch_start(selection.smooth_task_window),
        }
    )
    for prefix in ("", "smooth_"):
        table.update(
            {
                f"{prefix}refPeakDA_mean": _finite_or_none(stats[f"{prefix}ref_mean"]),
                f"{prefix}refPeakDA_std": _finite_or_none(stats[f"{prefix}ref_std"]),
                f"{prefix}taskPeakDA_mean": _finite_or_none(stats[f"{prefix}task_mean"]),
                f"{prefix}taskPeakDA_std": _finite_or_none(stats[f"{prefix}task_std"]),
                f"{prefix}refPeakDA_lower_taskPeakDA_ttest_p": _finite_or_none(stats[f"{prefix}ttest_p"]),
                f"{prefix}refPeakDA_lower_taskPeakDA_ttest2_p": _finite_or_none(stats[f"{prefix}ttest2_p"]),
                f"{prefix}refPeakDA_lower_taskPeakDA_wilc_p": _finite_or_none(stats[f"{prefix}wilcoxon_p"]),
            }
        )
    return table


def estimates(result: TrainingResult) -> dict:
    """The accuracy figures with what each one means (fractions 0..1)."""
    training_accuracy = float(np.mean(result.training_predictions == result.trial_labels))
    cv_accuracy = float(np.mean(result.cv_predictions == result.trial_labels))
    return {
        "selectionAccuracy": {
            "value": result.selection_accuracy,
            "meaning": "fold-mean CV accuracy at the selected option and window, chosen on these same folds "
            "(the original's figure; optimistic)",
        },
        "nestedAccuracy": {
            "value": result.nested_accuracy,
            "foldValues": np.asarray(result.nested_fold_accuracies, dtype=np.float64).tolist(),
            "meaning": "option and window chosen inside each outer training set, scored on the outer "
            "test trials "
            "(honest estimate of the whole procedure)",
        },
        "pooledCvAccuracy": {
            "value": cv_accuracy,
            "meaning": "fraction of trials predicted correctly by the fold model that tested them, "
            "at the selected "
            "option and window (same optimism as selectionAccuracy)",
        },
        "trainingAccuracy": {
            "value": training_accuracy,
            "meaning": "exported (all-trials) model on its own training trials; "
            "not an estimate of performance",
        },
        "chanceLevel": {"value": result.chance_level, "meaning": "majority-class rate"},
        "permutationPValue": {
            "value": _finite_or_none(result.permutation_p_value),
            "nPermutations": result.n_permutations,
            "meaning": "share of label permutations whose best smoothed task-window accuracy reaches "
            "the observed one, "
            "(1 + count) / (1 + n); null when no permutations were run",
        },
    }


def time_resolved_summary(result: TrainingResult) -> dict:
    """Per option: fold-mean and sd accuracy (percent) per window, raw and smoothed, with window end times."""
    grid = result.grid
    curves = {}
    for option, accuracy in zip(result.options, result.fold_accuracy, strict=True):
        mean, sd = fold_summary(accuracy)
        smooth_mean, smooth_sd = fold_summary(smooth_over_windows(accuracy, grid.smoothing_half_width))
        curves[option.name] = {
            name: [_finite_or_none(value) for value in values.tolist()]
            for name, values in (
                ("mean", mean),
                ("sd", sd),
                ("smoothMean", smooth_mean),
                ("smoothSd", smooth_sd),
            )
        }
    return {"windowEndMs": grid.end_ms.tolist(), "options": curves}


def metrics_document(result: TrainingResult, session_id: str | None = None) -> dict:
    """The whole ``metrics.json`` document."""
    option = selected_option(result)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "packageVersion": __version__,
        "resultTable": result_table(result, session_id),
        "estimates": estimates(result),
        "selected": {
            "optionID": option.option_id,
            "optionName": option.name,
            "K": option.n_features,
            "windowIndex": result.selection.task_window,
            "windowEndMs": float(result.grid.end_ms[result.selection.task_window]),
        },
        "trials": {
            "used": int(result.trial_labels.size),
            "perClass": _trials_per_class(result.trial_labels),
            "droppedIncompleteEpochs": result.n_dropped_trials,
        },
        "recording": {"sampleRateHz": result.sfreq, "channelNames": list(result.ch_names)},
        "timeResolved": time_resolved_summary(result),
    }


def manifest_metrics(result: TrainingResult) -> dict:
    """The ``metrics`` block of the container manifest (docs/contracts.md)."""
    option = selected_option(result)
    return {
        "selectionAccuracy": result.selection_accuracy,
        "nestedAccuracy": result.nested_accuracy,
        "chanceLevel": result.chance_level,
        "permutationPValue": _finite_or_none(result.permutation_p_value),
        "selectedOption": option.name,
        "optionId": option.option_id,
        "K": option.n_features,
        "windowEndMs": float(result.grid.end_ms[result.selection.task_window]),
        "classes": {str(code): name for code, name in CLASS_LABELS.items()},
        "usedBandIDs": list(result.model.band_ids),
        "bandsHz": [list(map(float, band.edges_hz)) for band in result.bands],
        "trialsPerClass": _trials_per_class(result.trial_labels),
        "classifierSchemaVersion": SCHEMA_VERSION,
    }


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
