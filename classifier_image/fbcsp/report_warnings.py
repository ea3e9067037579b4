"""The report's warnings: models no better than guessing, unbalanced or blocked classes, a chosen window
ending after the task, windows reaching the next cue, electrodes to check or left out, trials with an artifact.

:func:`report_warning_texts` is the list the report shows; the manifest carries the same list
(``metrics.reportWarnings``) to the session status. What holds in every session of a procedure (the
ensemble's windows reaching 7 s) is a note (:func:`timing_notes`), not a warning.
"""

from __future__ import annotations

import numpy as np

from .artifact_trials import artifact_warnings
from .channel_quality import channel_warnings
from .filterbank import group_delay_samples
from .recording import CLASS_LABELS
from .statistics import binomial_chance_threshold, runs_test
from .training_result import TrainingResult

#: Assumed task length after the cue (EEGMMIDB: about 4.1 s); uploads do not state it.
TASK_DURATION_MS = 4000.0
#: Runs-test z at or below which the class order is called blocked (about p = 0.001, one-sided).
BLOCKED_ORDER_Z = -3.0


def percent(value: float | None) -> str:
    """A fraction as the report prints it ("92.4 %"; "n/a" for None)."""
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _ensemble_end(result: TrainingResult) -> list[tuple[str, float]]:
    if result.ensemble is None:
        return []
    return [("The ensemble (headline model)", float(result.ensemble.windows.end_ms[-1]))]


def _chosen_end(result: TrainingResult) -> list[tuple[str, float]]:
    return [("The online tree's single-window model", result.online_model.end_ms)]


def decision_ends(result: TrainingResult) -> list[tuple[str, float]]:
    """Each exported model and the end of its latest window after the cue, in ms (headline first)."""
    return [*_ensemble_end(result), *_chosen_end(result)]


def _late_decisions(result: TrainingResult, ends: list[tuple[str, float]]) -> list[str]:
    delay_ms = max(1000.0 * group_delay_samples(band) / result.sfreq for band in result.bands)
    return [
        f"{name} decides {end_ms / 1000:g} s after the cue, "
        f"{(end_ms - TASK_DURATION_MS) / 1000:g} s after the task ends "
        f"(assuming a {TASK_DURATION_MS / 1000:g} s task): online feedback from it comes late. The "
        f"causal filters delay the EEG by up to {delay_ms:.0f} ms, so the newest EEG it uses is from about "
        f"{(end_ms - delay_ms) / 1000:.2f} s after the cue."
        for name, end_ms in ends
        if end_ms > TASK_DURATION_MS
    ]


def timing_warnings(result: TrainingResult) -> list[str]:
    """A warning when the window chosen from the data (the single-window model's) ends after the task."""
    return _late_decisions(result, _chosen_end(result))


def timing_notes(result: TrainingResult) -> list[str]:
    """The ensemble's decision time: its pre-declared windows reach 7 s after the cue in every session,
    so this is a note on the procedure, not a warning about the session."""
    return _late_decisions(result, _ensemble_end(result))


def overlap_warnings(result: TrainingResult) -> list[str]:
    """A warning when cues follow each other faster than the exported models' latest window ends.

    A window that ends after the next cue holds that trial's EEG, so what it learns and decides
    belongs partly to the wrong trial (and, in a strictly alternating design, predicts the label).
    """
    latest_ms = max(end_ms for _, end_ms in decision_ends(result))
    gaps_ms = 1000.0 * np.diff(result.trial_samples) / result.sfreq
    short = gaps_ms < latest_ms
    if not short.any():
        return []
    return [
        f"{int(np.count_nonzero(short))} of the {result.trial_labels.size} trials are followed by the next cue "
        f"less than {latest_ms / 1000:g} s later (shortest gap {gaps_ms.min() / 1000:.1f} s), but the exported "
        f"models use EEG up to {latest_ms / 1000:g} s after the cue: their late windows hold the next trial's "
        "EEG. Leave at least that long between cues."
    ]


def chance_warnings(result: TrainingResult) -> list[str]:
    """Warnings for exported models whose nested accuracy does not beat guessing on this session."""
    bar = max(binomial_chance_threshold(result.trial_labels.size), result.chance_level)
    headline_passes = result.nested_accuracy >= bar
    models = [("The headline model (what `fbcsp predict` applies)", result.nested_accuracy, "")]
    if result.ensemble is not None:
        models.append(
            (
                "The online tree's single-window model (what the original app runs)",
                result.online_nested_accuracy,
                f" The headline model reaches {percent(result.nested_accuracy)} on the same trials."
                if headline_passes
                else "",
            )
        )
    return [
        f"{name} reaches a nested accuracy of {percent(accuracy)}, under {percent(bar)} (the higher of the 95 % "
        "chance threshold and the majority rate): on this session it cannot be told apart from guessing, so "
        "feedback from it would be mostly chance."
        + (advice or " More trials, or a check of the channel names and the cue codes, may help.")
        for name, accuracy, advice in models
        if accuracy < bar
    ]


def balance_warnings(result: TrainingResult) -> list[str]:
    """A warning when always answering the larger class reaches the binomial chance threshold.

    The threshold assumes guessing right half the time; with unbalanced classes a classifier that
    ignores the EEG and answers the larger class does better than that.
    """
    threshold = binomial_chance_threshold(result.trial_labels.size)
    if result.chance_level < threshold:
        return []
    codes, counts = np.unique(result.trial_labels, return_counts=True)
    larger = CLASS_LABELS[int(codes[np.argmax(counts)])]
    trials = ", ".join(f"{count} {CLASS_LABELS[int(code)]}" for code, count in zip(codes, counts, strict=True))
    return [
        f"The classes are unbalanced ({trials} trials): always answering {larger} scores "
        f"{percent(result.chance_level)}, not below the 95 % chance threshold of {percent(threshold)}, "
        "which assumes guessing right half the time. Judge the accuracies against the majority rate, "
        "and record about as many trials of each class for a firmer estimate."
    ]


def order_warnings(result: TrainingResult) -> list[str]:
    """A warning when the classes come in blocks rather than interleaved.

    With one class early in the session and the other late, whatever changes over a session
    (electrode drift, fatigue, attention) differs between the classes too; a classifier can learn
    it instead of the imagery, and the chronological folds do not stop that.
    """
    runs, expected, z = runs_test(result.trial_labels)
    if not z <= BLOCKED_ORDER_Z:
        return []
    return [
        f"The classes come in blocks: the {result.trial_labels.size} trials form {runs} runs of one class, "
        f"where a random order would give about {expected:.0f}. A classifier can then learn what changed "
        "over the session (electrode drift, fatigue) rather than the imagery, so every accuracy here may "
        "overstate it. Interleave the classes in random order in the next session."
    ]


def report_warning_texts(result: TrainingResult) -> list[str]:
    """Every warning of the report, in the order it shows them (empty when it shows none)."""
    return [
        *chance_warnings(result),
        *balance_warnings(result),
        *order_warnings(result),
        *timing_warnings(result),
        *overlap_warnings(result),
        *channel_warnings(result.channel_quality, result.ch_names),
        *artifact_warnings(result.artifacts, result.trial_samples / result.sfreq),
    ]
