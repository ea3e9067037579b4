"""Settings each function reads from its environment (docs/contracts.md, "Lambda environment variables").

Every function receives only the variables it reads, so each handler has its own settings
class. Handlers build them once per invocation, at the entry point, and pass them down.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from handlers.common.errors import ConfigurationError

DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_MAX_UPLOAD_BYTES = 536_870_912
DEFAULT_PRESIGN_EXPIRY_SECONDS = 900


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"the environment variable {name} is not set")
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}") from error
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, got {value}")
    return value


def _log_level(environ: Mapping[str, str]) -> str:
    return environ.get("LOG_LEVEL", DEFAULT_LOG_LEVEL).strip().upper() or DEFAULT_LOG_LEVEL


@dataclass(frozen=True, kw_only=True)
class StartSettings:
    status_table: str
    state_machine_arn: str
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "StartSettings":
        return cls(
            status_table=_required(environ, "STATUS_TABLE"),
            state_machine_arn=_required(environ, "STATE_MACHINE_ARN"),
            log_level=_log_level(environ),
        )


@dataclass(frozen=True, kw_only=True)
class ValidateSettings:
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ValidateSettings":
        return cls(
            max_upload_bytes=_positive_int(environ, "MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
            log_level=_log_level(environ),
        )


@dataclass(frozen=True, kw_only=True)
class ResultsSettings:
    """Settings of ``process_results`` and ``record_failure``."""

    status_table: str
    results_bucket: str
    classifier_table: str | None = None
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, needs_classifier_table: bool) -> "ResultsSettings":
        return cls(
            status_table=_required(environ, "STATUS_TABLE"),
            results_bucket=_required(environ, "RESULTS_BUCKET"),
            classifier_table=_required(environ, "CLASSIFIER_TABLE") if needs_classifier_table else None,
            log_level=_log_level(environ),
        )


@dataclass(frozen=True, kw_only=True)
class ApiSettings:
    status_table: str
    classifier_table: str
    upload_bucket: str
    results_bucket: str
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    presign_expiry_seconds: int = DEFAULT_PRESIGN_EXPIRY_SECONDS
    log_level: str = DEFAULT_LOG_LEVEL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "ApiSettings":
        return cls(
            status_table=_required(environ, "STATUS_TABLE"),
            classifier_table=_required(environ, "CLASSIFIER_TABLE"),
            upload_bucket=_required(environ, "UPLOAD_BUCKET"),
            results_bucket=_required(environ, "RESULTS_BUCKET"),
            max_upload_bytes=_positive_int(environ, "MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES),
            presign_expiry_seconds=_positive_int(
                environ, "PRESIGN_EXPIRY_SECONDS", DEFAULT_PRESIGN_EXPIRY_SECONDS
            ),
            log_level=_log_level(environ),
        )
