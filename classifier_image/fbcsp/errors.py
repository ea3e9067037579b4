"""Errors that reject an input, each carrying the pipeline failure code a user sees."""

from contracts.failures import FailureCode


class InputRejected(Exception):
    """The input cannot be trained on; ``message`` says why in words a researcher understands."""

    code = FailureCode.INVALID_UPLOAD

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidUpload(InputRejected):
    """The upload is malformed: not a zip, unsafe names, bad CSV or metadata, non-finite samples."""

    code = FailureCode.INVALID_UPLOAD


class InsufficientData(InputRejected):
    """The recording is well formed but holds too little to train on (one class, too few trials)."""

    code = FailureCode.INSUFFICIENT_DATA
