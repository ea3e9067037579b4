"""One set of upload rules for both callers: Validate (ranged reads on moto) and the classifier container.

Every rule is applied to the same zip by both; each limit is tested at its boundary on both
sides, so neither caller accepts what the other rejects.
"""

import io
import json
import math
import re
import stat
import struct
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from counting_reader import CountingReader
from moto import mock_aws

from contracts.keys import UploadKey, execution_arn_for, results_prefix_for, run_id_for
from contracts.run_input import RunInput
from contracts.task_size import LARGEST_FARGATE_MEMORY_MIB, TaskSize
from contracts.upload_metadata import (
    MAX_EEG_CHANNELS,
    MAX_SAMPLE_RATE_HZ,
    METADATA_NAME,
    MIN_SAMPLE_RATE_HZ,
    UploadRejected,
)
from contracts.uploads import LIMITS, UploadLimits, check_upload
from fbcsp.errors import InvalidUpload as ContainerRejected
from fbcsp.upload import extract_upload
from handlers.common.errors import InvalidUpload as ValidateRejected
from handlers.validate import validate_upload

pytestmark = pytest.mark.moto

#: Validate's memory verdict, which the container does not repeat, may size up to the largest Fargate
#: task so that only the shared rules decide here (tests/contracts/test_upload_memory.py tests the verdict).
SMALLEST_TASK = TaskSize(256, 512)

REGION = "eu-west-2"
BUCKET = "eeg-rules-uploads"
CSV = "".join(f"{i * 1e-6:.6f},{-i * 1e-6:.6f},{i * 2e-6:.6f},-79,{i % 3},\n" for i in range(400))
METADATA = {"EEGChannels": 3, "Frequency": 125.0}


def _member(name: str, data: bytes | str, *, compression: int = zipfile.ZIP_DEFLATED, mode: int = 0) -> tuple:
    info = zipfile.ZipInfo(name)
    info.compress_type = compression
    info.external_attr = mode << 16
    return info, data


def _zip(*members: tuple) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def _metadata(document: dict | None = None, *, padded_to: int | None = None) -> tuple:
    text = json.dumps(METADATA if document is None else document)
    if padded_to is not None:
        text = text.ljust(padded_to)
    return _member(METADATA_NAME, text)


def _good(*extra: tuple) -> bytes:
    return _zip(_metadata(), _member("data.csv", CSV), *extra)


