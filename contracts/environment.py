"""The environment variables each Lambda function and the classifier container read.

Components build each function's environment from :data:`FUNCTION_ENVIRONMENTS` (so a function
gets exactly the variables it reads), handlers read theirs through the same names, and the state
machine fills the container's per-run variables from the run input (:data:`CONTAINER_RUN_FIELDS`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

Value = TypeVar("Value")


class FunctionVariable(StrEnum):
    """Variables of the Lambda functions."""

    STATUS_TABLE = "STATUS_TABLE"
    CLASSIFIER_TABLE = "CLASSIFIER_TABLE"
    UPLOAD_BUCKET = "UPLOAD_BUCKET"
    RESULTS_BUCKET = "RESULTS_BUCKET"
    STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
    LOG_LEVEL = "LOG_LEVEL"
    #: Per-user limits (``maxActiveRunsPerUser``, ``maxUploadRequestsPerMinute``).
    LIMITS_TABLE = "LIMITS_TABLE"
    MAX_ACTIVE_RUNS_PER_USER = "MAX_ACTIVE_RUNS_PER_USER"
    #: How long a run can last at most; older sessions still RECEIVED or PROCESSING are stale.
    ACTIVE_RUN_WINDOW_SECONDS = "ACTIVE_RUN_WINDOW_SECONDS"
    MAX_UPLOAD_REQUESTS_PER_MINUTE = "MAX_UPLOAD_REQUESTS_PER_MINUTE"
    #: The classifier task's default size (``taskCpu``, ``taskMemory`` in MiB) and the most memory
    #: Validate may size a run's task with (``taskMemoryMax``); it refuses runs needing more.
    TASK_CPU = "TASK_CPU"
    TASK_MEMORY_MIB = "TASK_MEMORY_MIB"
    TASK_MEMORY_MAX_MIB = "TASK_MEMORY_MAX_MIB"
    #: How long a run's presigned URLs stay valid: the longest a run can last.
    RUN_ACCESS_SECONDS = "RUN_ACCESS_SECONDS"
    #: The stack's pipeline (``processing-{stack}``): the dimension of the metrics a function publishes
    #: (:mod:`contracts.pipeline_metrics`).
    PIPELINE_NAME = "PIPELINE_NAME"


DEFAULT_LOG_LEVEL = "INFO"


@dataclass(frozen=True)
class FunctionEnvironment:
    """The variables one function reads: ``required`` ones must be set, ``LOG_LEVEL`` is optional."""

    module: str
    required: tuple[FunctionVariable, ...]
    optional: tuple[FunctionVariable, ...] = (FunctionVariable.LOG_LEVEL,)

    @property
    def variables(self) -> tuple[FunctionVariable, ...]:
        return (*self.required, *self.optional)

    def missing(self, environ: Mapping[str, str]) -> list[str]:
        """The required variables that ``environ`` does not set (or sets to blanks)."""
        return [str(name) for name in self.required if not environ.get(name, "").strip()]

    def pick(self, available: Mapping[FunctionVariable, Value]) -> dict[str, Value]:
        """This function's environment out of everything the stack could give it.

        Raises
        ------
        KeyError
            If ``available`` lacks a required variable.
        """
        missing = [name for name in self.required if name not in available]
        if missing:
            raise KeyError(f"the {self.module} function needs {', '.join(missing)}")
        return {str(name): available[name] for name in self.variables if name in available}


START = FunctionEnvironment(
    "start",
    (
        FunctionVariable.STATUS_TABLE,
        FunctionVariable.STATE_MACHINE_ARN,
        FunctionVariable.MAX_ACTIVE_RUNS_PER_USER,
        FunctionVariable.ACTIVE_RUN_WINDOW_SECONDS,
    ),
)
VALIDATE = FunctionEnvironment(
    "validate",
    (FunctionVariable.TASK_CPU, FunctionVariable.TASK_MEMORY_MIB, FunctionVariable.TASK_MEMORY_MAX_MIB),
)
PROCESS_RESULTS = FunctionEnvironment(
    "process_results",
    (
        FunctionVariable.STATUS_TABLE,
        FunctionVariable.CLASSIFIER_TABLE,
        FunctionVariable.RESULTS_BUCKET,
        FunctionVariable.PIPELINE_NAME,
    ),
)
RECORD_FAILURE = FunctionEnvironment(
    "record_failure", (FunctionVariable.STATUS_TABLE, FunctionVariable.RESULTS_BUCKET)
)
RECONCILE = FunctionEnvironment("reconcile", (FunctionVariable.STATUS_TABLE,))
PRESIGN_RUN = FunctionEnvironment(
    "presign_run", (FunctionVariable.RESULTS_BUCKET, FunctionVariable.RUN_ACCESS_SECONDS)
)
API = FunctionEnvironment(
    "api",
    (
        FunctionVariable.STATUS_TABLE,
        FunctionVariable.CLASSIFIER_TABLE,
        FunctionVariable.UPLOAD_BUCKET,
        FunctionVariable.RESULTS_BUCKET,
        FunctionVariable.LIMITS_TABLE,
        FunctionVariable.MAX_UPLOAD_REQUESTS_PER_MINUTE,
    ),
)
#: Handler module under ``handlers/`` → the environment it reads.
FUNCTION_ENVIRONMENTS = {
    spec.module: spec
    for spec in (START, VALIDATE, PRESIGN_RUN, PROCESS_RESULTS, RECORD_FAILURE, RECONCILE, API)
}


class ContainerVariable(StrEnum):
    """Variables of the classifier container (architecture.md §6)."""

    INPUT_BUCKET = "INPUT_BUCKET"
    INPUT_KEY = "INPUT_KEY"
    INPUT_VERSION_ID = "INPUT_VERSION_ID"
    RESULTS_PREFIX = "RESULTS_PREFIX"
    #: The run's presigned URLs (:mod:`contracts.run_access`), from the presign step's result.
    RUN_ACCESS = "RUN_ACCESS"
    USER_ID = "USER_ID"
    SESSION_ID = "SESSION_ID"
    RUN_ID = "RUN_ID"
    EXECUTION_ARN = "EXECUTION_ARN"
    PERMUTATIONS = "FBCSP_PERMUTATIONS"
    SEED = "FBCSP_SEED"
    #: CPU units of the run's task (Validate's size). Fargate shows a task its host's CPUs, not its
    #: size, so the analysis learns from this how many CPUs it may use.
    TASK_CPU = "FBCSP_TASK_CPU"
    #: The stored filter designs (`fbcsp.filter_designs`): set by the image, not per run.
    FILTER_DESIGNS = "FBCSP_FILTER_DESIGNS"
    #: The folder of matplotlib's stored font list (`fbcsp.font_list`): set by the image, not per run.
    FONT_LIST = "FBCSP_FONT_LIST"


#: Per-run container variables and the :class:`~contracts.run_input.RunInput` field each is taken
#: from; ``RUN_ACCESS`` (the presign step's result) and ``FBCSP_TASK_CPU`` (Validate's task size)
#: are the other per-run variables. The bucket and keys are for the logs and the manifest: the
#: container reaches S3 only through ``RUN_ACCESS``.
CONTAINER_RUN_FIELDS: Mapping[ContainerVariable, str] = {
    ContainerVariable.INPUT_BUCKET: "bucket",
    ContainerVariable.INPUT_KEY: "key",
    ContainerVariable.INPUT_VERSION_ID: "upload_version",
    ContainerVariable.RESULTS_PREFIX: "results_prefix",
    ContainerVariable.USER_ID: "user_id",
    ContainerVariable.SESSION_ID: "session_id",
    ContainerVariable.RUN_ID: "run_id",
    ContainerVariable.EXECUTION_ARN: "execution_arn",
}
#: Variables the container cannot run without.
CONTAINER_REQUIRED = (*CONTAINER_RUN_FIELDS, ContainerVariable.RUN_ACCESS)
