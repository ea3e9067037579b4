"""Exceptions the handlers raise on purpose.

The class names are part of the contract with the state machine: a Lambda task that raises
reports the exception's class name as ``errorType``, which becomes the state's error name and is
what ``record_failure`` maps to a failure code (docs/contracts.md, "Errors raised by handlers").
"""

from collections.abc import Mapping


class PipelineError(Exception):
    """An expected failure whose ``message`` is written for the person who uploaded the session."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidUpload(PipelineError):
    """The upload cannot be processed (wrong key, not a zip, unsafe or missing members, bad metadata)."""


class ResultsInvalid(PipelineError):
    """The classifier's manifest is missing, malformed, for another run, or names missing outputs."""


class ConfigurationError(RuntimeError):
    """A Lambda function was deployed without an environment variable it needs."""


class RequestError(PipelineError):
    """A status API request that cannot be answered; carries the HTTP status and error code."""

    def __init__(
        self, status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.headers = dict(headers or {})
