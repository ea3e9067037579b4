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
    #: Fargate had no capacity (or ECS kept throttling) through every retry of ``TrainClassifier``.
    CAPACITY_UNAVAILABLE = "CAPACITY_UNAVAILABLE"
    #: The start function refused an upload: its user had too many sessions waiting or training.
    TOO_MANY_ACTIVE_RUNS = "TOO_MANY_ACTIVE_RUNS"


#: Lambda ``errorType`` (the class name of the exception a handler raises on purpose) → failure code.
HANDLER_ERROR_CODES = {
    "InvalidUpload": FailureCode.INVALID_UPLOAD,
    "ResultsInvalid": FailureCode.RESULTS_INVALID,
}


#: ECS errors of ``RunTask`` that mean "no capacity now" or throttling: the state machine retries
#: them for the stack's ``capacityWaitMinutes``; one that still reaches the Catch is ``CAPACITY_UNAVAILABLE``.
#: ``AmazonECS.Unknown`` is how ``runTask.sync`` fails when RunTask answers HTTP 200 with a non-empty
#: ``Failures`` list (Step Functions' ECS integration guide): ECS could not place the task
#: (``RESOURCE:*``, ``AGENT``, capacity), which passes like the rest.
RUN_TASK_CAPACITY_ERRORS = (
    "ECS.AmazonECSException",
    "ECS.ServerException",
    "ECS.ThrottlingException",
    "ECS.LimitExceededException",
    "AmazonECS.Unknown",
)


class ExitCode(IntEnum):
    """How the classifier container ends, as ECS reports it."""

    OK = 0
    #: An unexpected error, or a missing or invalid environment.
    UNEXPECTED = 1
    #: The input was rejected (``INVALID_UPLOAD`` or ``INSUFFICIENT_DATA`` in the failed manifest).
    REJECTED = 2
    #: S3 refused the run's presigned URLs as expired (they, or the credentials that signed them): no
    #: manifest can be written, all the run's URLs expire together.
    ACCESS_EXPIRED = 3
    #: Killed (128 + SIGKILL): by the kernel for exceeding the task's memory, or by ECS when a stopped
    #: container outlives its stop timeout. Only ECS's stop code and reason tell which.
    KILLED = 137
    #: Stopped by SIGTERM, which ECS sends first when it stops a task (128 + SIGTERM).
    STOPPED = 143
