"""Safe reading of an upload zip (one ``metadata.json`` + one CSV of samples) into a :class:`Recording`.

The zip is untrusted. Before anything is extracted, its central directory is checked: member count,
names (flat, no absolute paths, no ``..``, no directories or symlinks, no encryption), declared
uncompressed sizes and compression ratios. Extraction then counts the bytes actually written, so a
member whose header understates its size is stopped at the same limits.

The CSV format is classifier.md §1 with the strict parser of §7.8: no header, comma separated, one
row per sample, empty trailing fields dropped (each row ends with a comma), exactly
``EEGChannels + 2`` numeric columns per row: ``EEG_1..EEG_n`` in volts, the app's online classifier
output (ignored), then the trigger.
"""

from __future__ import annotations

import json
import logging
import math
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from .errors import InvalidUpload
from .events import cue_events, describe_discarded
from .recording import Recording

log = logging.getLogger(__name__)

METADATA_NAME = "metadata.json"
CHANNEL_NAMES_KEY = "ChannelNames"
DEFAULT_CHANNEL_NAMES = {
    8: ("C3", "CZ", "C4", "P3", "O1", "P7", "OZ", "PZ"),
    3: ("C3", "CZ", "C4"),
}
_COPY_CHUNK = 1 << 20
#: Rows converted to numbers at a time by the CSV parser.
CSV_BLOCK_ROWS = 1 << 16
_UNEXPECTED_NUMBER_CHARACTERS = re.compile(r"[^0-9eE+\-.,naNAifInIF\s]")


@dataclass(frozen=True)
class UploadLimits:
    """Limits on an upload zip, checked before and during extraction.

    Attributes
    ----------
    max_members : int
        Most members the zip may hold (it needs two).
    max_total_bytes : int
        Most bytes all members may expand to together (default 1 GiB).
    max_ratio : float
        Highest uncompressed/compressed size ratio of one member (default 100:1; EEG text
        compresses about 5:1).
    max_metadata_bytes : int
        Largest accepted ``metadata.json`` (default 1 MiB).
    """

    max_members: int = 8
    max_total_bytes: int = 1 << 30
    max_ratio: float = 100.0
    max_metadata_bytes: int = 1 << 20


@dataclass(frozen=True)
class UploadMetadata:
    """What the pipeline uses from ``metadata.json``."""

    n_channels: int
    sfreq: float
    ch_names: tuple[str, ...]


@dataclass(frozen=True)
class ExtractedUpload:
    """Paths of the two members after a safe extraction."""

    metadata_path: Path
    csv_path: Path


def read_upload(zip_path: str | Path, limits: UploadLimits = UploadLimits()) -> Recording:
    """Read an upload zip into a :class:`Recording`.

    Parameters
    ----------
    zip_path : str or Path
        The upload zip.
    limits : UploadLimits
        Size, count and ratio limits for the zip.

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
        metadata = parse_metadata(extracted.metadata_path.read_bytes())
        samples, trigger = read_samples_csv(extracted.csv_path, metadata.n_channels)
    events = cue_events(trigger)
    if events.discarded:
        log.warning(describe_discarded(events.discarded))
    return Recording(
        data=samples,
        sfreq=metadata.sfreq,
        ch_names=metadata.ch_names,
        event_samples=events.samples,
        event_codes=events.codes,
    )


def extract_upload(
    zip_path: str | Path, destination: Path, limits: UploadLimits = UploadLimits()
) -> ExtractedUpload:
    """Check an upload zip and extract its ``metadata.json`` and CSV into ``destination``.

    Raises
    ------
    InvalidUpload
        The file is not a zip, breaks a limit or a naming rule, or lacks / duplicates a member.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidUpload(f"the upload is not a readable zip file ({exc})") from exc
    with archive:
        members = archive.infolist()
        check_members(members, limits)
        metadata_info, csv_info = _pick_members(members)
        if metadata_info.file_size > limits.max_metadata_bytes:
            raise InvalidUpload(
                f"{METADATA_NAME} is {metadata_info.file_size} bytes; "
                f"at most {limits.max_metadata_bytes} are accepted"
            )
        budget = _ByteBudget(limits.max_total_bytes)
        metadata_path = _extract_member(archive, metadata_info, destination, limits, budget)
        csv_path = _extract_member(archive, csv_info, destination, limits, budget)
    return ExtractedUpload(metadata_path=metadata_path, csv_path=csv_path)


