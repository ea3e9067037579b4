"""Stack settings: the validated settings of one stack and the names they are checked against.

:func:`components.config_loading.load_settings` builds a frozen :class:`StackSettings` from raw Pulumi
config values or raises :class:`ConfigError`; the components and the sandbox read the settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from components.retry import DEFAULT_CAPACITY_WAIT_MINUTES, RetryPolicy, capacity_retry_policy
from contracts.task_size import TaskSize, maximum_size

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
    capacity_wait_minutes
        The least that the capacity retries of a run's training may wait in all before the run fails as
        ``CAPACITY_UNAVAILABLE`` (:func:`components.retry.capacity_retry_policy`).
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
    capacity_wait_minutes: int = DEFAULT_CAPACITY_WAIT_MINUTES
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

    @property
    def capacity_retry(self) -> RetryPolicy:
        """How ``TrainClassifier`` retries when Fargate has no capacity or ECS throttles."""
        return capacity_retry_policy(self.capacity_wait_minutes)
