"""The samples CSV of an upload (classifier.md §1, the strict parser of §7.8).

No header, comma separated, one row per sample, empty trailing fields dropped (each row ends with a
comma), exactly ``EEGChannels + 2`` numeric columns per row: ``EEG_1..EEG_n`` in volts, the app's
online classifier output (ignored), then the trigger. Errors name the row and column, and what to
change when a spreadsheet wrote the file (semicolons, tabs, a header row, microvolts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from contracts.sample_units import MIN_NOT_VOLTS, sample_beyond_volts_message
from contracts.upload_memory import max_csv_line_length, too_long_line_message

from .errors import InvalidUpload

#: Rows converted to numbers at a time by the CSV parser.
CSV_BLOCK_ROWS = 1 << 16
_UNEXPECTED_NUMBER_CHARACTERS = re.compile(r"[^0-9eE+\-.,naNAifInIF\s]")
#: What ends an ASCII row after its last field: commas and whitespace (empty trailing fields).
_ASCII_ROW_END = "," + "".join(chr(code) for code in range(128) if chr(code).isspace())


def first_sample_beyond_volts(samples: np.ndarray) -> tuple[int, int] | None:
    """(channel, sample) of the earliest sample of magnitude `MIN_NOT_VOLTS` (1 V) or more, or None.

    One glitch that large passes the median check of `check_volts`, yet makes a channel look like a
    copy of another (the signal's rank) or overflows the covariances of `fbcsp.csp_channels`.
    """
    if samples.size == 0 or (samples.max() < MIN_NOT_VOLTS and samples.min() > -MIN_NOT_VOLTS):
        return None
    beyond = np.argwhere(np.abs(samples.T) >= MIN_NOT_VOLTS)  # (sample, channel), in time order
    return (int(beyond[0, 1]), int(beyond[0, 0])) if beyond.size else None  # no hit: only NaN made max() fail


def check_volts(samples: np.ndarray) -> None:
    """Raise when the EEG columns are plainly not volts (microvolts, say), or a sample reaches 1 V.

    A model trained on other units is wrong for anything that streams volts, as the app does: its
    log-variance features shift by twice the logarithm of the factor, and its LDA threshold does not.
    """
    with np.errstate(over="ignore"):  # a channel with a glitch near the float range has an infinite spread
        spread = float(np.median([np.std(channel) for channel in samples]))
    if spread >= MIN_NOT_VOLTS:
        raise InvalidUpload(
            f"the EEG columns are not in volts: their median standard deviation is {spread:.3g}, where EEG "
            "in volts is about 1e-5 (in microvolts it is a million times larger); write them in volts, "
            "as the app does (divide microvolts by 1,000,000)"
        )
    beyond = first_sample_beyond_volts(samples)
    if beyond:
        channel, sample = beyond
        raise InvalidUpload(sample_beyond_volts_message(sample + 1, channel + 1, float(samples[channel, sample])))


def read_samples_csv(path: Path, n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse the CSV file as a stream (memory holds the numbers, not the text); see `parse_samples_csv`.

    No line longer than :func:`contracts.upload_memory.max_csv_line_length` is ever read whole.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as text:
            return parse_samples_csv(bounded_lines(text, n_channels), n_channels)
    except UnicodeDecodeError as exc:
        raise InvalidUpload(f"the CSV file is not UTF-8 text ({exc})") from exc


def bounded_lines(text: TextIO, n_channels: int) -> Iterator[str]:
    """The lines of ``text``, each read with a limit, so a file without line breaks costs no memory.

    Raises
    ------
    InvalidUpload
        At the first line longer than a row of ``n_channels`` channels can be.
    """
    limit = max_csv_line_length(n_channels)
    row_number = 0
    while line := text.readline(limit + 1):
        row_number += 1
        if len(line) > limit:
            raise InvalidUpload(too_long_line_message(row_number, n_channels))
        yield line


def parse_samples_csv(text: str | Iterable[str], n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse the sample CSV into channel data and the trigger column.

    Rows are converted in blocks of `CSV_BLOCK_ROWS`, so a large file never exists as one list of
    Python strings. Blank lines are allowed only at the end.

    Parameters
    ----------
    text : str or iterable of str
        The whole CSV, or its lines (line endings are stripped).
    n_channels : int
        ``EEGChannels`` from the metadata; every row must then hold ``n_channels + 2`` numbers.

    Returns
    -------
    data : ndarray, shape (n_channels, n_samples)
        EEG columns, volts as written.
    trigger : ndarray, shape (n_samples,)
        The last column.

    Raises
    ------
    InvalidUpload
        No rows, a row with another number of columns, or a field that is not a number
        (the message gives the 1-based row number).
    """
    n_columns = n_channels + 2
    lines = text.splitlines() if isinstance(text, str) else text
    blocks: list[np.ndarray] = []
    block: list[str] = []
    first_row_of_block = 1
    blank_rows: list[int] = []
    for row_number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            blank_rows.append(row_number)
            continue
        if blank_rows:
            raise InvalidUpload(f"CSV row {blank_rows[0]} is empty")
        n_fields = _field_count(line)
        if n_fields != n_columns:
            raise InvalidUpload(
                f"CSV row {row_number} has {n_fields} column(s); expected {n_columns} "
                f"({n_channels} EEG channels from metadata.json, the classifier column and the trigger)"
                + _separator_hint(line)
            )
        block.append(line)
        if len(block) == CSV_BLOCK_ROWS:
            blocks.append(_convert_block(block, n_columns, first_row_of_block))
            first_row_of_block += len(block)
            block = []
    if block:
        blocks.append(_convert_block(block, n_columns, first_row_of_block))
    if not blocks:
        raise InvalidUpload("the CSV file has no rows")
    values = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    return np.ascontiguousarray(values[:, :n_channels].T), values[:, -1].copy()


def _separator_hint(line: str) -> str:
    """What to change when a row's fields are separated by semicolons or tabs (a spreadsheet's export)."""
    used = [name for mark, name in ((";", "semicolons"), ("\t", "tabs")) if mark in line]
    return f"; the row is separated by {used[0]}: the CSV needs commas, and '.' as the decimal point" if used else ""


def _convert_block(lines: list[str], n_columns: int, first_row: int) -> np.ndarray:
    """Numbers of rows already checked for width; names the first bad field otherwise."""
    try:
        if _UNEXPECTED_NUMBER_CHARACTERS.search("\n".join(lines)):
            raise ValueError("unexpected character")
        # numpy's C parser; the columns past the last field are the rows' empty trailing fields
        return np.loadtxt(
            lines, delimiter=",", usecols=range(n_columns), comments=None, dtype=np.float64, ndmin=2
        )
    except ValueError:
        raise _first_bad_number(lines, first_row) from None


def _row_fields(line: str) -> list[str]:
    """The comma-separated fields of one row without its empty trailing fields."""
    row = line.split(",")
    while row and not row[-1].strip():
        row.pop()
    return row


def _field_count(line: str) -> int:
    """``len(_row_fields(line))``, without splitting the line when it is ASCII (as uploads are)."""
    if not line.isascii():
        return len(_row_fields(line))
    kept = line.rstrip(_ASCII_ROW_END)
    return kept.count(",") + 1 if kept else 0


def _first_bad_number(lines: list[str], first_row: int) -> InvalidUpload:
    for row_number, line in enumerate(lines, start=first_row):
        for column, field_text in enumerate(_row_fields(line), start=1):
            try:
                if _UNEXPECTED_NUMBER_CHARACTERS.search(field_text):
                    raise ValueError(field_text)
                float(field_text)
            except ValueError:
                header = " (the CSV has no header row: its first row is already a sample)" if row_number == 1 else ""
                return InvalidUpload(
                    f"CSV row {row_number}, column {column}: {field_text.strip()!r} is not a number{header}"
                )
    return InvalidUpload("the CSV file holds a value that is not a number")
