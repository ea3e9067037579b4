"""A zip's central directory judged from its end record, before ``zipfile`` reads the directory.

``zipfile.ZipFile`` builds a ``ZipInfo`` for every entry of the central directory as it opens
the archive, before the members can be counted: a 59 MiB upload whose directory lists 700,000
one-byte members takes 371 MiB, more than Validate's Lambda has. :func:`directory_problem` reads
only the end-of-central-directory record (and the Zip64 one it points to) from the file's tail and
refuses a directory that lists more members than allowed, or is larger than that many entries
can be. zipfile then reads at most that much.
"""

import struct
import zipfile
import zlib
from typing import IO

#: What a damaged or crafted archive makes ``zipfile`` raise while it is listed or read, besides its
#: own errors: a member name flagged UTF-8 that is not (``UnicodeDecodeError``, a ``ValueError``),
#: offsets past what a file position holds (``OverflowError``). OSError is not among them: it is a
#: failing read of the file itself (an S3 read timeout is an OSError).
UNREADABLE_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    ValueError,
    OverflowError,
    struct.error,
)
#: Largest central directory entry: 46 fixed bytes, then a name, an extra field and a comment
#: whose lengths are 16-bit numbers.
MAX_DIRECTORY_ENTRY_BYTES = 46 + 3 * 0xFFFF


def member_count_problem(count: int, max_members: int) -> str | None:
    """Why an archive of ``count`` members is refused, or ``None``."""
    if count > max_members:
        return f"the archive holds {count} members (at most {max_members} allowed)"
    return None


def directory_problem(source: IO[bytes], max_members: int) -> str | None:
    """Why the archive in ``source`` is refused from its end record alone, or ``None``.

    ``None`` too when there is no end record: opening the archive then says it is not a zip.
    """
    # Found with ZipFile's own (private) function, the same in 3.11 and in CPython's main branch, so
    # the check reads exactly the record ZipFile then trusts.
    end_record = zipfile._EndRecData(source)
    if end_record is None:
        return None
    too_many = member_count_problem(end_record[zipfile._ECD_ENTRIES_TOTAL], max_members)
    if too_many:
        return too_many
    directory_bytes = end_record[zipfile._ECD_SIZE]
    largest = max_members * MAX_DIRECTORY_ENTRY_BYTES
    if directory_bytes > largest:
        return (
            f"the archive's central directory is {directory_bytes} bytes, more than "
            f"{max_members} members can take ({largest} bytes)"
        )
    return None
