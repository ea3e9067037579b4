"""The printed table of the reference comparison (`format_report`) and the PASS/FAIL word of a target."""

from __future__ import annotations

from pathlib import Path

from benchmarks.comparison_figures import (
    TARGET_ACCURACY_POINTS,
    TARGET_PACKAGE_SECONDS,
    TARGET_SPEEDUP,
)

MB = 1024**2


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def format_report(figures: dict) -> str:
    """The human-readable table printed to stdout."""
    session, seconds, memory = figures["session"], figures["seconds"], figures["memory_bytes"]
    machine = figures["machine"]
    accuracy, nested, targets = figures["selection_accuracy"], figures["nested_accuracy"], figures["targets"]
    scope = figures["reference_scope"]
    like_for_like = (
        "full analysis: outer folds, selection, merged model and nested CV, no permutation test"
        if scope == "full"
        else "outer folds, selection and merged model (no nested CV, no permutation test)"
    )

    def percent(value):
        return "n/a (scope outer)" if value is None else f"{100 * value:.2f}"

    def megabytes(key):
        return f"{memory[key] / MB:.0f}"

    def selected(name):
        choice = figures["selection"][name]
        return f"{choice['option']}, window {choice['task_window']} ({choice['task_window_end_ms']:+.0f} ms)"

    rows = [
        ("", "package", "reference"),
        (
            f"time, {scope} scope (s)",
            f"{seconds['package_like_for_like']:.2f}",
            f"{seconds['reference']:.1f}",
        ),
        ("time, full train() (s)", f"{seconds['package_full_no_permutations']:.2f}", ""),
        (
            f"  + permutation test ({figures['n_permutations']}) (s)",
            f"{seconds['package_full_with_permutations']:.2f}",
            "not implemented",
        ),
        ("selection accuracy (%)", percent(accuracy["package"]), percent(accuracy["reference"])),
        ("selected option, task window", selected("package"), selected("reference")),
        ("nested accuracy (%)", percent(nested["package"]), percent(nested["reference"])),
        ("peak RSS, whole process (MB)", megabytes("package_peak_rss"), megabytes("reference_peak_rss")),
        (
            "  RSS before the analysis (MB)",
            megabytes("package_baseline_rss"),
            megabytes("baseline_rss_main_process"),
        ),
        ("tracemalloc peak of train() (MB)", megabytes("package_tracemalloc_peak"), ""),
    ]
    width = max(len(row[0]) for row in rows) + 2
    column = max(len(row[1]) for row in rows) + 2
    lines = [
        f"FBCSP benchmark: {Path(figures['input']).name}",
        f"  {session['trials']} trials ({session['trials_T1']} T1 / {session['trials_T2']} T2; "
        f"{session['dropped_cues']} cue(s) without a complete epoch dropped), "
        f"{session['channels']} channels, {session['sfreq_hz']:g} Hz, {session['windows']} windows, "
        f"{session['folds']} folds, options {'/'.join(session['options'])}, bands {session['band_ids']}",
        f"  {machine['cpus']} CPUs; package: batched, {machine['package_worker_threads']} worker threads, "
        f"best of {figures['repeat']}; reference: per-window loop, one run",
        f"  like-for-like scope ({scope}): {like_for_like}",
        "",
        *(f"  {label:<{width}}{left:<{column}}{right}" for label, left, right in rows),
        "",
        f"  speed-up ({scope} scope): {figures['speedup']:.1f}x",
        f"  selection accuracy difference: {figures['accuracy_difference_points']:+.2f} points; "
        f"largest fold-accuracy difference over all options/folds/windows: "
        f"{100 * figures['fold_accuracy_max_abs_difference']:.2f} points; "
        "merged model (features, training predictions) identical: "
        + ("yes" if figures["merged_model_agrees"] else "no"),
        "",
        "Targets (issue 4):",
        f"  {verdict(targets['speedup_at_least_20x'])}  speed-up >= {TARGET_SPEEDUP:g}x ({scope} scope)",
        f"  {verdict(targets['package_under_10_s'])}  package full analysis < {TARGET_PACKAGE_SECONDS:g} s "
        "(all options, windows, folds, merged model, nested CV)",
        f"  {verdict(targets['accuracy_within_2_points'])}  |selection accuracy difference| <= "
        f"{TARGET_ACCURACY_POINTS:g} points",
        f"  {verdict(targets['package_peak_at_most_2_gb'])}  package peak RSS <= 2 GB",
        "",
        "Memory: peak RSS = high-water RSS of a whole process (interpreter, numpy/scipy/mne/sklearn,",
        "the recording). The reference ran first in this process, so this process's peak after it is",
        "the reference's peak; the package ran train() (with permutations) once in a fresh spawned",
        "child that reports its own peak RSS, plus the tracemalloc peak of the analysis itself.",
    ]
    return "\n".join(lines)