def _infos(body: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return archive.infolist()


def _validate(body: bytes, limits: UploadLimits, session: boto3.session.Session) -> None:
    with mock_aws():
        s3 = session.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        key = UploadKey("u1", "s1", "rec.zip").key
        version = s3.put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"]
        run_id = run_id_for(BUCKET, key, version)
        run = RunInput(
            bucket=BUCKET,
            key=key,
            upload_version=version,
            size=len(body),
            user_id="u1",
            session_id="s1",
            run_id=run_id,
            results_prefix=results_prefix_for("u1", "s1", run_id),
            execution_arn=execution_arn_for(f"arn:aws:states:{REGION}:123456789012:stateMachine:p", run_id),
        )
        try:
            validate_upload(
                s3,
                run,
                default_task_size=SMALLEST_TASK,
                task_memory_max_mib=LARGEST_FARGATE_MEMORY_MIB,
                limits=limits,
            )
        except ValidateRejected as rejected:
            raise Rejected(rejected.message) from rejected


def _container(body: bytes, limits: UploadLimits, tmp_path: Path) -> None:
    path = tmp_path / "upload.zip"
    path.write_bytes(body)
    try:
        with tempfile.TemporaryDirectory(dir=tmp_path) as extracted:
            extract_upload(path, Path(extracted), limits)
    except ContainerRejected as rejected:
        raise Rejected(rejected.message) from rejected


class Rejected(Exception):
    """Either caller refused the upload."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@pytest.fixture(params=["container", "validate"])
def apply_rules(request, tmp_path, boto3_session) -> Callable[..., None]:
    """The rules as one caller applies them: raises :class:`Rejected` with the caller's message."""
    if request.param == "validate":
        return lambda body, limits=LIMITS: _validate(body, limits, boto3_session)
    return lambda body, limits=LIMITS: _container(body, limits, tmp_path)


def test_a_good_upload_passes_both(apply_rules):
    apply_rules(_good())


def test_the_object_size_limit(apply_rules):
    body = _good()
    apply_rules(body, UploadLimits(max_upload_bytes=len(body)))
    with pytest.raises(Rejected, match=f"the upload is {len(body)} bytes long"):
        apply_rules(body, UploadLimits(max_upload_bytes=len(body) - 1))


def test_the_member_count_limit(apply_rules):
    body = _good(_member("notes.txt", "x"))
    apply_rules(body, UploadLimits(max_members=3))
    with pytest.raises(Rejected, match="holds 3 members"):
        apply_rules(body, UploadLimits(max_members=2))


def test_the_unpacked_size_limit(apply_rules):
    body = _good()
    total = sum(info.file_size for info in _infos(body))
    apply_rules(body, UploadLimits(max_total_bytes=total))
    with pytest.raises(Rejected, match=f"unpacks to {total} bytes"):
        apply_rules(body, UploadLimits(max_total_bytes=total - 1))


def _lowest_accepted_ratio(uncompressed: int, compressed: int) -> float:
    """The smallest float ratio limit under which ``uncompressed`` from ``compressed`` bytes is allowed."""
    ratio = uncompressed / compressed
    while uncompressed > ratio * compressed:
        ratio = math.nextafter(ratio, math.inf)
    while not uncompressed > math.nextafter(ratio, 0) * compressed:
        ratio = math.nextafter(ratio, 0)
    return ratio


def test_the_compression_ratio_limit(apply_rules):
    body = _good()
    csv = next(info for info in _infos(body) if info.filename == "data.csv")
    ratio = _lowest_accepted_ratio(csv.file_size, csv.compress_size)
    assert ratio > 1  # the CSV member is the most compressed one, so it alone decides
    apply_rules(body, UploadLimits(max_ratio=ratio))
    with pytest.raises(Rejected, match="'data.csv' expands"):
        apply_rules(body, UploadLimits(max_ratio=math.nextafter(ratio, 0)))


def test_the_metadata_size_limit(apply_rules):
    body = _zip(_metadata(padded_to=200), _member("data.csv", CSV))
    apply_rules(body, UploadLimits(max_metadata_bytes=200))
    with pytest.raises(Rejected, match=f"{METADATA_NAME} is 200 bytes"):
        apply_rules(body, UploadLimits(max_metadata_bytes=199))


@pytest.mark.parametrize(
    ("channels", "frequency", "accepted"),
    [
        (2, 125.0, True),
        (1, 125.0, False),
        (MAX_EEG_CHANNELS, 125.0, True),
        (MAX_EEG_CHANNELS + 1, 125.0, False),
        (10**400, 125.0, False),
        (3, 10**400, False),
        (3, 0, False),
        (2.0, MIN_SAMPLE_RATE_HZ, True),
        (2.5, MIN_SAMPLE_RATE_HZ, False),
        (3, math.nextafter(MIN_SAMPLE_RATE_HZ, 0), False),
        (3, MAX_SAMPLE_RATE_HZ, True),
        (3, math.nextafter(MAX_SAMPLE_RATE_HZ, math.inf), False),
        (3, 0.001, False),
        (3, 1, False),
    ],
)
def test_the_metadata_value_limits(apply_rules, channels, frequency, accepted):
    body = _zip(_metadata({"EEGChannels": channels, "Frequency": frequency}), _member("data.csv", CSV))
    if accepted:
        apply_rules(body)
    else:
        with pytest.raises(Rejected, match="EEGChannels|Frequency"):
            apply_rules(body)


BROKEN_UPLOADS = {
    "not-a-zip": (b"this is not a zip archive" * 4, "not a readable zip"),
    "empty": (_zip(), "empty"),
    "symbolic-link": (_good(_member("link.txt", "/etc/passwd", mode=stat.S_IFLNK | 0o777)), "symbolic link"),
    "device": (_good(_member("dev.txt", "", mode=stat.S_IFCHR | 0o600)), "not a regular file"),
    "bzip2": (_zip(_metadata(), _member("data.csv", CSV, compression=zipfile.ZIP_BZIP2)), "compression"),
    "lzma": (_zip(_metadata(), _member("data.csv", CSV, compression=zipfile.ZIP_LZMA)), "compression"),
    "parent-path": (_good(_member("../evil.txt", "x")), "points outside"),
    "absolute-path": (_good(_member("/etc/evil.txt", "x")), "absolute path"),
    "drive-path": (_good(_member("C:/evil.txt", "x")), "absolute path"),
    "backslash": (_good(_member("sub\\evil.txt", "x")), "backslash"),
    "nested": (
        _zip(_metadata(), _member("folder/data.csv", CSV)),
        "root only, but contains 'folder/data.csv': zip the files themselves, not the folder 'folder' holding "
        "them, e.g. `zip -j upload.zip folder/*`",
    ),
    "macos-resource-files": (
        _good(_member("__MACOSX/._data.csv", "x")),
        "contains '__MACOSX/._data.csv' (macOS Finder's resource files): zip the two files without them",
    ),
    "directory": (_good(_member("folder/", "")), "root only"),
    "dot-slash": (
        _zip(_member(f"./{METADATA_NAME}", "{}"), _member("data.csv", CSV)),
        f"'./{METADATA_NAME}' names its file with a path: zip the files themselves",
    ),
    "two-csv": (_good(_member("more.csv", CSV)), "exactly one .csv file, found 2"),
    "no-csv": (_zip(_metadata()), "exactly one .csv file, found 0"),
    "no-metadata": (_zip(_member("data.csv", CSV)), f"no {METADATA_NAME}"),
    "metadata-wrong-case": (
        _zip(_member("Metadata.JSON", "{}"), _member("data.csv", CSV)),
        f"no {METADATA_NAME}",
    ),
    "metadata-not-json": (_zip(_member(METADATA_NAME, "{oops"), _member("data.csv", CSV)), "not valid JSON"),
    "metadata-not-object": (_zip(_member(METADATA_NAME, "[3]"), _member("data.csv", CSV)), "JSON object"),
    "channel-names-count": (
        _zip(_metadata({**METADATA, "ChannelNames": ["C3", "C4"]}), _member("data.csv", CSV)),
        "names 2 channel",
    ),
    "channel-names-repeated": (
        _zip(_metadata({**METADATA, "ChannelNames": ["C3", "c3", "Cz"]}), _member("data.csv", CSV)),
        "repeats",
    ),
}


def _encrypted(body: bytes, member: str) -> bytes:
    """``body`` with ``member`` flagged as encrypted in the central directory (zipfile cannot write one)."""
    data = bytearray(body)
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + name_length].decode() == member:
            data[entry + 8] |= 0x1
        entry = data.find(b"PK\x01\x02", entry + 46)
    return bytes(data)


