"""The inputs of :class:`~components.status_api.StatusApi` and their validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.storage import StorageLocations


@dataclass(frozen=True, kw_only=True)
class StatusApiArgs:
    """Inputs of :class:`StatusApi`.

    Attributes
    ----------
    storage
        The buckets the API presigns uploads to and classifier downloads from, and the tables it
        reads (``PipelineStorage.locations``).
    alarm_topic_arn
        Topic that receives the API function's error alarm.
    jwt_issuer, jwt_audience
        External OpenID Connect issuer and accepted audiences; both ``None`` to create a Cognito
        user pool and app client and trust those.
    throttling_burst_limit, throttling_rate_limit
        Default route throttling of the stage.
    log_retention_days
        Retention of the access log and function log groups.
    cors_allow_origins
        Browser origins allowed to call the API; none (the default) sends no CORS headers, so
        browsers refuse cross-origin calls.
    smoke_test_user
        E-mail of a user to create in the stack's Cognito pool for the post-deploy smoke test, with
        an app client of its own that allows ``USER_PASSWORD_AUTH`` (the researchers' client stays
        SRP only). The user is an ordinary pool user: the API grants it what any researcher has.
        Its password is set once by an operator (docs/operations.md), never by the program.
        Only without ``jwt_issuer``.
    max_upload_requests_per_minute
        ``POST /sessions`` answered per user and minute; more get 429.
    reserved_concurrency
        Reserved concurrency of the API function, or ``None`` for the account's unreserved pool.
    permissions_boundary_arn
        Permissions boundary of the API function's role (the stack's), or ``None``.
    """

    storage: StorageLocations
    alarm_topic_arn: pulumi.Input[str]
    jwt_issuer: str | None = None
    jwt_audience: Sequence[str] | None = None
    throttling_burst_limit: int = 50
    throttling_rate_limit: float = 20.0
    log_retention_days: int = 30
    cors_allow_origins: Sequence[str] = ()
    smoke_test_user: str | None = None
    max_upload_requests_per_minute: int = 10
    reserved_concurrency: int | None = None
    permissions_boundary_arn: str | None = None

    def __post_init__(self) -> None:
        if "*" in self.cors_allow_origins:
            raise ValueError("cors_allow_origins must name origins, not '*'")
        if self.max_upload_requests_per_minute < 1:
            raise ValueError("max_upload_requests_per_minute must be at least 1")
        if (self.jwt_issuer is None) != (self.jwt_audience is None):
            raise ValueError("jwt_issuer and jwt_audience must be given together")
        if self.jwt_issuer is not None and not self.jwt_issuer.startswith("https://"):
            raise ValueError("jwt_issuer must be an https:// URL")
        if self.jwt_audience is not None and not self.jwt_audience:
            raise ValueError("jwt_audience must name at least one audience")
        if self.throttling_burst_limit < 1 or self.throttling_rate_limit <= 0:
            raise ValueError("throttling limits must be positive")
        if self.smoke_test_user is not None and self.jwt_issuer is not None:
            raise ValueError("smoke_test_user needs the stack's own Cognito pool (no jwt_issuer)")
