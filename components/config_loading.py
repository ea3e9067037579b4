"""Loading the stack settings: the config keys a stack may set, the rule of each key, and what a
production stack must have.

``__main__.py`` collects the raw values with :func:`collect_raw_config` (from ``pulumi.Config().get``)
and passes them to :func:`load_settings`, which either returns a frozen
:class:`~components.config.StackSettings` or raises :class:`~components.config.ConfigError` naming the
key and what is wrong. Everything here is pure and runs once, before any resource exists. The AWS limits
a value must fit besides its own rule (tags, reserved concurrency, throttling quotas, list sizes, the capacity
wait and training timeout the run's signed URLs must outlast) are in :mod:`components.config_limits`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from components.config import (
    ENVIRONMENTS,
    LOG_RETENTION_DAYS,
    ConfigError,
    JwtSettings,
    NetworkSettings,
    StackSettings,
)
from components.config_limits import (
    MAX_COGNITO_USERNAME_LENGTH,
    MAX_JWT_AUDIENCES,
    MAX_TASK_SECURITY_GROUPS,
    MAX_TASK_SUBNETS,
    check_at_most,
    read_api_throttling,
    read_capacity_wait_minutes,
    read_reserved_concurrency,
    read_tags,
    read_train_timeout_minutes,
)
from components.config_values import (
    as_id_list,
    as_string_list,
    read_choice,
    read_int,
    read_optional_match,
)
from contracts.task_size import FARGATE_MEMORY_BY_CPU, TaskSize, maximum_size

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
    "capacityWaitMinutes",
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
_SUBNET_PATTERN = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_SECURITY_GROUP_PATTERN = re.compile(r"^sg-[0-9a-f]{8,17}$")
# A browser origin: scheme, host and optional port; no path, no wildcard.
_ORIGIN_PATTERN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$|^http://(localhost|127\.0\.0\.1)(:\d{1,5})?$")
_POLICY_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/[\w+=,.@/-]{1,512}$")


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
    region = _read_region(raw)
    environment = _read_environment(raw)
    jwt = _read_jwt(raw)
    task_cpu = read_choice(raw, "taskCpu", tuple(FARGATE_MEMORY_BY_CPU), defaults.task_cpu)
    task_memory = _read_task_memory(raw, task_cpu, defaults.task_memory)
    capacity_wait_minutes = read_capacity_wait_minutes(raw, defaults.capacity_wait_minutes)
    burst_limit, rate_limit = read_api_throttling(
        raw, region, defaults.api_throttling_burst_limit, defaults.api_throttling_rate_limit
    )
    settings = StackSettings(
        region=region,
        environment=environment,
        tags=read_tags(raw, environment),
        task_cpu=task_cpu,
        task_memory=task_memory,
        task_memory_max=_read_task_memory_max(raw, TaskSize(task_cpu, task_memory)),
        log_retention_days=read_choice(
            raw, "logRetentionDays", LOG_RETENTION_DAYS, defaults.log_retention_days
        ),
        upload_expiration_days=read_int(
            raw, "uploadExpirationDays", defaults.upload_expiration_days, 1, 3650
        ),
        results_noncurrent_version_days=read_int(
            raw, "resultsNoncurrentVersionDays", defaults.results_noncurrent_version_days, 1, 3650
        ),
        alarm_email=_read_email(raw, "alarmEmail"),
        jwt=jwt,
        network=_read_network(raw),
        train_timeout_minutes=read_train_timeout_minutes(raw, defaults.train_timeout_minutes, capacity_wait_minutes),
        capacity_wait_minutes=capacity_wait_minutes,
        api_throttling_burst_limit=burst_limit,
        api_throttling_rate_limit=rate_limit,
        max_receive_count=read_int(raw, "maxReceiveCount", defaults.max_receive_count, 1, 1000),
        smoke_test_user=_read_smoke_test_user(raw, jwt),
        cors_allow_origins=_read_origins(raw),
        permissions_boundary_arn=read_optional_match(
            raw, "permissionsBoundaryArn", _POLICY_ARN_PATTERN, "an IAM managed policy ARN"
        ),
        max_active_runs_per_user=read_int(
            raw, "maxActiveRunsPerUser", defaults.max_active_runs_per_user, 1, 100
        ),
        max_upload_requests_per_minute=read_int(
            raw, "maxUploadRequestsPerMinute", defaults.max_upload_requests_per_minute, 1, 1000
        ),
        # Lambda accepts 2..1000 as an SQS event source's maximum concurrency.
        start_max_concurrency=read_int(raw, "startMaxConcurrency", defaults.start_max_concurrency, 2, 1000),
        api_reserved_concurrency=read_reserved_concurrency(raw, "apiReservedConcurrency"),
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
    if not isinstance(region, str) or not _REGION_PATTERN.fullmatch(region):
        raise ConfigError(f"aws:region {region!r} is not an AWS region name such as 'eu-west-2'")
    return region


def _read_environment(raw: Mapping[str, Any]) -> str:
    environment = raw.get("environment")
    if environment is None:
        raise ConfigError(f"environment is required; one of {list(ENVIRONMENTS)}")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {environment!r}; expected one of {list(ENVIRONMENTS)}")
    return environment


def _read_task_memory(raw: Mapping[str, Any], task_cpu: int, default: int) -> int:
    allowed = FARGATE_MEMORY_BY_CPU[task_cpu]
    memory = read_int(raw, "taskMemory", default if default in allowed else allowed[0], 1, None)
    if memory not in allowed:
        raise ConfigError(
            f"taskMemory {memory} MiB is not valid for taskCpu {task_cpu}; "
            f"Fargate accepts {allowed[0]}..{allowed[-1]} MiB in the steps {list(allowed[:4])}..."
        )
    return memory


def _read_task_memory_max(raw: Mapping[str, Any], default: TaskSize) -> int:
    memory_max = read_int(raw, "taskMemoryMax", default.memory_mib, 1, None)
    try:
        maximum_size(default, memory_max)
    except ValueError as invalid:
        raise ConfigError(f"taskMemoryMax: {invalid}") from invalid
    return memory_max


def _read_email(raw: Mapping[str, Any], key: str) -> str | None:
    return read_optional_match(raw, key, _EMAIL_PATTERN, "a valid e-mail address")


def _read_smoke_test_user(raw: Mapping[str, Any], jwt: JwtSettings | None) -> str | None:
    user = _read_email(raw, "smokeTestUser")
    if user is None:
        return None
    if jwt is not None:
        raise ConfigError(
            "smokeTestUser creates a user in the stack's own Cognito pool, which a stack with jwtIssuer "
            "does not have; give the smoke test a client of the external issuer instead"
        )
    check_at_most("smokeTestUser", len(user), MAX_COGNITO_USERNAME_LENGTH, "characters", "a Cognito user name has")
    return user


def _read_jwt(raw: Mapping[str, Any]) -> JwtSettings | None:
    issuer, audience = raw.get("jwtIssuer"), raw.get("jwtAudience")
    if issuer is None and audience is None:
        return None
    if issuer is None or audience is None:
        raise ConfigError(
            "jwtIssuer and jwtAudience must be set together (or neither, to create a Cognito pool)"
        )
    if not isinstance(issuer, str) or not re.fullmatch(r"^https://[^\s/]+(/\S*)?$", issuer):
        raise ConfigError(f"jwtIssuer {issuer!r} must be an https:// URL")
    audiences = as_string_list(audience, "jwtAudience")
    if not audiences:
        raise ConfigError("jwtAudience must name at least one audience")
    check_at_most("jwtAudience", len(audiences), MAX_JWT_AUDIENCES, "audiences", "an API Gateway JWT authorizer takes")
    return JwtSettings(issuer=issuer.rstrip("/"), audience=tuple(audiences))


def _read_network(raw: Mapping[str, Any]) -> NetworkSettings | None:
    subnets, groups = raw.get("subnetIds"), raw.get("securityGroupIds")
    if subnets is None and groups is None:
        return None
    if subnets is None or groups is None:
        raise ConfigError("subnetIds and securityGroupIds must be set together (or neither, to create a VPC)")
    subnet_ids = as_id_list(subnets, "subnetIds", _SUBNET_PATTERN)
    group_ids = as_id_list(groups, "securityGroupIds", _SECURITY_GROUP_PATTERN)
    check_at_most("subnetIds", len(subnet_ids), MAX_TASK_SUBNETS, "subnets", "ECS runs a task in")
    check_at_most(
        "securityGroupIds", len(group_ids), MAX_TASK_SECURITY_GROUPS, "security groups", "ECS gives a task"
    )
    return NetworkSettings(subnet_ids=subnet_ids, security_group_ids=group_ids)


def _read_origins(raw: Mapping[str, Any]) -> tuple[str, ...]:
    if raw.get("corsAllowOrigins") in (None, "", "[]"):
        return ()
    origins = as_string_list(raw["corsAllowOrigins"], "corsAllowOrigins")
    malformed = [origin for origin in origins if not _ORIGIN_PATTERN.fullmatch(origin)]
    if malformed:
        raise ConfigError(
            f"corsAllowOrigins: {malformed} are not origins such as 'https://app.example.org' "
            "(https, no path, no wildcard; http only for localhost)"
        )
    return tuple(origins)
