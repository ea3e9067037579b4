"""A file over bytes that counts what is read from it: how much of an upload a rule had to read."""

import io


class CountingReader(io.BytesIO):
    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data
