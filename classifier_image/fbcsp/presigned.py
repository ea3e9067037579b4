"""The container's only way to S3: its run's presigned URLs (:mod:`contracts.run_access`).

Plain HTTPS with the standard library; no AWS credentials or SDK. Errors name the object, never
the URL, which is a secret until it expires. Of S3's error answer they read only the ``Code`` and
``Message``: other elements can hold the URL's session token (``Token-0`` of ``ExpiredToken``) or
its query (the ``CanonicalRequest`` of ``SignatureDoesNotMatch``).
"""

from __future__ import annotations

import http.client
import re
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
#: How much of an error answer is read for its Code and Message; S3's error documents are smaller.
MAX_ERROR_BYTES = 4096
_CODE = re.compile(r"<Code>([A-Za-z0-9.]{1,64})</Code>")
_MESSAGE = re.compile(r"<Message>([^<]{0,200})</Message>")


class TransferError(RuntimeError):
    """S3 refused a presigned request, or it kept failing: names the object, not the URL."""


class AccessExpired(TransferError):
    """S3 refused a presigned request because the URL, or the credentials that signed it, had expired."""


def _s3_error(error: urllib.error.HTTPError) -> tuple[str | None, str | None]:
    """The ``Code`` and ``Message`` of S3's XML error answer (``None`` where it has none)."""
    try:
        body = error.read(MAX_ERROR_BYTES).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return None, None
    code, message = _CODE.search(body), _MESSAGE.search(body)
    return (code.group(1) if code else None), (message.group(1) if message else None)


def _came_too_late(code: str | None, message: str | None) -> bool:
    """Whether S3 refused a presigned request for coming after it expired: ``ExpiredToken`` (400) when the
    credentials that signed it have expired, ``AccessDenied`` "Request has expired" (403) when its own
    ``X-Amz-Expires`` has passed."""
    return code == "ExpiredToken" or (code == "AccessDenied" and message == "Request has expired")


def _refusal(what: str, expired_before: str, error: urllib.error.HTTPError) -> TransferError:
    """The error of S3's refusal of ``what``: :class:`AccessExpired` when the URL came too late."""
    code, message = _s3_error(error)
    if _came_too_late(code, message):
        return AccessExpired(
            f"the run's access to storage expired before {expired_before}: {what} was answered "
            f"{error.code} {code} (its presigned URL, or the credentials that signed it, had expired)"
        )
    return TransferError(f"{what} was answered {error.code} {error.reason}" + (f" ({code})" if code else ""))


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

        self._with_retries("GET of the upload", "the upload was read", fetch)

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

        self._with_retries(f"PUT of {name}", "the results were written", send)

    @staticmethod
    def _with_retries(what: str, expired_before: str, attempt) -> None:
        delay = FIRST_BACKOFF_SECONDS
        for remaining in range(ATTEMPTS - 1, -1, -1):
            try:
                attempt()
                return
            except urllib.error.HTTPError as error:
                if error.code not in RETRIED_STATUSES or not remaining:
                    raise _refusal(what, expired_before, error) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if not remaining:
                    raise TransferError(f"{what} failed: {type(error).__name__}") from None
            time.sleep(delay)
            delay *= 2
