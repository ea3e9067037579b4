"""The upload rules: limits, and the one check of a zip's members and metadata.json
(whose own rules are :mod:`contracts.upload_metadata`).

Validate applies :func:`check_upload` to the object in S3 (a zip file over ranged GETs, so only
the central directory and metadata.json are read) before any container starts; the classifier
container applies it to the downloaded file before it extracts anything. Both therefore accept
and reject the same uploads. The container additionally counts the bytes it actually extracts
against the same limits (a member whose header understates its size) and parses the CSV.
"""

import copy
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from contracts.upload_metadata import METADATA_NAME, UploadMetadata, UploadRejected, parse_metadata
from contracts.zip_directory import UNREADABLE_ARCHIVE_ERRORS, directory_problem, member_count_problem

CSV_SUFFIX = ".csv"
SUPPORTED_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_ENCRYPTED_FLAG = 0x1
_PREFIX_PIECE_BYTES = 4096
#: Compressed bytes allowed beyond twice the inflated bytes a read wants; deflate never needs that
#: much (its stored blocks add 5 bytes per 65,535).
_COMPRESSED_SLACK_BYTES = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class UploadLimits:
    """Limits of an upload.

    Attributes
    ----------
    max_upload_bytes
        Largest upload object (also signed into the API's presigned POST).
    max_members
        Most members the zip may hold (it needs two: metadata.json and one CSV).
    max_total_bytes
        Most bytes all members may expand to together.
    max_ratio
        Highest uncompressed/compressed size ratio of one member (EEG text compresses about 5:1).
    max_metadata_bytes
        Largest accepted metadata.json.
    """

    max_upload_bytes: int = 512 * 1024**2
    max_members: int = 8
    max_total_bytes: int = 1024**3
    max_ratio: float = 100.0
    max_metadata_bytes: int = 64 * 1024


LIMITS = UploadLimits()