def _duplicate_names() -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns, and writes it all the same
        return _good(_member("data.csv", CSV))


#: Where a local and a central directory header keep the member's flags and name.
_FLAGS_AND_NAME_OFFSETS = {b"PK\x03\x04": (6, 30), b"PK\x01\x02": (8, 46)}
_UTF8_NAME_FLAG = 0x800


def _renamed_as_utf8(body: bytes, name: str, raw_name: bytes, signatures=tuple(_FLAGS_AND_NAME_OFFSETS)) -> bytes:
    """``body`` with member ``name`` renamed to the bytes ``raw_name`` (as long) flagged as UTF-8, in the
    headers with the given signatures (local and central by default)."""
    data = bytearray(body)
    for signature in signatures:
        flags_at, name_at = _FLAGS_AND_NAME_OFFSETS[signature]
        header = data.find(signature)
        while header != -1:
            name_bytes = slice(header + name_at, header + name_at + len(raw_name))
            if data[name_bytes] == name.encode():
                data[name_bytes] = raw_name
                flags = struct.unpack_from("<H", data, header + flags_at)[0]
                struct.pack_into("<H", data, header + flags_at, flags | _UTF8_NAME_FLAG)
            header = data.find(signature, header + 4)
    return bytes(data)


def _one_byte_lost(body: bytes) -> bytes:
    """A copy of ``body`` that lost a byte of its first member's data, as a broken transfer would."""
    middle = 30 + len(METADATA_NAME) + 5
    return body[:middle] + body[middle + 1 :]


_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")


def _listing(n_members: int, *, listed: int | None = None) -> bytes:
    """A zip of ``n_members`` stored one-byte members, written by hand (zipfile takes long for many),
    whose end record says it lists ``listed`` of them (all by default)."""
    local, central = bytearray(), bytearray()
    crc = zlib.crc32(b"x")
    for number in range(n_members):
        name = str(number).encode()
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, 1, 1, len(name), 0, 0, 0, 0, 0, len(local)
        )
        central += name
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, 1, 1, len(name), 0) + name + b"x"
    count = n_members if listed is None else listed
    return bytes(local + central) + _END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, len(central), len(local), 0)


