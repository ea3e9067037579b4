"""Run this interpreter as the classifier image runs its own: the packages on the path as under /app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sandbox.container_process import CLASSIFIER_PYTHON_PATH

CLASSIFIER_DIR = Path(__file__).resolve().parents[2] / "classifier_image"


def run_as_in_the_image(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    """This interpreter with ``arguments``, fbcsp and the contracts package beside it on its path as
    the image holds them under /app, and only PATH and ``environment`` besides."""
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, *arguments],
        env={
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": CLASSIFIER_PYTHON_PATH,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
