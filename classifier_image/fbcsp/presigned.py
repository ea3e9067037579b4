"""The container's only way to S3: its run's presigned URLs (:mod:`contracts.run_access`).

Plain HTTPS with the standard library; no AWS credentials or SDK. Errors name the object, never
the URL, which is a secret until it expires.
"""

from __future__ import annotations

import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from contracts.manifest import RESULT_FILES
from contracts.run_access import RunAccess

#: HTTP statuses S3 answers for a request worth repeating (throttling, internal errors).
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 4
FIRST_BACKOFF_SECONDS = 1.0


class TransferError(RuntimeError):
    """S3 refused a presigned request, or it kept failing: names the object, not the URL."""


@dataclass(frozen=True)
class PresignedTransfer:
    """Reads the run's upload version and writes its result files through their presigned URLs."""

    access: RunAccess
    timeout_seconds: float = 60.0

    def download_input(self, destination: Path) -> None:
        """Stream the upload version the run was signed for into ``destination``."""

        def fetch() -> None:
            with (
                urllib.request.urlopen(self.access.input, timeout=self.timeout_seconds) as answer,  # noqa: S310 - an https URL the state machine signed
                destination.open("wb") as sink,
            ):
                shutil.copyfileobj(answer, sink)

        self._with_retries("GET of the upload", fetch)

    def put_result(self, name: str, body: bytes) -> None:
        """Write ``body`` as the result file ``name`` (one of :data:`RESULT_FILES`) with its Content-Type.

        Raises
        ------
        TransferError
            If ``name`` is not a result file of the contract (the run holds no URL for it), or S3
            refuses the write.
        """
        if name not in self.access.results:
            raise TransferError(f"{name!r} is not a result file of the contract; the run may not write it")
        request = urllib.request.Request(  # noqa: S310 - an https URL the state machine signed
            self.access.results[name],
            data=body,
            method="PUT",
            headers={"Content-Type": RESULT_FILES[name]},
        )

        def send() -> None:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds):  # noqa: S310
                pass

        self._with_retries(f"PUT of {name}", send)

    @staticmethod
    def _with_retries(what: str, attempt) -> None:
        delay = FIRST_BACKOFF_SECONDS
        for remaining in range(ATTEMPTS - 1, -1, -1):
            try:
                attempt()
                return
            except urllib.error.HTTPError as error:
                if error.code not in RETRIED_STATUSES or not remaining:
                    raise TransferError(f"{what} was answered {error.code} {error.reason}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if not remaining:
                    raise TransferError(f"{what} failed: {type(error).__name__}") from None
            time.sleep(delay)
            delay *= 2