def _with_zip64_end_record(body: bytes, listed: int) -> bytes:
    """``body`` (without a comment) whose end record defers to a Zip64 one saying it lists ``listed`` members."""
    end = len(body) - _END_RECORD.size
    _, _, _, _, _, directory_bytes, directory_offset, _ = _END_RECORD.unpack_from(body, end)
    zip64_end = _ZIP64_END_RECORD.pack(
        b"PK\x06\x06", _ZIP64_END_RECORD.size - 12, 45, 45, 0, 0, listed, listed, directory_bytes, directory_offset
    )
    locator = _ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, end, 1)
    deferred = _END_RECORD.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body[:end] + zip64_end + locator + deferred


def _deeply_nested_metadata() -> tuple:
    nested = '{"EEGChannels": 3, "Frequency": 125, "x": ' + "[" * 30_000 + "]" * 30_000 + "}"
    return _member(METADATA_NAME, nested, compression=zipfile.ZIP_STORED)  # deflated beyond the ratio limit


BROKEN_UPLOADS["encrypted"] = (_encrypted(_good(), "data.csv"), "encrypted")
BROKEN_UPLOADS["duplicate-names"] = (_duplicate_names(), "same name")
BROKEN_UPLOADS.update(
    {
        "one-byte-lost": (_one_byte_lost(_good()), "not a readable zip archive"),
        "name-not-utf8": (_renamed_as_utf8(_good(), "data.csv", b"d\xffta.csv"), "is not valid UTF-8"),
        "empty-name": (_good(_member("", "x")), "an archive member has an empty name ('')"),
        "dot-name": (_good(_member(".", "x")), "an archive member has an empty name ('.')"),
        "metadata-nested-too-deeply": (_zip(_deeply_nested_metadata(), _member("data.csv", CSV)), "too deeply"),
        "a-billion-channels": (
            _zip(_metadata({"EEGChannels": 1_000_000_000, "Frequency": 160}), _member("data.csv", CSV)),
            f"EEGChannels as a whole number from 2 to {MAX_EEG_CHANNELS}",
        ),
        "frequency-beyond-float": (
            _zip(_metadata({"EEGChannels": 3, "Frequency": 10**400}), _member("data.csv", CSV)),
            "Frequency as a positive number",
        ),
        "zip64-record-listing-too-many": (_with_zip64_end_record(_good(), 70_000), "holds 70000 members"),
        "directory-larger-than-its-count": (
            _listing(40_000, listed=2),
            f"more than {LIMITS.max_members} members can take",
        ),
    }
)


@pytest.mark.parametrize("name", sorted(BROKEN_UPLOADS))
def test_every_broken_upload_is_refused_by_both(apply_rules, name):
    body, message = BROKEN_UPLOADS[name]
    with pytest.raises(Rejected, match=re.escape(message)):
        apply_rules(body)


def test_a_zip64_end_record_is_read_as_zipfile_reads_it(apply_rules):
    # The twin of "zip64-record-listing-too-many": the same record telling the truth passes.
    apply_rules(_with_zip64_end_record(_good(), 2))


def test_a_member_name_not_utf8_in_its_local_header_only_is_refused_by_both(apply_rules):
    # Validate reads the CSV's local header for its prefix, the container when it extracts the CSV.
    body = _renamed_as_utf8(_good(), "data.csv", b"d\xffta.csv", signatures=(b"PK\x03\x04",))
    with pytest.raises(Rejected, match="(?i)utf-8"):
        apply_rules(body)


def test_a_directory_listing_too_many_members_is_refused_from_the_end_record_alone():
    # GIVEN a 3 MB zip whose central directory lists 60,000 members (zipfile would build them all)
    body = _listing(60_000)
    reader = CountingReader(body)
    # WHEN the rules are applied THEN it is refused after reading its last few dozen bytes
    with pytest.raises(UploadRejected, match=f"holds 60000 members \\(at most {LIMITS.max_members} allowed\\)"):
        check_upload(reader, len(body))
    assert reader.bytes_read < 100 < len(body) // 10_000
