"""The Status API over plain HTTP: bearer-token requests, presigned uploads and downloads.

Only the API's public contract is used: the routes below, JSON bodies, errors as
``{"error": {"code", "message"}}`` from the API function, and API Gateway's own
``{"message": ...}`` answers (401 for a refused token, 404 for a route the stack does not have).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter, Retry
from requests_toolbelt import MultipartEncoder

CREATE_SESSION = "POST /sessions"
LIST_SESSIONS = "GET /sessions"
GET_SESSION = "GET /sessions/{sessionId}"
GET_CLASSIFIER = "GET /sessions/{sessionId}/classifier"
GET_REPORT = "GET /sessions/{sessionId}/report"
ROUTE_KEYS = (CREATE_SESSION, LIST_SESSIONS, GET_SESSION, GET_CLASSIFIER, GET_REPORT)
TERMINAL_STATUSES = ("SUCCEEDED", "FAILED")
REQUEST_TIMEOUT_SECONDS = 30
UPLOAD_TIMEOUT_SECONDS = 600
_DOWNLOAD_CHUNK_BYTES = 1024 * 1024
# Reads (GET) are retried on throttling, server errors and dropped connections, after 0, 1, 2 and 4 s
# (or the Retry-After asked for). POSTs are not: each one issues a new session (counted against the
# per-minute limit) or stores a new upload version (which starts a run); only a connection that never
# opened is tried again.
RETRIES = Retry(
    total=4,
    backoff_factor=0.5,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=frozenset({"GET"}),
    raise_on_status=False,
)


class ApiError(Exception):
    """The API (or S3, or the network) did not give the expected answer."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Unauthorized(ApiError):
    """HTTP 401: the token was refused before the request reached the API function."""


class RouteMissing(ApiError):
    """The stack has no such route: API Gateway's own 404 (no error code from the API function), or a 405."""


def retrying_session() -> requests.Session:
    """An HTTP session retrying as :data:`RETRIES` says."""
    http = requests.Session()
    adapter = HTTPAdapter(max_retries=RETRIES)
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    return http


def _not_json(response: requests.Response) -> str:
    kind = response.headers.get("Content-Type") or "no content type"
    return f"an answer that is not the API's JSON ({kind}): is apiUrl in the outputs the stack's?"


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    """The JSON object a successful answer holds."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(f"{what}: HTTP {response.status_code}: {_not_json(response)}", status=response.status_code)
    return body


def error_from_response(response: requests.Response, what: str) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if response.status_code == 401:
        return Unauthorized("the API refused the token", status=401)
    if response.status_code == 405 or (response.status_code == 404 and not isinstance(error, dict)):
        return RouteMissing(f"{what}: this stack has no such route", status=response.status_code)
    if isinstance(error, dict):
        return ApiError(
            f"{what}: {error.get('code')}: {error.get('message')}",
            status=response.status_code,
            code=error.get("code"),
        )
    detail = body.get("message") if isinstance(body, dict) else _not_json(response)
    return ApiError(f"{what}: HTTP {response.status_code}: {detail}", status=response.status_code)


def unreachable_reason(error: requests.RequestException) -> str:
    """Why a request got no answer, in a few words for the common cases (``requests`` wraps them in a
    line of pool and adapter internals), else the error itself."""
    text = str(error)
    if isinstance(error, requests.Timeout):
        return "no answer in time (a slow network, or a firewall dropping the connection)"
    if "Connection refused" in text:
        return "connection refused: nothing answers there (is the API running, and is the outputs file's apiUrl right?)"
    if "NameResolutionError" in text or "Name or service not known" in text or "nodename nor servname" in text:
        return "its host name does not resolve (is the outputs file's apiUrl right?)"
    return text


def storage_error(text: str) -> str:
    """S3's XML error as ``Code: Message`` on one line (the start of any other answer)."""
    # two leaf elements of S3's <Error> document: read by pattern, no XML parser for a remote answer
    code, message = (re.search(f"<{name}>([^<]*)</{name}>", text) for name in ("Code", "Message"))
    if code is None:
        return " ".join(text[:300].split())
    detail = html.unescape(code.group(1))
    return f"{detail}: {html.unescape(message.group(1))}" if message else detail


def _path(route_key: str, session_id: str | None = None) -> str:
    path = route_key.split(" ", 1)[1]
    return path if session_id is None else path.replace("{sessionId}", quote(session_id, safe=""))


