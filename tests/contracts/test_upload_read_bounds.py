"""check_upload reads no more of a member's compressed data than the bytes it wants can take.

A deflate stream may open with any number of empty blocks, which inflate to nothing: zipfile
reads through all of them before it returns a byte. Validate reads the object through ranged
GETs of 64 KiB: about 8,000 for a 512 MiB upload padded that way, against its 60 s timeout, whose
error the session would record as INTERNAL_ERROR ("upload again") instead of INVALID_UPLOAD.
"""

import io
import json
import struct
import zlib

import pytest
from counting_reader import CountingReader

from contracts.upload_memory import CSV_PREFIX_BYTES
from contracts.upload_metadata import METADATA_NAME, UploadRejected
from contracts.uploads import check_upload

pytestmark = pytest.mark.unit

METADATA = json.dumps({"EEGChannels": 3, "Frequency": 125.0}).encode()
CSV = "".join(f"{i * 1e-6:.6f},{-i * 1e-6:.6f},{i * 2e-6:.6f},-79,{i % 3},\n" for i in range(400)).encode()
#: An empty, not final, stored deflate block: inflates to nothing.
EMPTY_DEFLATE_BLOCK = b"\x00\x00\x00\xff\xff"
PADDING_BLOCKS = 4_000_000  # 20 MB of compressed data before the member's bytes


def _deflated(data: bytes, padding_blocks: int = 0) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return EMPTY_DEFLATE_BLOCK * padding_blocks + compressor.compress(data) + compressor.flush()


def _zip(members: dict[str, tuple[bytes, bytes]]) -> bytes:
    """A zip of deflated members, name -> (content, its deflate stream), written by hand (zipfile
    cannot be given a stream)."""
    local, central = bytearray(), bytearray()
    for name, (content, stream) in members.items():
        encoded, crc, offset = name.encode(), zlib.crc32(content), len(local)
        sizes = (crc, len(stream), len(content), len(encoded))
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, *sizes, 0) + encoded + stream
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, *sizes, 0, 0, 0, 0, 0, offset)
        central += encoded
    count = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(local), 0)
    return bytes(local + central) + end


def test_an_upload_of_honest_deflate_streams_passes():
    body = _zip({METADATA_NAME: (METADATA, _deflated(METADATA)), "data.csv": (CSV, _deflated(CSV))})

    assert check_upload(io.BytesIO(body), len(body), csv_prefix_bytes=CSV_PREFIX_BYTES).csv_prefix == CSV


@pytest.mark.parametrize("padded", [METADATA_NAME, "data.csv"])
def test_a_member_padded_with_empty_deflate_blocks_is_refused_after_reading_a_little_of_it(padded):
    # GIVEN a 20 MB upload whose metadata.json or CSV opens with 4 million empty deflate blocks
    contents = {METADATA_NAME: METADATA, "data.csv": CSV}
    streams = {name: _deflated(content, PADDING_BLOCKS if name == padded else 0) for name, content in contents.items()}
    body = _zip({name: (contents[name], streams[name]) for name in contents})
    reader = CountingReader(body)
    # WHEN the rules are applied as Validate applies them THEN it is refused as a damaged archive
    with pytest.raises(UploadRejected, match="not a readable zip archive"):
        check_upload(reader, len(body), csv_prefix_bytes=CSV_PREFIX_BYTES)
    # AND only a small part of it was read
    assert reader.bytes_read < 1_000_000 < len(body) // 20
