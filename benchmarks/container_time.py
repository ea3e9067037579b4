"""Wall time of a whole classifier run against the time of its analysis (issue 14 section 5).

Usage::

    .venv/bin/python benchmarks/container_time.py [--input ZIP] [--permutations N] [--repeat N] [--optimize N]

The end-to-end run is ``python -m fbcsp train ZIP --out DIR`` in a fresh interpreter: the work
of the container's entrypoint (imports, reading and checking the upload, training with the
permutation test, writing classifier.json, metrics.json, report.html and every figure) except
the S3 transfers, at the image's ``PYTHONOPTIMIZE`` (``--optimize``), prepared as the image's
build prepares it: bytecode compiled by an untimed first run, the filter designs and matplotlib's
font list stored (``FBCSP_FILTER_DESIGNS``, ``FBCSP_FONT_LIST``, untimed), and each run's matplotlib
cache folder empty, as the task's ``/tmp`` volume is. Its progress lines on stderr are
timestamped as they arrive, with the child's CPU time read from /proc at that moment, which
splits the run into its stages. Its analysis stage (from "read" to "permutation test": train()
before its permutations) is the analysis as the run meets it: cold, in a process that has just
started, under the same load as the rest.

The analysis is also timed as before: `fbcsp.training.train` without permutations in this
process after a first call (warm; the "whole analysis" of the speed benchmark), once after each
end-to-end run, so that the two meet the same load. Also timed: a
fresh interpreter that only imports the entrypoint's modules, the permutation test alone (train
with and without it, difference) and the report (figures included). Each figure is the best of
``--repeat`` runs (the stages: of the fastest end-to-end run), for wall time and CPU time (user
+ system, children included; on a loaded machine the CPU figures are the comparable ones). The
exit status is 0 when the end-to-end (wall) time is at most twice the analysis by both measures.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = REPO_ROOT / "classifier_image"
for _path in (REPO_ROOT, PACKAGE_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fbcsp import filter_designs, font_list  # noqa: E402 - the package paths must be on sys.path first
from fbcsp.report import write_report  # noqa: E402
from fbcsp.training import train  # noqa: E402
from fbcsp.training_options import TrainingOptions  # noqa: E402
from fbcsp.upload import read_upload  # noqa: E402
from sandbox.container_process import CLASSIFIER_PYTHON_PATH  # noqa: E402

DEFAULT_INPUT = REPO_ROOT.parent / "shared" / "data" / "uploads" / "S001_imagery.zip"
TARGET_RATIO = 2.0
#: PYTHONOPTIMIZE of the classifier image (classifier_image/Dockerfile).
IMAGE_OPTIMIZE = 0
#: Stages of the end-to-end run: label and the start of the ``fbcsp:`` progress line that ends it
#: (None: the process's exit). The permutation line is missing with 0 permutations.
STAGES = (
    ("start, imports, reading the upload", "read "),
    ("analysis (train() until its permutations, cold)", "permutation test"),
    ("permutation test", "writing classifier.json"),
    ("classifier.json and metrics.json", "writing report.html"),
    ("report.html and figures", "done"),
    ("exit", None),
)
_PROGRESS_PREFIX = "fbcsp: "


@dataclass(frozen=True)
class Mark:
    """When a progress line arrived: wall seconds since the start and the child's CPU seconds."""

    message: str
    wall: float
    cpu: float


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_seconds(run, repeat: int) -> tuple[float, float]:
    """Smallest wall time and smallest CPU time of `repeat` calls of `run`."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall_started, cpu_started = time.perf_counter(), cpu_seconds()
        run()
        walls.append(time.perf_counter() - wall_started)
        cpus.append(cpu_seconds() - cpu_started)
    return min(walls), min(cpus)


def child_environment(optimize: int, build_dir: Path, stored_font_list: bool = True) -> dict[str, str]:
    """Environment of the fresh interpreters as the image's build prepares its runs: the package
    importable, the image's optimisation level (``PYTHONOPTIMIZE`` in classifier_image/Dockerfile),
    bytecode cached in ``build_dir`` (compiled by a first run), the stored filter designs and, with
    `stored_font_list`, matplotlib's stored font list."""
    designs = build_dir / "filter_designs.json"
    if not designs.exists():
        filter_designs.main([str(designs)])
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONDONTWRITEBYTECODE", font_list.FONT_LIST_VARIABLE}
    }
    if stored_font_list:
        fonts = build_dir / "matplotlib"
        if not any(fonts.glob(font_list.FONT_LIST_PATTERN)):
            font_list.main([str(fonts)])
        environment[font_list.FONT_LIST_VARIABLE] = str(fonts)
    return {
        **environment,
        "PYTHONPATH": CLASSIFIER_PYTHON_PATH,
        "PYTHONOPTIMIZE": str(optimize),
        "PYTHONPYCACHEPREFIX": str(build_dir / "bytecode"),
        filter_designs.DESIGNS_VARIABLE: str(designs),
    }


