"""The Status API over HTTP on 127.0.0.1, answered by the deployed route handler.

Each request is checked like API Gateway's JWT authorizer does (no or invalid token → 401
``{"message": "Unauthorized"}`` before any handler runs), matched against the routes the
``StatusApi`` component declares (no match → 404 ``{"message": "Not Found"}``), and turned into
an API Gateway HTTP API v2 event with the token's claims, which ``handlers.api.handler`` answers.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from joserfc.jwk import OctKey

from contracts.api import Route

from .tokens import InvalidToken, verify_authorization

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
_UNAUTHORIZED = (401, {"message": "Unauthorized"})
_NOT_FOUND = (404, {"message": "Not Found"})
_MAX_BODY_BYTES = 1024 * 1024


def _route_pattern(route_key: str) -> tuple[str, re.Pattern[str]]:
    method, path = route_key.split(" ", 1)
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return method, re.compile(f"^{regex}$")


ROUTES = tuple((route_key.value, *_route_pattern(route_key)) for route_key in Route)


def match_route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The declared route key and path parameters for a request, or ``None``."""
    for route_key, route_method, pattern in ROUTES:
        found = pattern.match(path)
        if found and route_method == method:
            return route_key, found.groupdict()
    return None


def api_gateway_event(
    *,
    route_key: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    path_parameters: Mapping[str, str],
    claims: Mapping[str, Any],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event as the JWT-authorized route delivers it."""
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": dict(headers),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "sandbox",
            # API Gateway hands the claims over as strings.
            "authorizer": {"jwt": {"claims": {name: str(value) for name, value in claims.items()}, "scopes": None}},
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": headers.get("host", "127.0.0.1").split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    query = dict(parse_qsl(raw_query, keep_blank_values=True))
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        try:
            event["body"] = body.decode()
        except UnicodeDecodeError:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


class _LambdaContext:
    function_name = "sandbox-api"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-2:123456789012:function:sandbox-api"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def answer_request(
    handler: LambdaHandler,
    key: OctKey,
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str = "127.0.0.1",
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the HTTP answer to one request."""
    url = urlsplit(target)
    route = match_route(method, url.path)
    if route is None:
        status, payload = _NOT_FOUND
        return status, {"content-type": "application/json"}, json.dumps(payload).encode()
    try:
        claims = verify_authorization(key, headers)
    except InvalidToken:
        status, payload = _UNAUTHORIZED
        return status, {"content-type": "application/json", "www-authenticate": "Bearer"}, json.dumps(
            payload
        ).encode()
    route_key, path_parameters = route
    event = api_gateway_event(
        route_key=route_key,
        method=method,
        raw_path=url.path,
        raw_query=url.query,
        headers=headers,
        path_parameters=path_parameters,
        claims=claims,
        body=body,
        source_ip=source_ip,
    )
    result = handler(event, _LambdaContext())
    response_body = result.get("body") or ""
    encoded = base64.b64decode(response_body) if result.get("isBase64Encoded") else response_body.encode()
    return int(result.get("statusCode", 200)), dict(result.get("headers") or {}), encoded


def listen_problem(port: int, host: str = "127.0.0.1") -> str | None:
    """Why the Status API could not listen on ``port`` (e.g. another server holds it), else None."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as HTTPServer binds
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.strerror
    return None


def make_server(handler: LambdaHandler, key: OctKey, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An HTTP server (not yet serving) answering every request through :func:`answer_request`."""

    class StatusApiRequestHandler(BaseHTTPRequestHandler):
        server_version = "eeg-pipeline-sandbox"

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > _MAX_BODY_BYTES:
                self._send(413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')
                return
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, response_headers, payload = answer_request(
                handler, key, method=self.command, target=self.path, headers=headers, body=body,
                source_ip=self.client_address[0],
            )
            self._send(status, response_headers, payload)

        def _send(self, status: int, headers: Mapping[str, str], payload: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            """Requests are not echoed to stderr; the handler's JSON log lines record them."""

    return ThreadingHTTPServer((host, port), StatusApiRequestHandler)


def serve_in_background(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="status-api")
    thread.start()
    return thread