class StatusApiClient:
    """Requests to one stack's Status API as the token's user."""

    def __init__(
        self,
        base_url: str,
        token: str,
        http: requests.Session | None = None,
        refresh_token: Callable[[], str] | None = None,
    ) -> None:
        """``refresh_token`` gives a new token when the API refuses the current one (HTTP 401), as
        one that expires during a long ``--wait`` is; the request is then made once more with it."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = http or retrying_session()
        self._refresh_token = refresh_token

    def _call(
        self,
        route_key: str,
        what: str,
        *,
        session_id: str | None = None,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        method = route_key.split(" ", 1)[0]
        try:
            for attempt in range(2):
                response = self.http.request(
                    method,
                    self.base_url + _path(route_key, session_id),
                    headers={"Authorization": f"Bearer {self.token}"},
                    json=json_body,
                    params=params,
                    timeout=REQUEST_TIMEOUT_SECONDS,
                )
                # a refused token reached no route, so repeating the request with a new one is safe
                if response.status_code != 401 or self._refresh_token is None or attempt:
                    return response
                self.token = self._refresh_token()
        except requests.RequestException as error:
            raise ApiError(f"{what}: cannot reach {self.base_url}: {unreachable_reason(error)}") from error
        return response

    def _json(self, route_key: str, what: str, expected: int = 200, **kwargs: Any) -> dict[str, Any]:
        response = self._call(route_key, what, **kwargs)
        if response.status_code != expected:
            raise error_from_response(response, what)
        return json_object(response, what)

    def create_session(self, file_name: str) -> dict[str, Any]:
        """A new session id with its presigned upload form (``sessionId``, ``upload``, ``maxBytes``, …)."""
        return self._json(
            CREATE_SESSION, "creating a session", expected=201, json_body={"fileName": file_name}
        )

    def upload(self, path: Path) -> dict[str, Any]:
        """Create a session and post ``path`` through its presigned form; returns the created session."""
        created = self.create_session(path.name)
        size = path.stat().st_size
        if size > created.get("maxBytes", size):
            raise ApiError(f"{path} has {size} bytes; this stack accepts at most {created['maxBytes']}")
        form = created["upload"]
        try:
            with path.open("rb") as content:
                # streamed from the file: requests' own form encoding holds the whole upload in memory
                body = MultipartEncoder(fields=[*form["fields"].items(), ("file", (path.name, content))])
                response = self.http.post(
                    form["url"],
                    data=body,
                    headers={"Content-Type": body.content_type},
                    timeout=UPLOAD_TIMEOUT_SECONDS,
                )
        except requests.RequestException as error:
            reason = unreachable_reason(error)
            raise ApiError(f"uploading {path.name}: cannot reach the upload URL: {reason}") from error
        if response.status_code not in (200, 201, 204):
            raise ApiError(
                f"uploading {path.name}: storage answered HTTP {response.status_code}: {storage_error(response.text)}",
                status=response.status_code,
            )
        return created

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        """The session's status view, or ``None`` while the API has no record of it (yet)."""
        what = f"reading session {session_id}"
        response = self._call(GET_SESSION, what, session_id=session_id)
        if response.status_code == 200:
            return json_object(response, what)
        error = error_from_response(response, what)
        if error.code == "NOT_FOUND":
            return None
        raise error

    def list_sessions(self, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every session of the caller, newest first, page after page."""
        params: dict[str, Any] = {} if page_size is None else {"limit": page_size}
        while True:
            page = self._json(LIST_SESSIONS, "listing sessions", params=params)
            yield from page.get("sessions", [])
            if not page.get("nextToken"):
                return
            params = {**params, "nextToken": page["nextToken"]}

    def get_classifier(self, session_id: str) -> dict[str, Any]:
        """``url`` (presigned ``classifier.json``) and the classifier's summary."""
        return self._json(GET_CLASSIFIER, f"reading the classifier of {session_id}", session_id=session_id)

    def get_report(self, session_id: str) -> dict[str, Any]:
        """``url`` (presigned ``report.html``) and headline figures; :class:`RouteMissing` on older stacks."""
        return self._json(GET_REPORT, f"reading the report of {session_id}", session_id=session_id)

    def download(self, url: str, destination: Path) -> Path:
        """Save a presigned URL's object (no bearer token: the URL carries its own authorisation).

        It is written beside ``destination`` and renamed only once complete, so a download cut short
        leaves no partial file under the final name (and a previous download there intact).
        """
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        try:
            with self.http.get(url, stream=True, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                if response.status_code != 200:
                    raise ApiError(
                        f"downloading {destination.name}: HTTP {response.status_code}",
                        status=response.status_code,
                    )
                with partial.open("wb") as target:
                    for chunk in response.iter_content(_DOWNLOAD_CHUNK_BYTES):
                        target.write(chunk)
            partial.replace(destination)
        except requests.RequestException as error:
            raise ApiError(f"downloading {destination.name}: {error}") from error
        finally:
            partial.unlink(missing_ok=True)
        return destination
