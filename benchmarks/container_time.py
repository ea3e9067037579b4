"""Wall time of a whole classifier run against the time of its analysis (issue 14 section 5).

Usage::

    .venv/bin/python benchmarks/container_time.py [--input ZIP] [--permutations N] [--repeat N]

The end-to-end run is ``python -m fbcsp train ZIP --out DIR`` in a fresh interpreter: the work
of the container's entrypoint (imports, reading and checking the upload, training with the
permutation test, writing classifier.json, metrics.json, report.html and every figure) except
the S3 transfers. The analysis is `fbcsp.training.train` without permutations, timed in this
process after the imports (the "whole analysis" of the speed benchmark). Also timed: a fresh
interpreter that only imports the entrypoint's modules, the permutation test alone (train with
and without it, difference) and the report (figures included). Each figure is the best of
``--repeat`` runs, for wall time and CPU time (user + system, children included; on a loaded
machine the CPU figures are the comparable ones). The exit status is 0 when the end-to-end
(wall) time is at most twice the analysis.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = REPO_ROOT / "classifier_image"
for _path in (REPO_ROOT, PACKAGE_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fbcsp.report import write_report  # noqa: E402 - the package paths must be on sys.path first
from fbcsp.training import TrainingOptions, train  # noqa: E402
from fbcsp.upload import read_upload  # noqa: E402

DEFAULT_INPUT = REPO_ROOT.parent / "shared" / "data" / "uploads" / "S001_imagery.zip"
TARGET_RATIO = 2.0


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


def fresh_interpreter(arguments: list[str]) -> None:
    """Run ``python ARGUMENTS`` with the package importable; raise if it fails."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE_ROOT), str(REPO_ROOT)])}
    # the interpreter running this script, with arguments built here: no untrusted input
    subprocess.run([sys.executable, *arguments], check=True, env=environment, capture_output=True)  # noqa: S603


def measure(zip_path: Path, n_permutations: int, repeat: int) -> dict[str, tuple[float, float]]:
    """(Wall, CPU) seconds of the end-to-end run, the imports, the analysis, the permutation test and the report."""
    recording = read_upload(zip_path)
    without = TrainingOptions(n_permutations=0)
    with_permutations = TrainingOptions(n_permutations=n_permutations)
    result = train(recording, without)
    with tempfile.TemporaryDirectory() as scratch:
        out_dir = Path(scratch)
        return {
            "end_to_end": best_seconds(
                lambda: fresh_interpreter(
                    ["-m", "fbcsp", "train", str(zip_path), "--out", str(out_dir / "cli"),
                     "--permutations", str(n_permutations)]
                ),
                repeat,
            ),
            "imports": best_seconds(
                lambda: fresh_interpreter(["-c", "import fbcsp.container, fbcsp.cli"]), repeat
            ),
            "analysis": best_seconds(lambda: train(recording, without), repeat),
            "analysis_with_permutations": best_seconds(lambda: train(recording, with_permutations), repeat),
            "report": best_seconds(lambda: write_report(result, out_dir / "report"), repeat),
        }


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
    args = parser.parse_args(argv)
    seconds = measure(args.input, args.permutations, args.repeat)
    wall, cpu = ({name: pair[index] for name, pair in seconds.items()} for index in (0, 1))
    ratio = wall["end_to_end"] / wall["analysis"]
    rows = (
        ("end to end (python -m fbcsp train, fresh interpreter)", "end_to_end"),
        ("analysis (train() without permutations)", "analysis"),
        ("imports of the entrypoint (fresh interpreter)", "imports"),
        (f"permutation test ({args.permutations}, with - without)", "permutations"),
        ("report.html and figures", "report"),
    )
    for times in (wall, cpu):
        times["permutations"] = times["analysis_with_permutations"] - times["analysis"]
    print(f"Container time: {args.input.name}, {args.permutations} permutations, best of {args.repeat}")
    print(f"  {'':55s} {'wall s':>8s} {'CPU s':>8s}")
    for label, name in rows:
        print(f"  {label:55s} {wall[name]:8.2f} {cpu[name]:8.2f}")
    print(f"  CPU ratio end to end / analysis: {cpu['end_to_end'] / cpu['analysis']:.2f} (load-independent)")
    print(f"  wall ratio end to end / analysis: {ratio:.2f} (target <= {TARGET_RATIO:g})")
    print(f"  {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}")
    return 0 if ratio <= TARGET_RATIO else 1

if __name__ == "__main__":
    sys.exit(main())