def with_empty_cache(environment: dict[str, str], scratch: Path) -> dict[str, str]:
    """`environment` with a new, empty matplotlib cache folder, as each task's ``/tmp`` volume starts."""
    return {**environment, "MPLCONFIGDIR": tempfile.mkdtemp(prefix="matplotlib-", dir=scratch)}


def fresh_interpreter(arguments: list[str], environment: dict[str, str]) -> None:
    """Run ``python ARGUMENTS`` in ``environment``; raise if it fails."""
    # the interpreter running this script, with arguments built here: no untrusted input
    subprocess.run([sys.executable, *arguments], check=True, env=environment, capture_output=True)  # noqa: S603


def child_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process and its threads (Linux /proc), else NaN."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    # fields after the command name start at the state (field 3): utime and stime are 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def staged_run(arguments: list[str], environment: dict[str, str]) -> list[Mark]:
    """Run ``python ARGUMENTS`` and mark each ``fbcsp:`` progress line and the exit; raise if it fails."""
    started = time.perf_counter()
    # the interpreter running this script, with arguments built here: no untrusted input
    with subprocess.Popen(  # noqa: S603
        [sys.executable, *arguments], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as child:
        marks = [
            Mark(line.removeprefix(_PROGRESS_PREFIX), time.perf_counter() - started, child_cpu_seconds(child.pid))
            for line in child.stderr
            if line.startswith(_PROGRESS_PREFIX)
        ]
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, arguments)
    return [*marks, Mark("exit", time.perf_counter() - started, usage.ru_utime + usage.ru_stime)]


def stage_seconds(marks: list[Mark]) -> dict[str, tuple[float, float]]:
    """(Wall, CPU) seconds of each of `STAGES`; a missing line gives its stage 0 s."""
    ends = []
    for _, prefix in STAGES:
        found = [mark for mark in marks if mark.message.startswith(prefix)] if prefix else marks[-1:]
        ends.append(found[0] if found else None)
    for index in range(len(ends) - 2, -1, -1):
        if ends[index] is None:  # e.g. no permutation test: its stage ends where it started
            ends[index] = ends[index + 1]
    seconds, previous = {}, Mark("start", 0.0, 0.0)
    for (label, _), end in zip(STAGES, ends, strict=True):
        seconds[label] = (end.wall - previous.wall, end.cpu - previous.cpu)
        previous = end
    return seconds


