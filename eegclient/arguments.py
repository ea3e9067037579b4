"""Argument types of the eegclient command line: each checks one value and says what is wrong with it."""

from __future__ import annotations

import argparse
import math
import zipfile
from pathlib import Path

from .results import is_folder_name

MAX_PAGE_SIZE = 100


def zip_file(value: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    if not zipfile.is_zipfile(path):
        raise argparse.ArgumentTypeError(f"{value} is not a zip archive: upload the recording zipped")
    return path


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return seconds


def page_size(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def session_id_argument(value: str) -> str:
    if not is_folder_name(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a session id (1 to 128 of A-Z a-z 0-9 . _ -, not . or ..)"
        )
    return value
