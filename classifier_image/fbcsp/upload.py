"""Safe reading of an upload zip (one ``metadata.json`` + one CSV of samples) into a :class:`Recording`.

The zip is untrusted. Before anything is extracted it must pass the pipeline's upload rules,
:func:`contracts.uploads.check_upload` (the same function Validate applies before the container
starts). Extraction then counts the bytes actually written, so a member whose header understates
its size is stopped at the same limits.

The CSV format is classifier.md §1 with the strict parser of §7.8: no header, comma separated, one
row per sample, empty trailing fields dropped (each row ends with a comma), exactly
``EEGChannels + 2`` numeric columns per row: ``EEG_1..EEG_n`` in volts, the app's online classifier
output (ignored), then the trigger.
"""

from __future__ import annotations

import logging
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

import numpy as np

from contracts.upload_memory import max_csv_line_length, too_long_line_message
from contracts.uploads import (
    LIMITS,
    UploadLimits,
    UploadMetadata,
    UploadRejected,
    check_upload,
    ratio_problem,
)

from .errors import InvalidUpload
from .events import cue_events, describe_discarded
from .recording import Recording

log = logging.getLogger(__name__)

_COPY_CHUNK = 1 << 20
#: Rows converted to numbers at a time by the CSV parser.
CSV_BLOCK_ROWS = 1 << 16
_UNEXPECTED_NUMBER_CHARACTERS = re.compile(r"[^0-9eE+\-.,naNAifInIF\s]")
#: What ends an ASCII row after its last field: commas and whitespace (empty trailing fields).
#: Median channel standard deviation from which the EEG columns cannot be volts: scalp EEG in volts
#: is about 1e-5 and no amplifier's input range reaches 1 V, while the same EEG in microvolts is 1-100.
MIN_NOT_VOLTS_SPREAD = 1.0
_ASCII_ROW_END = "," + "".join(chr(code) for code in range(128) if chr(code).isspace())


@dataclass(frozen=True)
class ExtractedUpload:
    """The checked metadata and the path of the extracted CSV."""

    metadata: UploadMetadata
    csv_path: Path


def read_upload(zip_path: str | Path, limits: UploadLimits = LIMITS) -> Recording:
    """Read an upload zip into a :class:`Recording`.

    Parameters
    ----------
    zip_path : str or Path
        The upload zip.
    limits : UploadLimits
        The upload limits (the pipeline's own by default).

    Returns
    -------
    Recording
        Samples in volts, the metadata's rate and channel names, and the T1/T2 cues of the trigger
        column. Cues with other codes are dropped and logged.

    Raises
    ------
    InvalidUpload
        Whatever is wrong with the zip, the metadata or the CSV, in words a researcher understands.
    """
    with tempfile.TemporaryDirectory(prefix="fbcsp-upload-") as workdir:
        extracted = extract_upload(zip_path, Path(workdir), limits)
        metadata = extracted.metadata
        samples, trigger = read_samples_csv(extracted.csv_path, metadata.n_channels)
    check_volts(samples)
    events = cue_events(trigger)
    if events.discarded:
        log.warning(describe_discarded(events.discarded))
    return Recording(
        data=samples,
        sfreq=metadata.sfreq,
        ch_names=metadata.ch_names,
        event_samples=events.samples,
        event_codes=events.codes,
        ch_names_known=metadata.ch_names_known,
        ignored_cues=describe_discarded(events.discarded),
    )


def check_volts(samples: np.ndarray) -> None:
    """Raise when the EEG columns are plainly not volts (microvolts, say).

    A model trained on other units is right for nothing that streams volts, as the app does: its
    log-variance features and LDA threshold would be off by the square of the factor.
    """
    spread = float(np.median([np.std(channel) for channel in samples]))
    if spread >= MIN_NOT_VOLTS_SPREAD:
        raise InvalidUpload(
            f"the EEG columns are not in volts: their median standard deviation is {spread:.3g}, where EEG "
            "in volts is about 1e-5 (in microvolts it is a million times larger); write them in volts, "
            "as the app does (divide microvolts by 1,000,000)"
        )


def extract_upload(zip_path: str | Path, destination: Path, limits: UploadLimits = LIMITS) -> ExtractedUpload:
    """Apply the upload rules to a zip, then extract its CSV into ``destination``.

    Raises
    ------
    InvalidUpload
        The file is not a zip or breaks an upload rule, or its CSV expands beyond the limits.
    """
    zip_path = Path(zip_path)
    try:
        with open(zip_path, "rb") as source:
            checked = check_upload(source, zip_path.stat().st_size, limits)
            with zipfile.ZipFile(source) as archive:
                # metadata.json, already read by the rules, counts against the total as well.
                budget = limits.max_total_bytes - checked.metadata_member.file_size
                csv_path = _extract_member(archive, checked.csv, destination, limits, budget)
    except UploadRejected as rejected:
        raise InvalidUpload(rejected.message) from rejected
    return ExtractedUpload(metadata=checked.metadata, csv_path=csv_path)


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, limits: UploadLimits, budget: int
) -> Path:
    """Copy one member out in chunks, enforcing ``budget`` bytes and the ratio limit on what is written."""
    target = destination / PurePosixPath(info.filename).name
    written = 0
    try:
        with archive.open(info) as source, open(target, "wb") as sink:
            while chunk := source.read(_COPY_CHUNK):
                written += len(chunk)
                if written > budget:
                    raise InvalidUpload(f"the archive unpacks to more than {limits.max_total_bytes} bytes")
                problem = ratio_problem(info.filename, written, info.compress_size, limits)
                if problem:
                    raise InvalidUpload(problem)
                sink.write(chunk)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        # corrupt or unsupported compressed data; OSErrors of our own disk are left to propagate
        raise InvalidUpload(f"zip entry {info.filename!r} cannot be extracted ({exc})") from exc
    return target


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
                return InvalidUpload(
                    f"CSV row {row_number}, column {column}: {field_text.strip()!r} is not a number"
                )
    return InvalidUpload("the CSV file holds a value that is not a number")
