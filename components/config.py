"""Stack settings: read from raw Pulumi config values, validated once, before any resource exists.

Everything here is pure. ``__main__.py`` collects the raw values with :func:`collect_raw_config`
(from ``pulumi.Config().get``) and passes them to :func:`load_settings`, which either returns a
frozen :class:`StackSettings` or raises :class:`ConfigError` naming the key and what is wrong.

Values may arrive as native YAML types or as strings (``pulumi.Config().get`` returns objects as
JSON text), so every reader accepts both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.task_size import FARGATE_MEMORY_BY_CPU, TaskSize, maximum_size

PROJECT_NAME = "eeg-pipeline"
ENVIRONMENTS = ("dev", "staging", "prod")

# Retention values CloudWatch Logs accepts (0 = never expire is left out on purpose: retention is
# set everywhere).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

CONFIG_KEYS = (
    "environment",
    "tags",
    "taskCpu",
    "taskMemory",
    "taskMemoryMax",
    "logRetentionDays",
    "uploadExpirationDays",
    "resultsNoncurrentVersionDays",
    "alarmEmail",
    "jwtIssuer",
    "jwtAudience",
    "subnetIds",
    "securityGroupIds",
    "trainTimeoutMinutes",
    "apiThrottlingBurstLimit",
    "apiThrottlingRateLimit",
    "maxReceiveCount",
    "smokeTestUser",
    "corsAllowOrigins",
    "permissionsBoundaryArn",
    "maxActiveRunsPerUser",
    "maxUploadRequestsPerMinute",
    "startMaxConcurrency",
    "apiReservedConcurrency",
)

# A production stack keeps enough history to investigate an incident and recover overwritten results.
PRODUCTION_MIN_LOG_RETENTION_DAYS = 90
PRODUCTION_MIN_RESULTS_NONCURRENT_VERSION_DAYS = 30

_EMAIL_PATTERN = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_TAG_KEY_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,128}$")
_SUBNET_PATTERN = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP_PATTERN = re.compile(r"^sg-[0-9a-f]{8,17}$")
# A browser origin: scheme, host and optional port; no path, no wildcard.
_ORIGIN_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$|^http://(localhost|127\.0\.0\.1)(:\d{1,5})?$")
_POLICY_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]{1,512}$")


class ConfigError(ValueError):
    """A stack configuration value is missing, malformed or inconsistent with another one."""


@dataclass(frozen=True, kw_only=True)
class JwtSettings:
    """An external OpenID Connect issuer and the audiences the HTTP API accepts from it."""

    issuer: str
    audience: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class NetworkSettings:
    """Existing private subnets and security groups the classifier task runs in."""

    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class StackSettings:
    """Validated settings of one stack.

    Attributes
    ----------
    region, environment
        AWS region and one of ``dev``, ``staging``, ``prod``.
    tags
        Tags applied to every resource (the user's tags merged with ``project`` and ``environment``).
    task_cpu, task_memory
        Default Fargate task size in CPU units and MiB (a valid Fargate pair).
    task_memory_max
        The most memory (MiB) one run's task may be given; Validate sizes each run between the
        default and this (:mod:`contracts.task_size`). Equal to ``task_memory`` unless set.
    log_retention_days
        Retention of every log group.
    upload_expiration_days, results_noncurrent_version_days
        S3 lifecycle: days an upload is kept, days a replaced results object is kept.
    alarm_email
        Optional address subscribed to the notification topic.
    jwt
        External issuer/audience, or ``None`` to create a Cognito user pool.
    network
        Existing subnets/security groups, or ``None`` to create a private VPC.
    train_timeout_minutes
        Upper bound of one training task.
    api_throttling_burst_limit, api_throttling_rate_limit
        Default route throttling of the HTTP API.
    max_receive_count
        Receives of an upload event before it goes to the dead-letter queue.
    smoke_test_user
        E-mail (user name) of a user the stack creates in its own Cognito pool for the post-deploy
        smoke test, with a password-auth app client of its own; ``None`` for no such user.
    cors_allow_origins
        Browser origins allowed to call the HTTP API (none: no CORS headers at all).
    permissions_boundary_arn
        Managed policy set as the permissions boundary of every role the stack creates (the
        bootstrap's boundary), or ``None``.
    max_active_runs_per_user, max_upload_requests_per_minute
        Per-user caps: sessions waiting or training at once, ``POST /sessions`` per minute.
    start_max_concurrency
        Maximum concurrent start-function invocations the upload queue's trigger makes.
    api_reserved_concurrency
        Reserved concurrency of the API function, or ``None`` for the account's unreserved pool.
    """

    region: str
    environment: str
    tags: Mapping[str, str] = field(default_factory=dict)
    task_cpu: int = 1024
    task_memory: int = 2048
    task_memory_max: int = 2048
    log_retention_days: int = 30
    upload_expiration_days: int = 90
    results_noncurrent_version_days: int = 30
    alarm_email: str | None = None
    jwt: JwtSettings | None = None
    network: NetworkSettings | None = None
    train_timeout_minutes: int = 60
    api_throttling_burst_limit: int = 50
    api_throttling_rate_limit: float = 20.0
    max_receive_count: int = 5
    smoke_test_user: str | None = None
    cors_allow_origins: tuple[str, ...] = ()
    permissions_boundary_arn: str | None = None
    max_active_runs_per_user: int = 10
    max_upload_requests_per_minute: int = 10
    start_max_concurrency: int = 5
    api_reserved_concurrency: int | None = None

    @property
    def is_production(self) -> bool:
        """Whether data stores get deletion protection."""
        return self.environment == "prod"

    @property
    def default_task_size(self) -> TaskSize:
        return TaskSize(self.task_cpu, self.task_memory)

    @property
    def maximum_task_size(self) -> TaskSize:
        """The largest task a run may get (``task_memory_max`` with the least CPU Fargate allows)."""
        return maximum_size(self.default_task_size, self.task_memory_max)

    @property
    def subnet_ids(self) -> tuple[str, ...] | None:
        """Given subnets, or ``None`` when the stack creates its own network."""
        return self.network.subnet_ids if self.network else None

    @property
    def security_group_ids(self) -> tuple[str, ...] | None:
        """Given security groups, or ``None`` when the stack creates its own network."""
        return self.network.security_group_ids if self.network else None

    @property
    def jwt_issuer(self) -> str | None:
        """External issuer, or ``None`` when the stack creates a Cognito user pool."""
        return self.jwt.issuer if self.jwt else None

    @property
    def jwt_audience(self) -> tuple[str, ...] | None:
        """Audiences accepted from the external issuer, or ``None``."""
        return self.jwt.audience if self.jwt else None

    @property
    def train_timeout_seconds(self) -> int:
        """The training timeout in seconds, as the state machine needs it."""
        return self.train_timeout_minutes * 60


def collect_raw_config(get: Callable[[str], Any]) -> dict[str, Any]:
    """Read every known project key through ``get`` (e.g. ``pulumi.Config().get``), skipping unset ones.

    Parameters
    ----------
    get
        Returns the raw value of a key, or ``None`` when the key is not set.

    Returns
    -------
    dict
        Key → raw value for the keys that are set.
    """
    values = {key: get(key) for key in CONFIG_KEYS}
    return {key: value for key, value in values.items() if value is not None}


def load_settings(raw: Mapping[str, Any]) -> StackSettings:
    """Validate raw config values and build the stack settings.

    Parameters
    ----------
    raw
        Config values keyed by their YAML names (camelCase), plus ``region`` (from ``aws:region``).
        Values may be native types or strings; objects and lists may be JSON text.

    Returns
    -------
    StackSettings

    Raises
    ------
    ConfigError
        On an unknown key, a missing required key, a malformed value or an inconsistent pair.
    """
    unknown = sorted(set(raw) - set(CONFIG_KEYS) - {"region"})
    if unknown:
        raise ConfigError(f"unknown config key(s) {unknown}; known keys are {sorted(CONFIG_KEYS)}")
    defaults = StackSettings(region="", environment="")
    environment = _read_environment(raw)
    jwt = _read_jwt(raw)
    task_cpu = _read_choice(raw, "taskCpu", tuple(FARGATE_MEMORY_BY_CPU), defaults.task_cpu)
    task_memory = _read_task_memory(raw, task_cpu, defaults.task_memory)
    settings = StackSettings(
        region=_read_region(raw),
        environment=environment,
        tags=_read_tags(raw, environment),
        task_cpu=task_cpu,
        task_memory=task_memory,
        task_memory_max=_read_task_memory_max(raw, TaskSize(task_cpu, task_memory)),
        log_retention_days=_read_choice(
            raw, "logRetentionDays", LOG_RETENTION_DAYS, defaults.log_retention_days
        ),
        upload_expiration_days=_read_int(
            raw, "uploadExpirationDays", defaults.upload_expiration_days, 1, 3650
        ),
        results_noncurrent_version_days=_read_int(
            raw, "resultsNoncurrentVersionDays", defaults.results_noncurrent_version_days, 1, 3650
        ),
        alarm_email=_read_email(raw, "alarmEmail"),
        jwt=jwt,
        network=_read_network(raw),
        train_timeout_minutes=_read_int(
            raw, "trainTimeoutMinutes", defaults.train_timeout_minutes, 5, 24 * 60
        ),
        api_throttling_burst_limit=_read_int(
            raw, "apiThrottlingBurstLimit", defaults.api_throttling_burst_limit, 1, 5000
        ),
        api_throttling_rate_limit=_read_float(
            raw, "apiThrottlingRateLimit", defaults.api_throttling_rate_limit, 0.1, 10000.0
        ),
        max_receive_count=_read_int(raw, "maxReceiveCount", defaults.max_receive_count, 1, 1000),
        smoke_test_user=_read_smoke_test_user(raw, jwt),
        cors_allow_origins=_read_origins(raw),
        permissions_boundary_arn=_read_optional_match(
            raw, "permissionsBoundaryArn", _POLICY_ARN_PATTERN, "an IAM managed policy ARN"
        ),
        max_active_runs_per_user=_read_int(
            raw, "maxActiveRunsPerUser", defaults.max_active_runs_per_user, 1, 100
        ),
        max_upload_requests_per_minute=_read_int(
            raw, "maxUploadRequestsPerMinute", defaults.max_upload_requests_per_minute, 1, 1000
        ),
        # Lambda accepts 2..1000 as an SQS event source's maximum concurrency.
        start_max_concurrency=_read_int(raw, "startMaxConcurrency", defaults.start_max_concurrency, 2, 1000),
        api_reserved_concurrency=(
            _read_int(raw, "apiReservedConcurrency", 0, 1, 1000) if "apiReservedConcurrency" in raw else None
        ),
    )
    problems = production_problems(settings)
    if problems:
        raise ConfigError("unsafe production stack: " + "; ".join(problems))
    return settings


def production_problems(settings: StackSettings) -> list[str]:
    """What a ``prod`` stack lacks to be operated safely (empty for other environments)."""
    if not settings.is_production:
        return []
    problems = []
    if settings.alarm_email is None:
        problems.append("alarmEmail is required: alarms and failed runs must reach someone")
    if settings.log_retention_days < PRODUCTION_MIN_LOG_RETENTION_DAYS:
        problems.append(
            f"logRetentionDays must be at least {PRODUCTION_MIN_LOG_RETENTION_DAYS} "
            f"(got {settings.log_retention_days}) to investigate incidents"
        )
    if settings.results_noncurrent_version_days < PRODUCTION_MIN_RESULTS_NONCURRENT_VERSION_DAYS:
        problems.append(
            f"resultsNoncurrentVersionDays must be at least {PRODUCTION_MIN_RESULTS_NONCURRENT_VERSION_DAYS} "
            f"(got {settings.results_noncurrent_version_days}) to recover overwritten results"
        )
    return problems


def _read_region(raw: Mapping[str, Any]) -> str:
    region = raw.get("region")
    if not region:
        raise ConfigError("aws:region is required (e.g. `pulumi config set aws:region eu-west-2`)")
    if not isinstance(region, str) or not _REGION_PATTERN.match(region):
        raise ConfigError(f"aws:region {region!r} is not an AWS region name such as 'eu-west-2'")
    return region


def _read_environment(raw: Mapping[str, Any]) -> str:
    environment = raw.get("environment")
    if environment is None:
        raise ConfigError(f"environment is required; one of {list(ENVIRONMENTS)}")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {environment!r}; expected one of {list(ENVIRONMENTS)}")
    return environment


def _read_tags(raw: Mapping[str, Any], environment: str) -> dict[str, str]:
    user_tags = _as_object(raw.get("tags", {}), "tags")
    for key, value in user_tags.items():
        if not _TAG_KEY_PATTERN.match(str(key)) or str(key).lower().startswith("aws:"):
            raise ConfigError(f"tags: {key!r} is not a valid tag key (1-128 characters, not starting 'aws:')")
        if not isinstance(value, str | int | float) or len(str(value)) > 256:
            raise ConfigError(f"tags: the value of {key!r} must be a string of at most 256 characters")
    return {
        **{key: str(value) for key, value in user_tags.items()},
        "project": PROJECT_NAME,
        "environment": environment,
    }


def _read_task_memory(raw: Mapping[str, Any], task_cpu: int, default: int) -> int:
    allowed = FARGATE_MEMORY_BY_CPU[task_cpu]
    memory = _read_int(raw, "taskMemory", default if default in allowed else allowed[0], 1, None)
    if memory not in allowed:
        raise ConfigError(
            f"taskMemory {memory} MiB is not valid for taskCpu {task_cpu}; "
            f"Fargate accepts {allowed[0]}..{allowed[-1]} MiB in the steps {list(allowed[:4])}..."
        )
    return memory


def _read_task_memory_max(raw: Mapping[str, Any], default: TaskSize) -> int:
    memory_max = _read_int(raw, "taskMemoryMax", default.memory_mib, 1, None)
    try:
        maximum_size(default, memory_max)
    except ValueError as invalid:
        raise ConfigError(f"taskMemoryMax: {invalid}") from invalid
    return memory_max


def _read_email(raw: Mapping[str, Any], key: str) -> str | None:
    return _read_optional_match(raw, key, _EMAIL_PATTERN, "a valid e-mail address")


def _read_optional_match(raw: Mapping[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise ConfigError(f"{key} {value!r} is not {what}")
    return value


def _read_smoke_test_user(raw: Mapping[str, Any], jwt: JwtSettings | None) -> str | None:
    user = _read_email(raw, "smokeTestUser")
    if user is not None and jwt is not None:
        raise ConfigError(
            "smokeTestUser creates a user in the stack's own Cognito pool, which a stack with jwtIssuer "
            "does not have; give the smoke test a client of the external issuer instead"
        )
    return user


def _read_jwt(raw: Mapping[str, Any]) -> JwtSettings | None:
    issuer, audience = raw.get("jwtIssuer"), raw.get("jwtAudience")
    if issuer is None and audience is None:
        return None
    if issuer is None or audience is None:
        raise ConfigError(
            "jwtIssuer and jwtAudience must be set together (or neither, to create a Cognito pool)"
        )
    if not isinstance(issuer, str) or not re.match(r"^https://[^\s/]+(/\S*)?$", issuer):
        raise ConfigError(f"jwtIssuer {issuer!r} must be an https:// URL")
    audiences = _as_string_list(audience, "jwtAudience")
    if not audiences:
        raise ConfigError("jwtAudience must name at least one audience")
    return JwtSettings(issuer=issuer.rstrip("/"), audience=tuple(audiences))


def _read_network(raw: Mapping[str, Any]) -> NetworkSettings | None:
    subnets, groups = raw.get("subnetIds"), raw.get("securityGroupIds")
    if subnets is None and groups is None:
        return None
    if subnets is None or groups is None:
        raise ConfigError("subnetIds and securityGroupIds must be set together (or neither, to create a VPC)")
    subnet_ids = _as_id_list(subnets, "subnetIds", _SUBNET_PATTERN)
    group_ids = _as_id_list(groups, "securityGroupIds", _SECURITY_GROUP_PATTERN)
    return NetworkSettings(subnet_ids=subnet_ids, security_group_ids=group_ids)


def _read_origins(raw: Mapping[str, Any]) -> tuple[str, ...]:
    if raw.get("corsAllowOrigins") in (None, "", "[]"):
        return ()
    origins = _as_string_list(raw["corsAllowOrigins"], "corsAllowOrigins")
    malformed = [origin for origin in origins if not _ORIGIN_PATTERN.match(origin)]
    if malformed:
        raise ConfigError(
            f"corsAllowOrigins: {malformed} are not origins such as 'https://app.example.org' "
            "(https, no path, no wildcard; http only for localhost)"
        )
    return tuple(origins)


def _as_id_list(value: Any, key: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    ids = _as_string_list(value, key)
    if not ids:
        raise ConfigError(f"{key} must list at least one id")
    malformed = [item for item in ids if not pattern.match(item)]
    if malformed:
        raise ConfigError(f"{key}: malformed id(s) {malformed}")
    return tuple(ids)


def _read_choice(raw: Mapping[str, Any], key: str, choices: Sequence[int], default: int) -> int:
    value = _read_int(raw, key, default, None, None)
    if value not in choices:
        raise ConfigError(f"{key} {value} is not one of {list(choices)}")
    return value


def _read_int(raw: Mapping[str, Any], key: str, default: int, low: int | None, high: int | None) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value)
    if not isinstance(value, int):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    _check_range(key, value, low, high)
    return value


def _read_float(raw: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = raw.get(key, default)
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ConfigError(f"{key} must be a number, got {value!r}")
    _check_range(key, number, low, high)
    return number


def _check_range(key: str, value: float, low: float | None, high: float | None) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{key} {value} is out of range [{low}, {high}]")


def _as_object(value: Any, key: str) -> dict[str, Any]:
    parsed = _parse_json_text(value, key)
    if not isinstance(parsed, Mapping):
        raise ConfigError(f"{key} must be an object of key: value pairs, got {value!r}")
    return dict(parsed)


def _as_string_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str) and not value.strip().startswith("["):
        items: Any = [part.strip() for part in value.split(",") if part.strip()]
    else:
        items = _parse_json_text(value, key)
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ConfigError(f"{key} must be a list of non-empty strings, got {value!r}")
    return items


def _parse_json_text(value: Any, key: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{key} is not valid JSON: {error.msg}") from error
