"""The status API's API Gateway side: the HTTP API with a JWT authorizer on every route, its Lambda
integration, the ``$default`` stage (access log, throttling) and API Gateway's permission to invoke the
function."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.status_api_args import StatusApiArgs
from contracts.api import Route

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


@dataclass(frozen=True)
class HttpApi:
    """The API Gateway resources :func:`create_http_api` declared."""

    api: aws.apigatewayv2.Api
    authorizer: aws.apigatewayv2.Authorizer
    routes: list[aws.apigatewayv2.Route]
    stage: aws.apigatewayv2.Stage


def create_http_api(
    name: str,
    args: StatusApiArgs,
    *,
    function: aws.lambda_.Function,
    issuer: pulumi.Input[str],
    audience: pulumi.Input[list[str]],
    parent: pulumi.Resource,
) -> HttpApi:
    """Every :class:`~contracts.api.Route` of the HTTP API, answered by ``function`` for callers holding a
    JWT of ``issuer`` for one of ``audience``."""
    child = pulumi.ResourceOptions(parent=parent)
    api = aws.apigatewayv2.Api(
        f"{name}-http-api",
        protocol_type="HTTP",
        description="EEG pipeline status API",
        cors_configuration=cors_configuration(args.cors_allow_origins),
        opts=child,
    )
    authorizer = aws.apigatewayv2.Authorizer(
        f"{name}-jwt-authorizer",
        api_id=api.id,
        authorizer_type="JWT",
        identity_sources=["$request.header.Authorization"],
        jwt_configuration={"issuer": issuer, "audiences": audience},
        opts=child,
    )
    integration = aws.apigatewayv2.Integration(
        f"{name}-api-integration",
        api_id=api.id,
        integration_type="AWS_PROXY",
        integration_uri=function.invoke_arn,
        payload_format_version="2.0",
        timeout_milliseconds=15000,
        opts=child,
    )
    routes = [
        aws.apigatewayv2.Route(
            f"{name}-route-{route_slug(route_key)}",
            api_id=api.id,
            route_key=route_key.value,
            target=pulumi.Output.concat("integrations/", integration.id),
            authorization_type="JWT",
            authorizer_id=authorizer.id,
            opts=child,
        )
        for route_key in Route
    ]
    access_logs = aws.cloudwatch.LogGroup(
        f"{name}-access-logs", retention_in_days=args.log_retention_days, opts=child
    )
    stage = aws.apigatewayv2.Stage(
        f"{name}-stage",
        api_id=api.id,
        name="$default",
        auto_deploy=True,
        access_log_settings={"destination_arn": access_logs.arn, "format": ACCESS_LOG_FORMAT},
        default_route_settings={
            "throttling_burst_limit": args.throttling_burst_limit,
            "throttling_rate_limit": args.throttling_rate_limit,
            "detailed_metrics_enabled": True,
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=routes),
    )
    aws.lambda_.Permission(
        f"{name}-api-invoke",
        action="lambda:InvokeFunction",
        function=function.name,
        principal="apigateway.amazonaws.com",
        source_arn=pulumi.Output.concat(api.execution_arn, "/*/*"),
        opts=child,
    )
    return HttpApi(api=api, authorizer=authorizer, routes=routes, stage=stage)


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