def measure(
    zip_path: Path, n_permutations: int, repeat: int, optimize: int, stored_font_list: bool = True
) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """(Wall, CPU) seconds of the end-to-end run, the imports, the analysis, the permutation test and
    the report; and of the stages of the fastest end-to-end run."""
    recording = read_upload(zip_path)
    without = TrainingOptions(n_permutations=0)
    with_permutations = TrainingOptions(n_permutations=n_permutations)
    result = train(recording, without)
    with tempfile.TemporaryDirectory() as scratch:
        out_dir = Path(scratch)
        command = [
            "-m", "fbcsp", "train", str(zip_path), "--out", str(out_dir / "cli"),
            "--permutations", str(n_permutations),
        ]
        environment = child_environment(optimize, out_dir / "build", stored_font_list)
        fresh_interpreter(command, environment)  # compiles the bytecode; not timed
        # each end-to-end run followed by a warm analysis, so that both meet the same load
        runs, analyses = [], []
        for _ in range(repeat):
            runs.append(stage_seconds(staged_run(command, with_empty_cache(environment, out_dir))))
            analyses.append(best_seconds(lambda: train(recording, without), 1))
        totals = [tuple(math.fsum(pair[index] for pair in stages.values()) for index in (0, 1)) for stages in runs]
        seconds = {
            "end_to_end": (min(wall for wall, _ in totals), min(cpu for _, cpu in totals)),
            "analysis": (min(wall for wall, _ in analyses), min(cpu for _, cpu in analyses)),
            "imports": best_seconds(
                lambda: fresh_interpreter(
                    ["-c", "import fbcsp.container, fbcsp.cli"], with_empty_cache(environment, out_dir)
                ),
                repeat,
            ),
            "analysis_with_permutations": best_seconds(lambda: train(recording, with_permutations), repeat),
            "report": best_seconds(lambda: write_report(result, out_dir / "report"), repeat),
        }
    fastest = min(range(repeat), key=lambda run: totals[run][0])
    return seconds, runs[fastest]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="upload zip (default: %(default)s)")
    parser.add_argument(
        "--permutations",
        type=int,
        default=TrainingOptions.n_permutations,
        help="permutations of the end-to-end run (default: %(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per figure, best kept (default: %(default)s)"
    )
    parser.add_argument(
        "--optimize",
        type=int,
        choices=(0, 1, 2),
        default=IMAGE_OPTIMIZE,
        help="PYTHONOPTIMIZE of the fresh interpreters (default: the image's, %(default)s)",
    )
    parser.add_argument(
        "--no-font-list",
        action="store_true",
        help="runs without matplotlib's stored font list, as the image ran before it stored one",
    )
    args = parser.parse_args(argv)
    seconds, stages = measure(args.input, args.permutations, args.repeat, args.optimize, not args.no_font_list)
    wall, cpu = ({name: pair[index] for name, pair in seconds.items()} for index in (0, 1))
    rows = (
        ("end to end (python -m fbcsp train, fresh interpreter)", "end_to_end"),
        ("analysis (train() without permutations, warm)", "analysis"),
        ("imports of the entrypoint (fresh interpreter)", "imports"),
        (f"permutation test ({args.permutations}, with - without)", "permutations"),
        ("report.html and figures", "report"),
    )
    for times in (wall, cpu):
        times["permutations"] = times["analysis_with_permutations"] - times["analysis"]
    print(
        f"Container time: {args.input.name}, {args.permutations} permutations, best of {args.repeat}, "
        f"PYTHONOPTIMIZE={args.optimize}, {len(os.sched_getaffinity(0))} CPU(s) (taskset -c 0 for one)"
    )
    print(f"  {'':55s} {'wall s':>8s} {'CPU s':>8s}")
    for label, name in rows:
        print(f"  {label:55s} {wall[name]:8.2f} {cpu[name]:8.2f}")
    print(f"  CPU ratio end to end / warm analysis: {cpu['end_to_end'] / cpu['analysis']:.2f}")
    warm_ratio = wall["end_to_end"] / wall["analysis"]
    print(f"  wall ratio end to end / warm analysis: {warm_ratio:.2f} (target <= {TARGET_RATIO:g})")
    print("Stages of the fastest end-to-end run")
    for label, (stage_wall, stage_cpu) in stages.items():
        print(f"  {label:55s} {stage_wall:8.2f} {stage_cpu:8.2f}")
    run_wall, run_cpu = (math.fsum(pair[index] for pair in stages.values()) for index in (0, 1))
    analysis_wall, analysis_cpu = stages[STAGES[1][0]]
    print(f"  {'total':55s} {run_wall:8.2f} {run_cpu:8.2f}")
    print(f"  CPU ratio total / analysis in the same run: {run_cpu / analysis_cpu:.2f}")
    run_ratio = run_wall / analysis_wall
    print(f"  wall ratio total / analysis in the same run: {run_ratio:.2f} (target <= {TARGET_RATIO:g})")
    passed = max(warm_ratio, run_ratio) <= TARGET_RATIO
    print(f"  {'PASS' if passed else 'FAIL'} (both wall ratios <= {TARGET_RATIO:g})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
