"""What the status API's routes work with: the request (:class:`ApiRequest`, read from an API Gateway
HTTP API event), the backends they are given (:class:`ApiDependencies`), and the checks of the caller and
the path's session id that every route shares."""

import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from contracts.api import SESSION_ID_PARAMETER
from contracts.keys import is_valid_id
from contracts.subjects import user_id_for_subject
from handlers.common.errors import RequestError
from handlers.common.settings import ApiSettings
from handlers.common.status import StatusStore


@dataclass(frozen=True)
class ApiRequest:
    """The parts of a request the routes use; the identity is the JWT's ``sub`` claim."""

    user_id: str | None
    path_parameters: Mapping[str, str]
    query: Mapping[str, str]
    body: str | None


@dataclass(frozen=True)
class ApiDependencies:
    """Everything a route needs, injected so that routes run against any backend."""

    settings: ApiSettings
    status: StatusStore
    dynamodb: Any
    s3: Any
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


def request_of(event: APIGatewayProxyEventV2) -> ApiRequest:
    """The request an API Gateway HTTP API (payload 2.0) event carries."""
    subject = event.request_context.authorizer.jwt_claim.get("sub")
    try:
        body = event.decoded_body
    except (binascii.Error, UnicodeDecodeError) as error:
        raise RequestError(400, "INVALID_BODY", "the request body could not be decoded") from error
    return ApiRequest(
        user_id=user_id_for_subject(subject) if isinstance(subject, str) and subject else None,
        path_parameters=event.path_parameters,
        query=event.query_string_parameters,
        body=body,
    )


def caller(request: ApiRequest) -> str:
    """The authenticated caller's user id; 401 when the request carries no ``sub``."""
    if request.user_id is None:
        raise RequestError(401, "UNAUTHORIZED", "the request carries no authenticated subject")
    return request.user_id


def path_session_id(request: ApiRequest) -> str:
    """The ``{sessionId}`` path parameter; 400 unless it is a valid session id."""
    session_id = request.path_parameters.get(SESSION_ID_PARAMETER)
    if not is_valid_id(session_id):
        raise RequestError(400, "INVALID_SESSION_ID", "the session id is not valid")
    return session_id
