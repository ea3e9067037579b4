"""Run this interpreter as the classifier image runs its own: the packages on the path as under /app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sandbox.container_process import CLASSIFIER_PYTHON_PATH

CLASSIFIER_DIR = Path(__file__).resolve().parents[2] / "classifier_image"


def _image_environment(environment: dict[str, str]) -> dict[str, str]:
    """fbcsp and the contracts package beside it on the path as the image holds them under /app, and only
    PATH and ``environment`` besides."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": CLASSIFIER_PYTHON_PATH, **environment}


def run_as_in_the_image(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    """This interpreter with ``arguments`` and the image's path and ``environment``, until it ends."""
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, *arguments],
        env=_image_environment(environment),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start_as_in_the_image(arguments: list[str], environment: dict[str, str]) -> subprocess.Popen:
    """This interpreter with ``arguments`` and the image's path and ``environment``, started; its stderr
    is a text pipe."""
    return subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, *arguments],
        env=_image_environment(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
