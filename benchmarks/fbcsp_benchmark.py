"""Speed and memory of the batched FBCSP analysis against a per-window mne + scikit-learn reference,
and against the channel count.

Usage::

    .venv/bin/python benchmarks/fbcsp_benchmark.py [--input ZIP] [--repeat N]
        [--reference-scope {outer,full}] [--part {all,reference,channels}]
        [--channels 8,16,32,64] [--subject S001] [--named] [--json OUT]

Reference comparison (8 channels, ``--part reference``):
The session is read once with the package reader. In this one process the script then times
(``time.perf_counter``) the reference (`benchmarks.reference.run_reference`, once) and the package
(`fbcsp.training.train`, best of N, without and with its permutation test; for the "outer"
scope also the package's outer-fold analysis alone, best of N), and prints a table with both
times, the like-for-like speed-up, both selection accuracies and their difference, the nested
accuracies, peak memory and PASS/FAIL against the targets of issue 4. Progress goes to stderr.

Memory: a process's peak RSS (``VmHWM``, or ``ru_maxrss`` without /proc) only ever grows, so
the reference runs first and this process's peak RSS after it is the reference's peak
(interpreter, libraries and the recording included). The package's peak is measured in a fresh
``spawn`` child that receives the same recording, runs ``train`` with the default options
(permutation test included) once with ``tracemalloc`` on, and reports its own peak RSS (whole
process) and the ``tracemalloc`` peak (Python and numpy allocations made by the analysis).

Channel axis (``--part channels``, `benchmarks.channel_axis`): the whole analysis with nested CV
on the subject's EEGMMIDB imagery runs with 8, 16, 32 and 64 channels, each in a fresh process,
with wall time, CPU time and peak RSS, against the issue 14 targets for the largest montage. The
channel names count as unknown (principal components above 16 channels, the costlier path)
unless ``--named`` is given (then the motor-area channels are kept).

The exit status is 0 when every target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT, REPO_ROOT / "classifier_image"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import numpy as np  # noqa: E402 - the package paths must be on sys.path first

from benchmarks.channel_axis import (  # noqa: E402
    CHANNEL_COUNTS,
    channel_axis,
    format_channel_axis,
    subject_recording,
)
from benchmarks.process_memory import current_rss_bytes, peak_rss_bytes, run_in_spawned_process  # noqa: E402
from benchmarks.reference import SCOPES, ReferenceResult, run_reference  # noqa: E402
from fbcsp.budget import WORKER_THREADS  # noqa: E402
from fbcsp.csp import csp_pairs_for_channels  # noqa: E402
from fbcsp.filterbank import design_band  # noqa: E402
from fbcsp.folds import chronological_folds, fold_masks  # noqa: E402
from fbcsp.recording import Recording  # noqa: E402
from fbcsp.selection import select_model  # noqa: E402
from fbcsp.time_resolved import fit_window_models, grid_accuracies  # noqa: E402
from fbcsp.training import train  # noqa: E402
from fbcsp.training_epochs import filtered_epochs, usable_trials  # noqa: E402
from fbcsp.training_options import TrainingOptions, available_options  # noqa: E402
from fbcsp.upload import read_upload  # noqa: E402
from fbcsp.windows import WindowGrid, window_moments  # noqa: E402

DEFAULT_INPUT = REPO_ROOT.parent / "shared" / "data" / "uploads" / "S001_imagery.zip"
TARGET_SPEEDUP = 20.0
TARGET_PACKAGE_SECONDS = 10.0
TARGET_ACCURACY_POINTS = 2.0
TARGET_PEAK_BYTES = 2 * 1024**3
TARGET_MONTAGE_SECONDS = 60.0
TARGET_MONTAGE_PEAK_BYTES = 1.5 * 1024**3
MB = 1024**2


def log(message: str) -> None:
    """Progress line on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def best_time(function: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Smallest wall time of `repeat` calls and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def package_outer_analysis(recording: Recording, options: TrainingOptions) -> float:
    """The package's steps that the "outer" reference scope covers, for a like-for-like time.

    Filtering, epochs, window moments, the outer-fold time-resolved analysis, selection and the
    merged model; no nested CV and no permutation test. Returns the selection accuracy.
    """
    grid = WindowGrid.for_rate(recording.sfreq)
    samples, labels, _ = usable_trials(recording, grid, options.n_folds)
    n_pairs = csp_pairs_for_channels(recording.n_channels)
    options_available = available_options(len(options.band_ids) * 2 * n_pairs)
    feature_counts = tuple(option.n_features for option in options_available)
    bands = tuple(design_band(band_id, recording.sfreq) for band_id in options.band_ids)
    epochs, _ = filtered_epochs(recording.data, bands, samples, grid, options.max_csp_dimensions)
    test = fold_masks(chronological_folds(labels, options.n_folds), options.n_folds)
    accuracy, _ = grid_accuracies(epochs, grid, labels, ~test, test, n_pairs, feature_counts)
    fold_accuracy = accuracy.swapaxes(0, 1)
    selection = select_model(fold_accuracy, grid)
    window = selection.task_window
    second, first = window_moments(epochs, grid, window, window + 1)
    everything = np.ones((1, labels.size), dtype=bool)
    fit_window_models(second, first, grid.window, labels, everything, n_pairs, feature_counts)
    return float(np.nanmean(fold_accuracy[selection.option_id - 1, :, selection.task_window]))


def _package_memory_child(recording: Recording, options: TrainingOptions, results) -> None:
    baseline = current_rss_bytes()
    tracemalloc.start()
    train(recording, options)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    results.put({"baseline_rss": baseline, "peak_rss": peak_rss_bytes(), "tracemalloc_peak": traced_peak})


def measure_package_memory(recording: Recording, options: TrainingOptions) -> dict[str, int]:
    """Run `train` once in a fresh spawned process and return its memory figures (bytes).

    Keys: ``baseline_rss`` (RSS after start-up and receiving the recording),
    ``peak_rss`` (after training), ``tracemalloc_peak`` (traced allocations during training).
    """
    return run_in_spawned_process(_package_memory_child, recording, options)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def collect_figures(
    recording: Recording,
    args: argparse.Namespace,
    reference: ReferenceResult,
    reference_seconds: float,
    reference_peak_rss: int,
    baseline_rss: int,
) -> dict:
    """Time and measure the package, then gather every figure of the comparison."""
    no_permutations = TrainingOptions(n_permutations=0)
    default_options = TrainingOptions()
    log(f"package: train() without permutation test, best of {args.repeat}")
    package_seconds, package = best_time(lambda: train(recording, no_permutations), args.repeat)
    log(f"package: {package_seconds:.2f} s; again with {default_options.n_permutations} permutations")
    with_permutations_seconds, _ = best_time(lambda: train(recording, default_options), args.repeat)
    if args.reference_scope == "outer":
        log(f"package: outer-fold analysis only (the reference's scope), best of {args.repeat}")
        like_for_like_seconds, _ = best_time(
            lambda: package_outer_analysis(recording, no_permutations), args.repeat
        )
    else:
        like_for_like_seconds = package_seconds
    log("package: memory run in a spawned child process")
    memory = measure_package_memory(recording, default_options)

    accuracy_difference = 100.0 * (package.selection_accuracy - reference.selection_accuracy)
    speedup = reference_seconds / like_for_like_seconds
    counts = np.bincount(package.trial_labels, minlength=3)
    return {
        "input": str(args.input),
        "session": {
            "trials": int(package.trial_labels.size),
            "trials_T1": int(counts[1]),
            "trials_T2": int(counts[2]),
            "dropped_cues": package.n_dropped_trials,
            "channels": len(package.ch_names),
            "sfreq_hz": package.sfreq,
            "windows": package.grid.n_windows,
            "folds": int(package.fold_accuracy.shape[1]),
            "options": [option.name for option in package.options],
            "band_ids": list(package.model.band_ids),
        },
        "machine": {"cpus": os.cpu_count(), "package_worker_threads": WORKER_THREADS},
        "reference_scope": args.reference_scope,
        "repeat": args.repeat,
        "seconds": {
            "package_full_no_permutations": package_seconds,
            "package_full_with_permutations": with_permutations_seconds,
            "package_like_for_like": like_for_like_seconds,
            "reference": reference_seconds,
        },
        "n_permutations": default_options.n_permutations,
        "speedup": speedup,
        "selection_accuracy": {
            "package": package.selection_accuracy,
            "reference": reference.selection_accuracy,
        },
        "accuracy_difference_points": accuracy_difference,
        # the reference implements the original's rule: compare with the package's nested figure of that rule
        "nested_accuracy": {
            "package": float(np.mean(package.original_nested_fold_accuracies)),
            "reference": reference.nested_accuracy,
        },
        "selection": {
            "package": _selection_summary(package.selection, package.grid),
            "reference": _selection_summary(reference.selection, package.grid),
        },
        "merged_model_agrees": bool(
            np.array_equal(package.model.feature_ids, reference.merged_feature_ids)
            and np.array_equal(package.training_predictions, reference.training_predictions)
        ),
        "fold_accuracy_max_abs_difference": float(
            np.nanmax(np.abs(package.fold_accuracy - reference.fold_accuracy))
        ),
        "memory_bytes": {
            "baseline_rss_main_process": baseline_rss,
            "reference_peak_rss": reference_peak_rss,
            "package_baseline_rss": memory["baseline_rss"],
            "package_peak_rss": memory["peak_rss"],
            "package_tracemalloc_peak": memory["tracemalloc_peak"],
        },
        "targets": {
            "speedup_at_least_20x": speedup >= TARGET_SPEEDUP,
            "package_under_10_s": package_seconds < TARGET_PACKAGE_SECONDS,
            "accuracy_within_2_points": abs(accuracy_difference) <= TARGET_ACCURACY_POINTS,
            "package_peak_at_most_2_gb": memory["peak_rss"] <= TARGET_PEAK_BYTES,
        },
    }


def _selection_summary(selection, grid: WindowGrid) -> dict:
    return {
        "option": f"A{selection.option_id:02d}",
        "task_window": selection.task_window,
        "task_window_end_ms": float(grid.end_ms[selection.task_window]),
    }


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


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="upload zip (default: %(default)s)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="package runs per timing, best kept (default: %(default)s)"
    )
    parser.add_argument(
        "--reference-scope",
        choices=SCOPES,
        default="full",
        help="full: outer folds, selection, merged model and nested CV (about 10 minutes on 2 busy "
        "cores); outer: without the nested CV, 1/7 of the work. The package is timed on the same "
        "scope. (default: %(default)s)",
    )
    parser.add_argument(
        "--channels",
        type=lambda text: tuple(int(count) for count in text.split(",")),
        default=CHANNEL_COUNTS,
        help="channel counts of the channel axis, comma-separated (default: 8,16,32,64)",
    )
    parser.add_argument(
        "--subject", default="S001", help="EEGMMIDB subject of the channel axis (default: %(default)s)"
    )
    parser.add_argument(
        "--part",
        choices=("all", "reference", "channels"),
        default="all",
        help="reference: only the 8-channel comparison with the per-window reference; channels: only "
        "the channel axis (default: both)",
    )
    parser.add_argument(
        "--named",
        action="store_true",
        help="channel axis with the channel names known: montages above 16 channels keep the "
        "motor-area channels instead of principal components",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def reference_comparison(args: argparse.Namespace) -> dict:
    """The 8-channel comparison with the per-window reference; prints its table."""
    log(f"reading {args.input}")
    recording = read_upload(args.input)
    baseline_rss = current_rss_bytes()
    log(f"reference ({args.reference_scope} scope): per-window mne CSP + scikit-learn LDA, takes minutes")
    started = time.perf_counter()
    reference = run_reference(recording, scope=args.reference_scope, progress=log)
    reference_seconds = time.perf_counter() - started
    reference_peak_rss = peak_rss_bytes()
    log(f"reference: {reference_seconds:.1f} s")
    figures = collect_figures(recording, args, reference, reference_seconds, reference_peak_rss, baseline_rss)
    print(format_report(figures))
    return figures


def channel_axis_figures(args: argparse.Namespace) -> dict:
    """The channel axis (whole analysis with nested CV, no permutations); prints its table."""
    options = TrainingOptions(n_permutations=0)
    log(f"reading EEGMMIDB {args.subject}")
    rows = channel_axis(subject_recording(args.subject), args.channels, options, log, args.named)
    largest = rows[-1]
    targets = {
        "largest_montage_under_60_s": largest["seconds"] < TARGET_MONTAGE_SECONDS,
        "largest_montage_peak_under_1_5_gib": largest["peak_rss_bytes"] < TARGET_MONTAGE_PEAK_BYTES,
    }
    print(format_channel_axis(rows, args.subject, options, args.named))
    print(f"Targets (issue 14, {largest['channels']} channels):")
    under_60_s = verdict(targets["largest_montage_under_60_s"])
    print(f"  {under_60_s}  whole analysis < {TARGET_MONTAGE_SECONDS:g} s")
    print(f"  {verdict(targets['largest_montage_peak_under_1_5_gib'])}  peak RSS < 1.5 GiB")
    return {"subject": args.subject, "names_known": args.named, "rows": rows, "targets": targets}


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    figures = {}
    if args.part in ("all", "reference"):
        figures["reference"] = reference_comparison(args)
    if args.part in ("all", "channels"):
        figures["channel_axis"] = channel_axis_figures(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        log(f"figures written to {args.json}")
    return 0 if all(all(part["targets"].values()) for part in figures.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
