"""Settings each function reads from its environment (:mod:`contracts.environment` names them).

Every function receives only the variables it reads, so each handler has its own settings
class, whose fields are those variables' names in lower case. Handlers build them once per
invocation, at the entry point, and pass them down.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from contracts import environment
from contracts.environment import DEFAULT_LOG_LEVEL, FunctionEnvironment, FunctionVariable
from contracts.run_access import MAX_RUN_ACCESS_SECONDS
from contracts.task_size import TaskSize
from handlers.common.errors import ConfigurationError


def _fields(spec: FunctionEnvironment, environ: Mapping[str, str]) -> dict[str, str]:
    """The function's required variables and its log level, keyed by settings field name.

    Raises
    ------
    ConfigurationError
        Naming the required variables that are not set.
    """
    missing = spec.missing(environ)
    if missing:
        raise ConfigurationError(f"the environment variable(s) {', '.join(missing)} are not set")
    fields = {name.lower(): environ[name].strip() for name in spec.required}
    fields["log_level"] = environ.get(FunctionVariable.LOG_LEVEL, "").strip().upper() or DEFAULT_LOG_LEVEL
    return fields


def _with_positive_ints(fields: dict[str, str], *names: str) -> dict[str, str | int]:
    """``fields`` with the named ones as positive whole numbers.

    Raises
    ------
    ConfigurationError
        Naming the variable whose value is not a positive whole number.
    """
    converted: dict[str, str | int] = dict(fields)
    for name in names:
        raw = fields[name]
        if not raw.isdigit() or int(raw) <= 0:
            raise ConfigurationError(f"{name.upper()} must be a positive whole number, got {raw!r}")
        converted[name] = int(raw)
    return converted


@dataclass(frozen=True, kw_only=True)
class StartSettings:
    status_table: str
    state_machine_arn: str
    max_active_runs_per_user: int
    active_run_window_seconds: int
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "StartSettings":
        fields = _fields(environment.START, environ)
        return cls(**_with_positive_ints(fields, "max_active_runs_per_user", "active_run_window_seconds"))


@dataclass(frozen=True, kw_only=True)
class ValidateSettings:
    task_cpu: int
    task_memory_mib: int
    task_memory_max_mib: int
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ValidateSettings":
        fields = _fields(environment.VALIDATE, environ)
        return cls(**_with_positive_ints(fields, "task_cpu", "task_memory_mib", "task_memory_max_mib"))

    @property
    def default_task_size(self) -> TaskSize:
        return TaskSize(self.task_cpu, self.task_memory_mib)


@dataclass(frozen=True, kw_only=True)
class PresignSettings:
    results_bucket: str
    run_access_seconds: int
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "PresignSettings":
        """Raises :class:`ConfigurationError` also for URLs that would outlive the credentials signing them."""
        settings = cls(**_with_positive_ints(_fields(environment.PRESIGN_RUN, environ), "run_access_seconds"))
        if settings.run_access_seconds > MAX_RUN_ACCESS_SECONDS:
            raise ConfigurationError(
                f"RUN_ACCESS_SECONDS {settings.run_access_seconds} is over {MAX_RUN_ACCESS_SECONDS}: URLs "
                "signed with this function's temporary credentials may stop working before then, so the run "
                "could not write its results (trainTimeoutMinutes is held below this at config load)"
            )
        return settings


@dataclass(frozen=True, kw_only=True)
class ReconcileSettings:
    status_table: str
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ReconcileSettings":
        return cls(**_fields(environment.RECONCILE, environ))


@dataclass(frozen=True, kw_only=True)
class ResultsSettings:
    """Settings of ``process_results`` and ``record_failure`` (only the former reads the classifier table
    and publishes metrics under the pipeline's name)."""

    status_table: str
    results_bucket: str
    classifier_table: str | None = None
    pipeline_name: str | None = None
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, needs_classifier_table: bool) -> "ResultsSettings":
        spec = environment.PROCESS_RESULTS if needs_classifier_table else environment.RECORD_FAILURE
        return cls(**_fields(spec, environ))


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    status_table: str
    classifier_table: str
    upload_bucket: str
    results_bucket: str
    limits_table: str
    max_upload_requests_per_minute: int
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ApiSettings":
        fields = _fields(environment.API, environ)
        return cls(**_with_positive_ints(fields, "max_upload_requests_per_minute"))
