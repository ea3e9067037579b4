"""Size of the Lambda functions' code archive and the cold-start import time of each handler.

The archive is what :func:`components.lambda_archive.archive_files` ships, unpacked into a task
folder; each handler module is imported in a fresh interpreter started in that folder that sees
only it and what the Lambda runtime brings itself (boto3 and its dependencies, linked from this
environment), with the tracer on as on Lambda. The figure is the import of the handler module
and everything it imports (interpreter start-up excluded), as wall-clock and CPU seconds, the
median of ``--runs`` interpreters.

``--reference DIR`` measures another checkout's ``handlers`` and ``contracts`` sources (the
functions' whole archive before the packages were vendored) in the same process, runs
interleaved with the current archive's so that both see the same load, and reports current /
reference ratios. Extract a commit with ``git archive COMMIT handlers contracts | tar -x -C DIR``.

    .venv/bin/python benchmarks/lambda_package.py [--runs 15] [--reference DIR]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
HANDLER_MODULES = ("start", "validate", "process_results", "record_failure", "api")
# What the python3.12 Lambda runtime brings itself: boto3 and its dependencies.
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "jmespath", "s3transfer", "python-dateutil", "six", "urllib3")
TIMED_IMPORT = """
import importlib, sys, time
started, started_cpu = time.perf_counter(), time.process_time()
importlib.import_module(sys.argv[1])
print(time.perf_counter() - started, time.process_time() - started_cpu)
"""


def unpack(files: Mapping[str, Path], into: Path) -> Path:
    """Write the archive's files (archive path → source file) under ``into``."""
    for name, path in files.items():
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        (into / name).write_bytes(path.read_bytes())
    return into


def runtime_packages(into: Path) -> Path:
    """A folder holding only what the Lambda runtime provides: links to the installed boto3 & co."""
    into.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_DISTRIBUTIONS:
        distribution = importlib.metadata.distribution(name)
        tops = {
            Path(str(file)).parts[0] for file in distribution.files or () if not str(file).startswith("..")
        }
        for top in sorted(tops):
            if top.endswith(".dist-info") or top == "__pycache__" or (into / top).exists():
                continue
            (into / top).symlink_to(Path(str(distribution.locate_file(top))))
    return into


def lambda_environment(task_dir: Path, runtime_dir: Path) -> dict[str, str]:
    """An interpreter environment seeing only the task folder and the runtime, tracing on as on Lambda."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(task_dir), str(runtime_dir)]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(task_dir),
        "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
        "AWS_REGION": "eu-west-2",
    }


def zipped_bytes(files: Mapping[str, Path]) -> int:
    """Size of the archive zipped with deflate, as Pulumi uploads it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files.items()):
            archive.write(path, name)
    return buffer.tell()


def import_seconds(module: str, task_dir: Path, environment: Mapping[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of importing ``module`` in a fresh interpreter started in
    ``task_dir`` (as Lambda does; ``-S``: no site-packages)."""
    completed = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-S", "-c", TIMED_IMPORT, module],
        cwd=task_dir,
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    wall, cpu = completed.stdout.split()
    return float(wall), float(cpu)


def current_archive() -> dict[str, Path]:
    sys.path.insert(0, str(REPOSITORY))
    from components.lambda_archive import archive_files

    return archive_files()


def sources_of(tree: Path) -> dict[str, Path]:
    """Archive path → file of a checkout's ``handlers`` and (where it has one) ``contracts`` sources."""
    return {
        path.relative_to(tree).as_posix(): path
        for package in ("handlers", "contracts")
        for path in sorted((tree / package).rglob("*.py"))
    }


def _medians(samples: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "wallSeconds": round(statistics.median(wall for wall, _ in samples), 4),
        "cpuSeconds": round(statistics.median(cpu for _, cpu in samples), 4),
    }


def measure(archives: Mapping[str, Mapping[str, Path]], runs: int) -> dict[str, dict[str, object]]:
    """Size and per-handler import medians of each named archive, runs interleaved across archives."""
    with tempfile.TemporaryDirectory(prefix="lambda-package-") as work:
        runtime_dir = runtime_packages(Path(work) / "runtime")
        task_dirs = {name: unpack(files, Path(work) / name) for name, files in archives.items()}
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for module in HANDLER_MODULES:
            for _ in range(runs):
                for name, task_dir in task_dirs.items():
                    environment = lambda_environment(task_dir, runtime_dir)
                    timing = import_seconds(f"handlers.{module}", task_dir, environment)
                    samples.setdefault((name, module), []).append(timing)
    return {
        name: {
            "files": len(files),
            "unpackedBytes": sum(path.stat().st_size for path in files.values()),
            "zippedBytes": zipped_bytes(files),
            "import": {module: _medians(samples[(name, module)]) for module in HANDLER_MODULES},
        }
        for name, files in archives.items()
    }


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="interpreters per handler and archive (median)")
    parser.add_argument(
        "--reference", type=Path, help="a checkout whose handlers and contracts sources to compare with"
    )
    args = parser.parse_args(argv)
    archives = {"current": current_archive()}
    if args.reference is not None:
        archives["reference"] = sources_of(args.reference)
    report: dict[str, object] = measure(archives, args.runs)
    if args.reference is not None:
        current, reference = report["current"], report["reference"]
        report["currentOverReference"] = {
            "zippedBytes": round(current["zippedBytes"] / reference["zippedBytes"], 1),
            **{
                module: {
                    kind: round(current["import"][module][kind] / reference["import"][module][kind], 2)
                    for kind in ("wallSeconds", "cpuSeconds")
                }
                for module in HANDLER_MODULES
            },
        }
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
