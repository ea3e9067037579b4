"""Failure codes a user sees, the handler errors that carry them, and the container's exit codes."""

from enum import IntEnum, StrEnum


class FailureCode(StrEnum):
    INVALID_UPLOAD = "INVALID_UPLOAD"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
    CLASSIFIER_ERROR = "CLASSIFIER_ERROR"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    IMAGE_UNAVAILABLE = "IMAGE_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    RESULTS_INVALID = "RESULTS_INVALID"
    INTERNAL_ERROR = "INTERNAL_ERROR"


#: Lambda ``errorType`` (the class name of the exception a handler raises on purpose) → failure code.
HANDLER_ERROR_CODES = {
    "InvalidUpload": FailureCode.INVALID_UPLOAD,
    "ResultsInvalid": FailureCode.RESULTS_INVALID,
}


class ExitCode(IntEnum):
    """How the classifier container ends, as ECS reports it."""

    OK = 0
    #: An unexpected error, or a missing or invalid environment.
    UNEXPECTED = 1
    #: The input was rejected (``INVALID_UPLOAD`` or ``INSUFFICIENT_DATA`` in the failed manifest).
    REJECTED = 2
    #: Killed by the kernel for exceeding the task's memory (128 + SIGKILL).
    OUT_OF_MEMORY = 137
