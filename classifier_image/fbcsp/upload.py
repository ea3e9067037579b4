"""Safe reading of an upload zip (one ``metadata.json`` + one CSV of samples) into a :class:`Recording`.

The zip is untrusted. Before anything is extracted it must pass the pipeline's upload rules,
:func:`contracts.uploads.check_upload` (the same function Validate applies before the container
starts). Extraction then counts the bytes actually written, so a member whose header understates
its size is stopped at the same limits.

The CSV is read by `fbcsp.samples_csv`.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from contracts.upload_metadata import UploadMetadata, UploadRejected
from contracts.uploads import LIMITS, UploadLimits, check_upload, ratio_problem
from contracts.zip_directory import UNREADABLE_ARCHIVE_ERRORS

from .errors import InvalidUpload
from .events import cue_events, describe_trigger_column, merge_repeated_cues
from .recording import Recording
from .samples_csv import check_volts, read_samples_csv

log = logging.getLogger(__name__)

_COPY_CHUNK = 1 << 20


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
        column. Cues with other codes are dropped and repeats of a cue merged; these, or a trigger column
        without cues, are logged.

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
    events = merge_repeated_cues(cue_events(trigger), metadata.sfreq)
    cue_note = describe_trigger_column(trigger, events)
    if cue_note:
        log.warning(cue_note)
    return Recording(
        data=samples,
        sfreq=metadata.sfreq,
        ch_names=metadata.ch_names,
        event_samples=events.samples,
        event_codes=events.codes,
        ch_names_known=metadata.ch_names_known,
        cue_note=cue_note,
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
    except (*UNREADABLE_ARCHIVE_ERRORS, RuntimeError) as exc:
        # corrupt or unsupported compressed data; OSErrors of our own disk are left to propagate
        raise InvalidUpload(f"zip entry {info.filename!r} cannot be extracted ({exc})") from exc
    return target
