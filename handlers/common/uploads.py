"""A seekable file over an S3 object, so the upload rules read only a zip's directory and metadata.

:class:`RangedObjectReader` is a read-only, seekable file over S3 ``Range`` requests, so
``zipfile.ZipFile`` can list the members of a large archive after fetching a few kilobytes from
its end. The rules themselves are :func:`contracts.uploads.check_upload`.
"""

import io
from typing import Any


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
        version_id: str,
        block_bytes: int = 64 * 1024,
    ) -> None:
        super().__init__()
        self._s3 = s3
        self._request = {"Bucket": bucket, "Key": key, "VersionId": version_id, "IfMatch": etag}
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