def check_members(members: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    """Check the central directory of an upload zip before anything is extracted.

    Raises
    ------
    InvalidUpload
        Too many members, an unsafe or nested name, a directory or symlink, an encrypted member,
        a total uncompressed size over the limit or a member compressed beyond the ratio limit.
    """
    if not members:
        raise InvalidUpload("the zip is empty: it must hold metadata.json and one CSV file")
    if len(members) > limits.max_members:
        raise InvalidUpload(
            f"the zip holds {len(members)} entries; at most {limits.max_members} are accepted "
            "(metadata.json and one CSV file)"
        )
    for info in members:
        _check_member_name(info)
        _check_member_kind(info)
        _check_ratio(info.filename, info.file_size, info.compress_size, limits.max_ratio)
    total = sum(info.file_size for info in members)
    if total > limits.max_total_bytes:
        raise InvalidUpload(
            f"the zip expands to {total} bytes; at most {limits.max_total_bytes} are accepted"
        )


def _check_member_name(info: zipfile.ZipInfo) -> None:
    name = info.filename
    if "\\" in name or "\x00" in name:
        raise InvalidUpload(f"zip entry {name!r} has a backslash or NUL in its name")
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise InvalidUpload(f"zip entry {name!r} has an absolute path")
    if ".." in path.parts:
        raise InvalidUpload(f"zip entry {name!r} points outside the zip ('..' in its path)")
    if name.endswith("/") or info.is_dir():
        raise InvalidUpload(
            f"zip entry {name!r} is a folder; the zip must be flat (metadata.json and one CSV)"
        )
    if len(path.parts) != 1:
        raise InvalidUpload(
            f"zip entry {name!r} is inside a folder; the zip must be flat (files at its root)"
        )


def _check_member_kind(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    if mode and not (stat.S_ISREG(mode) or stat.S_IFMT(mode) == 0):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
        raise InvalidUpload(f"zip entry {info.filename!r} is {kind}")
    if info.flag_bits & 0x1:
        raise InvalidUpload(f"zip entry {info.filename!r} is encrypted")


def _check_ratio(name: str, uncompressed: int, compressed: int, max_ratio: float) -> None:
    if uncompressed > max_ratio * max(compressed, 1):
        raise InvalidUpload(
            f"zip entry {name!r} expands {uncompressed} bytes from {compressed} "
            f"(more than {max_ratio:g}:1); it looks like a zip bomb"
        )


def _pick_members(members: list[zipfile.ZipInfo]) -> tuple[zipfile.ZipInfo, zipfile.ZipInfo]:
    metadata = [info for info in members if info.filename == METADATA_NAME]
    csvs = [info for info in members if info.filename.lower().endswith(".csv")]
    problems = []
    if not metadata:
        problems.append("metadata.json is missing")
    elif len(metadata) > 1:
        problems.append("metadata.json appears more than once")
    if not csvs:
        problems.append("no .csv file found")
    elif len(csvs) > 1:
        problems.append(
            f"{len(csvs)} .csv files found ({', '.join(i.filename for i in csvs)}); exactly one is needed"
        )
    if problems:
        raise InvalidUpload(
            "the zip must hold metadata.json and exactly one CSV file: " + "; ".join(problems)
        )
    return metadata[0], csvs[0]


class _ByteBudget:
    """Bytes all extracted members may still expand to."""

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.total = total

    def spend(self, n_bytes: int) -> None:
        self.remaining -= n_bytes
        if self.remaining < 0:
            raise InvalidUpload(f"the zip expands to more than {self.total} bytes")


def _extract_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    destination: Path,
    limits: UploadLimits,
    budget: _ByteBudget,
) -> Path:
    """Copy one member out in chunks, enforcing the size and ratio limits on the bytes actually written."""
    target = destination / PurePosixPath(info.filename).name
    written = 0
    try:
        with archive.open(info) as source, open(target, "wb") as sink:
            while chunk := source.read(_COPY_CHUNK):
                written += len(chunk)
                budget.spend(len(chunk))
                _check_ratio(info.filename, written, info.compress_size, limits.max_ratio)
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


def parse_metadata(raw: bytes) -> UploadMetadata:
    """Read ``EEGChannels``, ``Frequency`` and the optional ``ChannelNames`` from ``metadata.json``.

    ``EEGChannels`` must be an integer >= 2 and ``Frequency`` a positive number of Hz. Channel
    names come from ``ChannelNames`` (a list of ``EEGChannels`` distinct non-empty strings) when
    present; otherwise the original's fixed montage is assumed for 8 channels
    (``C3, CZ, C4, P3, O1, P7, OZ, PZ``) and 3 channels (``C3, CZ, C4``), and ``EEG1..EEGn``
    otherwise. Every other key is ignored.

    Raises
    ------
    InvalidUpload
        Not a JSON object, or a required key missing or out of range.
    """
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidUpload(f"metadata.json is not valid JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise InvalidUpload("metadata.json must hold a JSON object")
    missing = [key for key in ("EEGChannels", "Frequency") if key not in document]
    if missing:
        raise InvalidUpload(f"metadata.json lacks the required key(s) {', '.join(missing)}")
    n_channels = document["EEGChannels"]
    if (
        isinstance(n_channels, bool)
        or not isinstance(n_channels, int | float)
        or n_channels != int(n_channels)
    ):
        raise InvalidUpload(f"metadata.json EEGChannels must be a whole number, got {n_channels!r}")
    n_channels = int(n_channels)
    if n_channels < 2:
        raise InvalidUpload(f"metadata.json EEGChannels must be at least 2 for CSP, got {n_channels}")
    sfreq = document["Frequency"]
    if (
        isinstance(sfreq, bool)
        or not isinstance(sfreq, int | float)
        or not math.isfinite(sfreq)
        or sfreq <= 0
    ):
        raise InvalidUpload(f"metadata.json Frequency must be a positive number of Hz, got {sfreq!r}")
    return UploadMetadata(
        n_channels=n_channels, sfreq=float(sfreq), ch_names=_channel_names(document, n_channels)
    )


def _channel_names(document: dict, n_channels: int) -> tuple[str, ...]:
    names = document.get(CHANNEL_NAMES_KEY)
    if names is None:
        return DEFAULT_CHANNEL_NAMES.get(n_channels, tuple(f"EEG{i}" for i in range(1, n_channels + 1)))
    if not isinstance(names, list) or not all(isinstance(name, str) and name.strip() for name in names):
        raise InvalidUpload(f"metadata.json {CHANNEL_NAMES_KEY} must be a list of non-empty strings")
    names = tuple(name.strip() for name in names)
    if len(names) != n_channels:
        raise InvalidUpload(
            f"metadata.json {CHANNEL_NAMES_KEY} names {len(names)} channel(s) but EEGChannels is {n_channels}"
        )
    if len({name.upper() for name in names}) != len(names):
        raise InvalidUpload(f"metadata.json {CHANNEL_NAMES_KEY} repeats a channel name")
    return names


def read_samples_csv(path: Path, n_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Parse the CSV file as a stream (memory holds the numbers, not the text); see `parse_samples_csv`."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as lines:
            return parse_samples_csv(lines, n_channels)
    except UnicodeDecodeError as exc:
        raise InvalidUpload(f"the CSV file is not UTF-8 text ({exc})") from exc


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
        row = _row_fields(line)
        if len(row) != n_columns:
            raise InvalidUpload(
                f"CSV row {row_number} has {len(row)} column(s); expected {n_columns} "
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
    fields = [field_text for line in lines for field_text in _row_fields(line)]
    try:
        if any(_UNEXPECTED_NUMBER_CHARACTERS.search(line) for line in lines):
            raise ValueError("unexpected character")
        return np.array(fields, dtype=np.float64).reshape(len(lines), n_columns)
    except ValueError:
        raise _first_bad_number(lines, first_row) from None


def _row_fields(line: str) -> list[str]:
    """The comma-separated fields of one row without its empty trailing fields."""
    row = line.split(",")
    while row and not row[-1].strip():
        row.pop()
    return row


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
