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
unless ``--named`` is given (then every montage above 8 channels keeps the motor-area channels).

The exit status is 0 when every target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT, REPO_ROOT / "classifier_image"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from benchmarks.channel_axis import (  # noqa: E402 - the package paths must be on sys.path first
    CHANNEL_COUNTS,
    EEGMMIDB_DIR,
    channel_axis,
    format_channel_axis,
    subject_files,
    subject_recording,
)
from benchmarks.comparison_figures import collect_figures, log  # noqa: E402
from benchmarks.comparison_report import format_report, verdict  # noqa: E402
from benchmarks.process_memory import current_rss_bytes, peak_rss_bytes  # noqa: E402
from benchmarks.reference import SCOPES, run_reference  # noqa: E402
from fbcsp.training_options import TrainingOptions  # noqa: E402
from fbcsp.upload import read_upload  # noqa: E402

DEFAULT_INPUT = REPO_ROOT.parent / "shared" / "data" / "uploads" / "S001_imagery.zip"
TARGET_MONTAGE_SECONDS = 60.0
TARGET_MONTAGE_PEAK_BYTES = 1.5 * 1024**3


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
        help="channel axis with the channel names known: montages above 8 channels keep only the "
        "motor-area channels",
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


def missing_channel_axis_recording(subject: str) -> str | None:
    """What the channel axis would fail on, found before the reference's minutes rather than after."""
    missing = [path for path in subject_files(subject, EEGMMIDB_DIR) if not path.is_file()]
    if not missing:
        return None
    return (
        f"the channel axis reads EEGMMIDB {subject} from {EEGMMIDB_DIR}, which lacks {missing[0].name} "
        "(../shared/data beside the repository); --part reference needs only --input"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    problem = missing_channel_axis_recording(args.subject) if args.part in ("all", "channels") else None
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
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
