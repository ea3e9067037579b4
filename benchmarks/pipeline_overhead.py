"""Pipeline overhead per session in the sandbox: end-to-end time minus the training container's time.

Uploads ``--sessions`` copies of the sample at once, waits for all of them, prints the sandbox's
per-session table, then the median and largest overhead (time not spent running or queueing for
the classifier container) against the target of 2 s and the original pipeline's fixed 30 s wait,
and the CPU time the sandbox's own process spent deploying the stack and running the sessions
(all its threads; the containers' CPU time apart), which other load on the machine inflates far
less than the wall times.

    .venv/bin/python benchmarks/pipeline_overhead.py [--sessions 5] [--upload samples/S001_imagery.zip]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from contracts.statuses import Status  # noqa: E402
from sandbox.cli import BUNDLED_SAMPLE  # noqa: E402
from sandbox.outcomes import format_table, process_uploads  # noqa: E402
from sandbox.runner import LocalPipeline  # noqa: E402

TARGET_SECONDS = 2.0
ORIGINAL_FIXED_WAIT_SECONDS = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5, help="sessions uploaded at once (default 5)")
    parser.add_argument("--upload", type=Path, default=BUNDLED_SAMPLE, help="the upload zip to copy")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        uploads = []
        for index in range(args.sessions):
            copy = folder / f"session-{index + 1:02d}.zip"
            copy.write_bytes(args.upload.read_bytes())
            uploads.append(copy)
        started = time.process_time()
        with LocalPipeline(work_dir=folder / "out") as pipeline:
            deploy_cpu = time.process_time() - started
            outcomes = process_uploads(pipeline, uploads, user_id="benchmark", out_dir=folder / "out")
            sessions_cpu = time.process_time() - started - deploy_cpu
    containers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(format_table(outcomes))
    overheads = [outcome.overhead_seconds for outcome in outcomes]
    median, largest = statistics.median(overheads), max(overheads)
    print(
        f"\noverhead per session: median {median:.2f} s, largest {largest:.2f} s "
        f"(target < {TARGET_SECONDS:.0f} s: {'met' if largest < TARGET_SECONDS else 'NOT met'}); "
        f"the original waits a fixed {ORIGINAL_FIXED_WAIT_SECONDS:.0f} s, "
        f"{ORIGINAL_FIXED_WAIT_SECONDS / median:.0f}x the median here"
    )
    print(
        f"CPU time of the sandbox process: {deploy_cpu:.1f} s to start the emulator and deploy the stack, "
        f"{sessions_cpu:.1f} s for the sessions; the containers: {containers.ru_utime + containers.ru_stime:.1f} s"
    )
    return 0 if all(outcome.status == Status.SUCCEEDED for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