@dataclass(frozen=True)
class Member:
    name: str
    compressed_bytes: int
    uncompressed_bytes: int


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every rule: its members, the CSV and metadata members, the metadata,
    and the first inflated bytes of the CSV when they were asked for."""

    members: tuple[Member, ...]
    csv: zipfile.ZipInfo
    metadata_member: zipfile.ZipInfo
    metadata: UploadMetadata
    csv_prefix: bytes = b""


def ratio_problem(name: str, uncompressed: int, compressed: int, limits: UploadLimits) -> str | None:
    """Why a member expanding ``compressed`` → ``uncompressed`` bytes is refused, or ``None``."""
    if uncompressed > limits.max_ratio * max(compressed, 1):
        return (
            f"the archive member {name!r} expands {uncompressed} bytes from {compressed} "
            f"(more than {limits.max_ratio:g}:1)"
        )
    return None


def _name_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    path = PurePosixPath(name)
    if not path.parts:
        return f"an archive member has an empty name ({name!r})"
    if "\\" in name or "\x00" in name:
        return f"the archive member {name!r} has a backslash or NUL in its name"
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        return f"the archive member {name!r} has an absolute path"
    if ".." in path.parts:
        return f"the archive member {name!r} points outside the archive ('..' in its path)"
    if info.is_dir() or len(path.parts) != 1:
        return f"the archive must hold files at its root only, but contains {name!r}" + _nesting_hint(path)
    if name != path.name:  # './metadata.json': the same path, yet not the name the rules look for
        return (
            f"the archive member {name!r} names its file with a path: zip the files themselves, named "
            f"{path.name!r} and so on, e.g. `zip -j upload.zip metadata.json data.csv`"
        )
    return None


def _nesting_hint(path: PurePosixPath) -> str:
    """How to zip the files themselves: a folder was zipped, or macOS added its resource files."""
    if path.parts[0] == "__MACOSX":
        return (
            " (macOS Finder's resource files): zip the two files without them, "
            "e.g. `zip -j -X upload.zip metadata.json data.csv`"
        )
    folder = path.parts[0]
    return f": zip the files themselves, not the folder {folder!r} holding them, e.g. `zip -j upload.zip {folder}/*`"


def _kind_problem(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"the archive member {info.filename!r} is a symbolic link"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return f"the archive member {info.filename!r} is not a regular file"
    if info.flag_bits & _ENCRYPTED_FLAG:
        return f"the archive member {info.filename!r} is encrypted"
    if info.compress_type not in SUPPORTED_COMPRESSION:
        return f"the archive member {info.filename!r} uses an unsupported compression method"
    if info.header_offset < 0:
        # zipfile moves every offset by the bytes missing before the directory: a damaged copy.
        return (
            f"the upload is not a readable zip archive: its directory places {info.filename!r} before the "
            "start of the file (a damaged copy?)"
        )
    return None


def check_members(
    infos: Sequence[zipfile.ZipInfo], limits: UploadLimits = LIMITS
) -> tuple[zipfile.ZipInfo, zipfile.ZipInfo]:
    """Check a zip's central directory; return its CSV and metadata.json members.

    Raises
    ------
    UploadRejected
        Naming the first problem: count, unsafe or nested names, links, encryption, compression
        method, ratio, total size, duplicate names, not exactly one CSV, no or too large metadata.json.
    """
    if not infos:
        raise UploadRejected(f"the archive is empty: it must hold {METADATA_NAME} and one CSV file")
    too_many = member_count_problem(len(infos), limits.max_members)
    if too_many:
        raise UploadRejected(too_many)
    for info in infos:
        problem = (
            _name_problem(info)
            or _kind_problem(info)
            or ratio_problem(info.filename, info.file_size, info.compress_size, limits)
        )
        if problem:
            raise UploadRejected(problem)
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise UploadRejected("the archive holds two members with the same name")
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        raise UploadRejected(
            f"the archive unpacks to {total} bytes (at most {limits.max_total_bytes} allowed)"
        )
    csvs = [info for info in infos if info.filename.lower().endswith(CSV_SUFFIX)]
    if len(csvs) != 1:
        raise UploadRejected(f"the archive must hold exactly one .csv file, found {len(csvs)}")
    metadata = [info for info in infos if info.filename == METADATA_NAME]
    if not metadata:
        raise UploadRejected(f"the archive has no {METADATA_NAME} at its root")
    if metadata[0].file_size > limits.max_metadata_bytes:
        raise UploadRejected(
            f"{METADATA_NAME} is {metadata[0].file_size} bytes (at most {limits.max_metadata_bytes} allowed)"
        )
    return csvs[0], metadata[0]


def _open_start(archive: zipfile.ZipFile, member: zipfile.ZipInfo, length: int) -> IO[bytes]:
    """``member`` opened to read its first ``length`` inflated bytes from no more compressed bytes
    than those can take.

    A deflate stream may open with any number of empty blocks, which zipfile reads through before it
    returns a byte (about 8,000 of Validate's ranged GETs for a padded 512 MiB upload, against its
    60 s timeout). The bound ends such a member early, and its CRC then fails: a damaged archive.
    """
    bounded = copy.copy(member)
    bounded.compress_size = min(member.compress_size, 2 * length + _COMPRESSED_SLACK_BYTES)
    return archive.open(bounded)


def _read_prefix(archive: zipfile.ZipFile, member: zipfile.ZipInfo, length: int) -> bytes:
    """The first ``length`` inflated bytes of ``member``, read in small pieces: one large ``read``
    would make zipfile fetch as many compressed bytes as inflated ones are asked for."""
    parts: list[bytes] = []
    remaining = length
    with _open_start(archive, member, length) as member_file:
        while remaining > 0 and (part := member_file.read(min(remaining, _PREFIX_PIECE_BYTES))):
            parts.append(part)
            remaining -= len(part)
    return b"".join(parts)


def check_upload(
    source: IO[bytes], size: int, limits: UploadLimits = LIMITS, *, csv_prefix_bytes: int = 0
) -> CheckedUpload:
    """Apply every upload rule to a seekable zip file of ``size`` bytes, reading only its directory,
    metadata.json and the first ``csv_prefix_bytes`` inflated bytes of the CSV
    (:mod:`contracts.upload_memory` measures its rows).

    Raises
    ------
    UploadRejected
        If the object is too large, not a readable zip, or breaks a member or metadata rule. The
        member count and the directory's size are checked from the zip's end record before the
        directory is read (:func:`contracts.zip_directory.directory_problem`).
    """
    if size > limits.max_upload_bytes:
        raise UploadRejected(
            f"the upload is {size} bytes long, more than the {limits.max_upload_bytes} allowed"
        )
    try:
        too_large_directory = directory_problem(source, limits.max_members)
        if too_large_directory:
            raise UploadRejected(too_large_directory)
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            csv, metadata_member = check_members(infos, limits)
            with _open_start(archive, metadata_member, limits.max_metadata_bytes + 1) as metadata_file:
                raw_metadata = metadata_file.read(limits.max_metadata_bytes + 1)
            csv_prefix = _read_prefix(archive, csv, csv_prefix_bytes) if csv_prefix_bytes else b""
    except UploadRejected:
        raise
    except UnicodeDecodeError as error:
        raise UploadRejected(
            "an archive member's name is marked as UTF-8 but is not valid UTF-8: name the files in plain "
            "letters and digits and zip them again"
        ) from error
    except UNREADABLE_ARCHIVE_ERRORS as error:
        raise UploadRejected("the upload is not a readable zip archive") from error
    if len(raw_metadata) > limits.max_metadata_bytes:
        raise UploadRejected(f"{METADATA_NAME} is larger than {limits.max_metadata_bytes} bytes")
    members = tuple(Member(info.filename, info.compress_size, info.file_size) for info in infos)
    return CheckedUpload(
        members=members,
        csv=csv,
        metadata_member=metadata_member,
        metadata=parse_metadata(raw_metadata),
        csv_prefix=csv_prefix,
    )
