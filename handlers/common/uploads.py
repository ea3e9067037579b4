"""Checks of an uploaded zip that read only its central directory and its small metadata.json.

:class:`RangedObjectReader` is a read-only, seekable file over S3 ``Range`` requests, so
``zipfile.ZipFile`` can list the members of a large archive after fetching a few kilobytes from
its end. The checks themselves are pure functions of the member list and the metadata.
"""

import io
import json
import math
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.common.errors import InvalidUpload

METADATA_NAME = "metadata.json"


@dataclass(frozen=True, kw_only=True)
class ZipLimits:
    """Limits an upload's zip must respect (the container applies its own when it extracts)."""

    max_members: int = 16
    max_total_uncompressed_bytes: int = 4 * 1024**3
    max_compression_ratio: float = 100.0
    max_metadata_bytes: int = 64 * 1024


@dataclass(frozen=True)
class Member:
    name: str
    compressed_bytes: int
    uncompressed_bytes: int


@dataclass(frozen=True)
class ZipSummary:
    csv: Member
    metadata: Member
    members: tuple[Member, ...]


class RangedObjectReader(io.RawIOBase):
    """A seekable binary file over one S3 object version, read with ranged GETs.

    Reads are served from a small window that is refilled with one request per miss (at least
    ``block_bytes`` long), so zipfile's many small reads cost few requests. ``bytes_fetched``
    counts what was downloaded.
    """

    def __init__(
        self,
        s3: Any,
        *,
        bucket: str,
        key: str,
        size: int,
        etag: str,
        version_id: str | None = None,
        block_bytes: int = 64 * 1024,
    ) -> None:
        super().__init__()
        self._s3 = s3
        self._request = {"Bucket": bucket, "Key": key, "IfMatch": etag}
        if version_id:
            self._request["VersionId"] = version_id
        self.size = size
        self._block_bytes = block_bytes
        self._position = 0
        self._window_start = 0
        self._window = b""
        self.bytes_fetched = 0
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        origin = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        position = origin + offset
        if position < 0:
            raise OSError("negative seek position")
        self._position = position
        return position

    def _fetch(self, start: int, length: int) -> None:
        end = min(self.size, start + max(length, self._block_bytes)) - 1
        response = self._s3.get_object(**self._request, Range=f"bytes={start}-{end}")
        self._window = response["Body"].read()
        self._window_start = start
        self.bytes_fetched += len(self._window)
        self.requests += 1

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self._position)
        if wanted <= 0:
            return 0
        offset = self._position - self._window_start
        if offset < 0 or offset + wanted > len(self._window):
            self._fetch(self._position, wanted)
            offset = 0
        chunk = self._window[offset : offset + wanted]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


def _is_unsafe_name(name: str) -> bool:
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")
        or any(part == ".." for part in name.replace("\\", "/").split("/"))
    )


def _member_problem(info: zipfile.ZipInfo, limits: ZipLimits) -> str | None:
    name = info.filename
    if _is_unsafe_name(name):
        return f"the archive member {name!r} has an absolute or parent-relative path"
    if info.is_dir() or "/" in name or "\\" in name:
        return f"the archive must hold files at its root only, but contains {name!r}"
    if info.flag_bits & 0x1:
        return f"the archive member {name!r} is encrypted"
    if info.compress_type not in {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}:
        return f"the archive member {name!r} uses an unsupported compression method"
    if info.file_size > 0:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            return (
                f"the archive member {name!r} expands {ratio:.0f} times when unpacked "
                f"(at most {limits.max_compression_ratio:.0f} allowed)"
            )
    return None


def check_members(infos: Sequence[zipfile.ZipInfo], limits: ZipLimits) -> ZipSummary:
    """Check a zip's member list: count, safe flat names, sizes, ratios, one CSV and one metadata.json.

    Raises
    ------
    InvalidUpload
        With a message naming the first problem found.
    """
    if not infos:
        raise InvalidUpload("the archive is empty")
    if len(infos) > limits.max_members:
        raise InvalidUpload(f"the archive holds {len(infos)} members (at most {limits.max_members} allowed)")
    for info in infos:
        problem = _member_problem(info, limits)
        if problem:
            raise InvalidUpload(problem)
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise InvalidUpload("the archive holds two members with the same name")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_uncompressed_bytes:
        raise InvalidUpload(
            f"the archive unpacks to {total} bytes (at most {limits.max_total_uncompressed_bytes} allowed)"
        )
    members = tuple(Member(info.filename, info.compress_size, info.file_size) for info in infos)
    csv_members = [member for member in members if member.name.lower().endswith(".csv")]
    if len(csv_members) != 1:
        raise InvalidUpload(f"the archive must hold exactly one .csv file, found {len(csv_members)}")
    metadata = [member for member in members if member.name == METADATA_NAME]
    if not metadata:
        raise InvalidUpload(f"the archive has no {METADATA_NAME} at its root")
    if metadata[0].uncompressed_bytes > limits.max_metadata_bytes:
        raise InvalidUpload(f"{METADATA_NAME} is larger than {limits.max_metadata_bytes} bytes")
    return ZipSummary(csv=csv_members[0], metadata=metadata[0], members=members)


@dataclass(frozen=True)
class RecordingMetadata:
    eeg_channels: int
    frequency_hz: float


def check_metadata(raw: bytes) -> RecordingMetadata:
    """Parse metadata.json and check ``EEGChannels`` (whole number ≥ 2) and ``Frequency`` (> 0 Hz).

    Raises
    ------
    InvalidUpload
        If the file is not a JSON object or either field is missing or out of range.
    """
    try:
        metadata = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidUpload(f"{METADATA_NAME} is not valid JSON") from error
    if not isinstance(metadata, dict):
        raise InvalidUpload(f"{METADATA_NAME} must hold a JSON object")
    channels = metadata.get("EEGChannels")
    if (
        isinstance(channels, bool)
        or not isinstance(channels, int | float)
        or channels != int(channels)
        or channels < 2
    ):
        raise InvalidUpload(f"{METADATA_NAME} must give EEGChannels as a whole number of at least 2")
    frequency = metadata.get("Frequency")
    if (
        isinstance(frequency, bool)
        or not isinstance(frequency, int | float)
        or not math.isfinite(frequency)
        or frequency <= 0
    ):
        raise InvalidUpload(f"{METADATA_NAME} must give Frequency as a positive number of samples per second")
    return RecordingMetadata(eeg_channels=int(channels), frequency_hz=float(frequency))


def inspect_archive(source: Any, limits: ZipLimits) -> tuple[ZipSummary, RecordingMetadata]:
    """Open a seekable zip file, check its members, then read and check its metadata.json.

    Raises
    ------
    InvalidUpload
        If the file is not a readable zip archive or any check fails.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            summary = check_members(archive.infolist(), limits)
            with archive.open(summary.metadata.name) as metadata_file:
                raw_metadata = metadata_file.read(limits.max_metadata_bytes + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as error:
        raise InvalidUpload("the upload is not a readable zip archive") from error
    return summary, check_metadata(raw_metadata)
