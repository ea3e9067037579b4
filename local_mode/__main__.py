"""Command line: ``python -m local_mode [UPLOAD.zip ...] --out DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .runner import describe_outcome, run

DEFAULT_UPLOAD = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "uploads" / "S001_imagery.zip"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local_mode",
        description="Run the EEG training pipeline offline against emulated AWS: each upload zip becomes a "
        "session that goes through the deployed state machine, handlers and classifier container.",
    )
    parser.add_argument("uploads", nargs="*", type=Path, default=[DEFAULT_UPLOAD],
                        help=f"upload zips (CSV + metadata.json); default: {DEFAULT_UPLOAD}")
    parser.add_argument("--out", type=Path, default=Path("local-run"),
                        help="where results, statuses and container logs go (default: ./local-run)")
    parser.add_argument("--user", default="local-researcher", help="user id the sessions belong to")
    parser.add_argument("--task-memory", type=int, default=2048, metavar="MIB",
                        help="memory of the emulated Fargate task; a container above it is killed (default 2048)")
    parser.add_argument("--permutations", type=int, metavar="N",
                        help="label permutations for the p-value (default: the container's default)")
    parser.add_argument("--verbose", action="store_true", help="also show the handlers' JSON log lines")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.uploads if not path.is_file()]
    if missing:
        parser.error(f"no such upload file: {', '.join(missing)}")
    outcomes = run(
        args.uploads,
        out_dir=args.out,
        user_id=args.user,
        task_memory_mib=args.task_memory,
        permutations=args.permutations,
        verbose=args.verbose,
    )
    for outcome in outcomes:
        print(describe_outcome(outcome))
    return 0 if all(outcome.status == "SUCCEEDED" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
