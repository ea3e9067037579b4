"""StatusApi: the authenticated HTTP API through which users create uploads and read their sessions."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policies
from components.lambda_function import (
    LambdaFunctionSpec,
    create_errors_alarm,
    create_lambda_function,
    function_environment,
)
from components.storage import StorageLocations
from contracts.api import Route
from contracts.environment import FunctionVariable

# One JSON object per request; `sub` is the caller's identity from the validated JWT.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "sub": "$context.authorizer.claims.sub",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "latency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    }
)


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


class StatusApi(pulumi.ComponentResource):
    """HTTP API with a JWT authorizer on every route, the API function, access logs and throttling,
    plus a Cognito user pool and app client when no external issuer is configured."""

    api_url: pulumi.Output[str]
    api_id: pulumi.Output[str]
    issuer: pulumi.Output[str]
    audience: pulumi.Output[list[str]]
    user_pool_id: pulumi.Output[str] | None
    user_pool_client_id: pulumi.Output[str] | None
    smoke_test_client_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: StatusApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("eegpipeline:api:StatusApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.user_pool: aws.cognito.UserPool | None = None
        self.user_pool_client: aws.cognito.UserPoolClient | None = None
        self.smoke_test_client: aws.cognito.UserPoolClient | None = None
        if args.jwt_issuer is not None and args.jwt_audience is not None:
            self.issuer = pulumi.Output.from_input(args.jwt_issuer)
            self.audience = pulumi.Output.from_input(list(args.jwt_audience))
        else:
            self.user_pool, self.user_pool_client = self._create_user_pool(name)
            region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
            self.issuer = pulumi.Output.concat(
                "https://cognito-idp.", region, ".amazonaws.com/", self.user_pool.id
            )
            clients = [self.user_pool_client]
            if args.smoke_test_user is not None:
                self.smoke_test_client = self._create_smoke_test_user(
                    name, self.user_pool, args.smoke_test_user
                )
                clients.append(self.smoke_test_client)
            self.audience = pulumi.Output.all(*(client.id for client in clients))

        self.api_function = create_lambda_function(
            name,
            LambdaFunctionSpec(
                part="api-fn",
                module="api",
                memory_mb=256,
                timeout_seconds=15,
                environment=function_environment(
                    "api",
                    {
                        **args.storage.function_variables(),
                        FunctionVariable.MAX_UPLOAD_REQUESTS_PER_MINUTE: str(
                            args.max_upload_requests_per_minute
                        ),
                    },
                ),
                policy_builder=policies.api_function_policy,
                policy_inputs={
                    "status_table_arn": args.storage.status_table_arn,
                    "classifier_table_arn": args.storage.classifier_table_arn,
                    "upload_bucket_arn": args.storage.upload_bucket_arn,
                    "results_bucket_arn": args.storage.results_bucket_arn,
                    "limits_table_arn": args.storage.limits_table_arn,
                },
                reserved_concurrency=args.reserved_concurrency,
            ),
            parent=self,
            log_retention_days=args.log_retention_days,
            permissions_boundary_arn=args.permissions_boundary_arn,
        )
        create_errors_alarm(
            name,
            self.api_function.part,
            parent=self,
            function_name_output=self.api_function.function.name,
            topic_arn=args.alarm_topic_arn,
        )

        self.api = aws.apigatewayv2.Api(
            f"{name}-http-api",
            protocol_type="HTTP",
            description="EEG pipeline status API",
            cors_configuration=cors_configuration(args.cors_allow_origins),
            opts=child,
        )
        self.authorizer = aws.apigatewayv2.Authorizer(
            f"{name}-jwt-authorizer",
            api_id=self.api.id,
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            jwt_configuration={"issuer": self.issuer, "audiences": self.audience},
            opts=child,
        )
        integration = aws.apigatewayv2.Integration(
            f"{name}-api-integration",
            api_id=self.api.id,
            integration_type="AWS_PROXY",
            integration_uri=self.api_function.function.invoke_arn,
            payload_format_version="2.0",
            timeout_milliseconds=15000,
            opts=child,
        )
        self.routes = [
            aws.apigatewayv2.Route(
                f"{name}-route-{route_slug(route_key)}",
                api_id=self.api.id,
                route_key=route_key.value,
                target=pulumi.Output.concat("integrations/", integration.id),
                authorization_type="JWT",
                authorizer_id=self.authorizer.id,
                opts=child,
            )
            for route_key in Route
        ]
        access_logs = aws.cloudwatch.LogGroup(
            f"{name}-access-logs", retention_in_days=args.log_retention_days, opts=child
        )
        self.stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings={"destination_arn": access_logs.arn, "format": ACCESS_LOG_FORMAT},
            default_route_settings={
                "throttling_burst_limit": args.throttling_burst_limit,
                "throttling_rate_limit": args.throttling_rate_limit,
                "detailed_metrics_enabled": True,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.routes),
        )
        aws.lambda_.Permission(
            f"{name}-api-invoke",
            action="lambda:InvokeFunction",
            function=self.api_function.function.name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(self.api.execution_arn, "/*/*"),
            opts=child,
        )

        self.api_url = self.api.api_endpoint
        self.api_id = self.api.id
        self.user_pool_id = self.user_pool.id if self.user_pool is not None else None
        self.user_pool_client_id = self.user_pool_client.id if self.user_pool_client is not None else None
        self.smoke_test_client_id = self.smoke_test_client.id if self.smoke_test_client is not None else None
        self.smoke_test_user = args.smoke_test_user
        self.register_outputs(self.outputs)

    @property
    def outputs(self) -> dict[str, pulumi.Output[object]]:
        """The component's outputs, as registered (Cognito ids only when the pool was created)."""
        outputs: dict[str, pulumi.Output[object]] = {
            "apiUrl": self.api_url,
            "apiId": self.api_id,
            "issuer": self.issuer,
            "audience": self.audience,
        }
        if self.user_pool_id is not None and self.user_pool_client_id is not None:
            outputs["userPoolId"] = self.user_pool_id
            outputs["userPoolClientId"] = self.user_pool_client_id
        if self.smoke_test_client_id is not None:
            outputs["smokeTestClientId"] = self.smoke_test_client_id
            outputs["smokeTestUser"] = pulumi.Output.from_input(self.smoke_test_user)
        return outputs

    def _create_user_pool(self, name: str) -> tuple[aws.cognito.UserPool, aws.cognito.UserPoolClient]:
        child = pulumi.ResourceOptions(parent=self)
        pool = aws.cognito.UserPool(
            f"{name}-user-pool",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            password_policy={
                "minimum_length": 12,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 3,
            },
            account_recovery_setting={"recovery_mechanisms": [{"name": "verified_email", "priority": 1}]},
            admin_create_user_config={"allow_admin_create_user_only": True},
            opts=child,
        )
        return pool, self._create_app_client(f"{name}-app-client", pool, "ALLOW_USER_SRP_AUTH")

    def _create_app_client(
        self, resource_name: str, pool: aws.cognito.UserPool, sign_in_flow: str
    ) -> aws.cognito.UserPoolClient:
        """A public app client (no secret) of the pool that signs users in with ``sign_in_flow`` only."""
        return aws.cognito.UserPoolClient(
            resource_name,
            user_pool_id=pool.id,
            generate_secret=False,
            explicit_auth_flows=[sign_in_flow, "ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_smoke_test_user(
        self, name: str, pool: aws.cognito.UserPool, email: str
    ) -> aws.cognito.UserPoolClient:
        child = pulumi.ResourceOptions(parent=self)
        aws.cognito.User(
            f"{name}-smoke-test-user",
            user_pool_id=pool.id,
            username=email,
            attributes={"email": email, "email_verified": "true"},
            # No invitation mail: an operator sets the permanent password (docs/operations.md).
            message_action="SUPPRESS",
            opts=child,
        )
        return self._create_app_client(f"{name}-smoke-test-client", pool, "ALLOW_USER_PASSWORD_AUTH")


def cors_configuration(origins: Sequence[str]) -> dict[str, object] | None:
    """The HTTP API's CORS settings for ``origins``; ``None`` (no CORS at all) when there are none."""
    if not origins:
        return None
    return {
        "allow_origins": list(origins),
        "allow_methods": ["GET", "POST"],
        "allow_headers": ["authorization", "content-type"],
        "max_age": 3600,
    }


def route_slug(route_key: str) -> str:
    """Kebab-case name part of a route key: ``GET /sessions/{sessionId}`` → ``get-sessions-sessionid``."""
    return "-".join(part for part in re.split(r"[^a-z0-9]+", route_key.lower()) if part)
