"""Status API Lambda: every route of the HTTP API (payload format 2.0), routed by
aws-lambda-powertools' ``APIGatewayHttpResolver``.

The caller is the JWT's ``sub`` claim and nothing else: every read and write is keyed by it, so
another user's session is answered exactly like a missing one (404). Errors are JSON
``{"error": {"code", "message"}}`` with the matching HTTP status.

``POST /sessions`` only hands out an id and a presigned upload; the session appears in the
status table (``RECEIVED``) once its upload arrives. Each user gets at most
``MAX_UPLOAD_REQUESTS_PER_MINUTE`` forms per calendar minute; more are answered 429 with
``Retry-After``.

The routes are in ``handlers/common/api_routes.py``, the request they read in
``handlers/common/api_request.py``; this module binds them to the resolver and turns refusals into
responses.
"""

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from handlers.common.api_request import ApiDependencies, ApiRequest, request_of
from handlers.common.api_routes import ROUTES
from handlers.common.clients import client, environment
from handlers.common.errors import RequestError
from handlers.common.jsonvalues import from_dynamodb
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.settings import ApiSettings
from handlers.common.status import StatusStore


def _json(body: Any) -> str:
    return json.dumps(from_dynamodb(body))


def _error_response(error: RequestError) -> Response:
    logger.info("request refused", extra={"code": error.code, "status": error.status_code})
    return Response(
        error.status_code,
        content_types.APPLICATION_JSON,
        _json({"error": {"code": error.code, "message": error.message}}),
        headers=error.headers or None,
    )


def resolver(deps: ApiDependencies) -> APIGatewayHttpResolver:
    """The routes bound to ``deps``; one resolver per invocation keeps concurrent requests apart."""
    app = APIGatewayHttpResolver(serializer=_json)

    def bound_route(function: Callable[[ApiRequest, ApiDependencies], Any]) -> Callable[..., Any]:
        return lambda **_path_parameters: function(request_of(app.current_event), deps)

    for route, function in ROUTES.items():
        app.route(re.sub(r"\{(\w+)\}", r"<\1>", route.path), route.method)(bound_route(function))
    app.exception_handler(RequestError)(_error_response)
    app.not_found(lambda _error: _error_response(RequestError(404, "NOT_FOUND", "no such route")))
    return app


def answer(event: Mapping[str, Any], context: Any, deps: ApiDependencies) -> dict[str, Any]:
    """Answer one API Gateway event; expected failures become JSON errors with their HTTP status."""
    subject = APIGatewayProxyEventV2(dict(event)).request_context.authorizer.jwt_claim.get("sub")
    with session_ids(userId=subject if isinstance(subject, str) else None):
        return resolver(deps).resolve(dict(event), context)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    settings = ApiSettings.from_environ(environment())
    logger.setLevel(settings.log_level)
    dynamodb = client("dynamodb")
    deps = ApiDependencies(
        settings=settings,
        status=StatusStore(dynamodb, settings.status_table),
        dynamodb=dynamodb,
        s3=client("s3"),
    )
    return answer(event, context, deps)
