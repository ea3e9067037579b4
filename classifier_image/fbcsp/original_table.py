"""The original's figures in ``metrics.json``: its ``T1_result_table`` and time-resolved accuracy curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .recording import CLASS_LABELS
from .selection import fold_summary, smooth_over_windows
from .training_result import TrainingResult


def finite_or_none(value: float | None) -> float | None:
    """A JSON-safe number: None for a missing or non-finite statistic."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def trials_per_class(labels: np.ndarray) -> dict[str, int]:
    """Trial count of each class name."""
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
            "trPerClass": list(trials_per_class(result.trial_labels).values()),
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
                f"{prefix}refPeakDA_mean": finite_or_none(stats[f"{prefix}ref_mean"]),
                f"{prefix}refPeakDA_std": finite_or_none(stats[f"{prefix}ref_std"]),
                f"{prefix}taskPeakDA_mean": finite_or_none(stats[f"{prefix}task_mean"]),
                f"{prefix}taskPeakDA_std": finite_or_none(stats[f"{prefix}task_std"]),
                f"{prefix}refPeakDA_lower_taskPeakDA_ttest_p": finite_or_none(stats[f"{prefix}ttest_p"]),
                f"{prefix}refPeakDA_lower_taskPeakDA_ttest2_p": finite_or_none(stats[f"{prefix}ttest2_p"]),
                f"{prefix}refPeakDA_lower_taskPeakDA_wilc_p": finite_or_none(stats[f"{prefix}wilcoxon_p"]),
            }
        )
    return table


def time_resolved_summary(result: TrainingResult) -> dict:
    """Per option: fold-mean and sd accuracy (percent) per window, raw and smoothed, with window end times."""
    grid = result.grid
    curves = {}
    for option, accuracy in zip(result.options, result.fold_accuracy, strict=True):
        mean, sd = fold_summary(accuracy)
        smooth_mean, smooth_sd = fold_summary(smooth_over_windows(accuracy, grid.smoothing_half_width))
        curves[option.name] = {
            name: [finite_or_none(value) for value in values.tolist()]
            for name, values in (
                ("mean", mean),
                ("sd", sd),
                ("smoothMean", smooth_mean),
                ("smoothSd", smooth_sd),
            )
        }
    return {"windowEndMs": grid.end_ms.tolist(), "options": curves}


def selected_option(result: TrainingResult):
    """The :class:`OptionSpec` the original rule selected."""
    return next(option for option in result.options if option.option_id == result.selection.option_id)
