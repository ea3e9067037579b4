"""Settings each function reads from its environment (:mod:`contracts.environment` names them).

Every function receives only the variables it reads, so each handler has its own settings
class. Handlers build them once per invocation, at the entry point, and pass them down.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from contracts import environment
from contracts.environment import DEFAULT_LOG_LEVEL, FunctionEnvironment, FunctionVariable
from handlers.common.errors import ConfigurationError


def _read(spec: FunctionEnvironment, environ: Mapping[str, str]) -> dict[FunctionVariable, str]:
    """The function's required variables and its log level.

    Raises
    ------
    ConfigurationError
        Naming the required variables that are not set.
    """
    missing = spec.missing(environ)
    if missing:
        raise ConfigurationError(f"the environment variable(s) {', '.join(missing)} are not set")
    values = {name: environ[name].strip() for name in spec.required}
    values[FunctionVariable.LOG_LEVEL] = (
        environ.get(FunctionVariable.LOG_LEVEL, "").strip().upper() or DEFAULT_LOG_LEVEL
    )
    return values


@dataclass(frozen=True, kw_only=True)
class StartSettings:
    status_table: str
    state_machine_arn: str
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "StartSettings":
        values = _read(environment.START, environ)
        return cls(
            status_table=values[FunctionVariable.STATUS_TABLE],
            state_machine_arn=values[FunctionVariable.STATE_MACHINE_ARN],
            log_level=values[FunctionVariable.LOG_LEVEL],
        )


@dataclass(frozen=True, kw_only=True)
class ValidateSettings:
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ValidateSettings":
        return cls(log_level=_read(environment.VALIDATE, environ)[FunctionVariable.LOG_LEVEL])


@dataclass(frozen=True, kw_only=True)
class ResultsSettings:
    """Settings of ``process_results`` and ``record_failure`` (only the former reads the classifier table)."""

    status_table: str
    results_bucket: str
    classifier_table: str | None = None
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, needs_classifier_table: bool) -> "ResultsSettings":
        spec = environment.PROCESS_RESULTS if needs_classifier_table else environment.RECORD_FAILURE
        values = _read(spec, environ)
        return cls(
            status_table=values[FunctionVariable.STATUS_TABLE],
            results_bucket=values[FunctionVariable.RESULTS_BUCKET],
            classifier_table=values.get(FunctionVariable.CLASSIFIER_TABLE),
            log_level=values[FunctionVariable.LOG_LEVEL],
        )


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    status_table: str
    classifier_table: str
    upload_bucket: str
    results_bucket: str
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ApiSettings":
        values = _read(environment.API, environ)
        return cls(
            status_table=values[FunctionVariable.STATUS_TABLE],
            classifier_table=values[FunctionVariable.CLASSIFIER_TABLE],
            upload_bucket=values[FunctionVariable.UPLOAD_BUCKET],
            results_bucket=values[FunctionVariable.RESULTS_BUCKET],
            log_level=values[FunctionVariable.LOG_LEVEL],
        )
