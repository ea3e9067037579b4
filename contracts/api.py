"""The Status API's routes, its presign limits, and the session links notifications carry."""

from enum import StrEnum

#: How long presigned upload forms and download URLs stay valid.
PRESIGN_EXPIRY_SECONDS = 900
SESSION_ID_PARAMETER = "sessionId"


class Route(StrEnum):
    """Route keys of the HTTP API (``METHOD /path``), each answered by ``handlers.api``."""

    CREATE_SESSION = "POST /sessions"
    LIST_SESSIONS = "GET /sessions"
    GET_SESSION = "GET /sessions/{sessionId}"
    GET_CLASSIFIER = "GET /sessions/{sessionId}/classifier"
    GET_REPORT = "GET /sessions/{sessionId}/report"

    @property
    def method(self) -> str:
        return self.value.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.value.split(" ", 1)[1]

    def path_for(self, session_id: str) -> str:
        """The route's path for one session."""
        return self.path.replace("{" + SESSION_ID_PARAMETER + "}", session_id)


def session_links(
    session_id: str, *, results_bucket: str | None = None, results_prefix: str | None = None
) -> dict[str, str]:
    """Where a notification's reader finds the session: its API paths and, once trained, its results."""
    links = {"status": Route.GET_SESSION.path_for(session_id)}
    if results_bucket and results_prefix:
        links["classifier"] = Route.GET_CLASSIFIER.path_for(session_id)
        links["results"] = f"s3://{results_bucket}/{results_prefix}"
        links["report"] = f"s3://{results_bucket}/{results_prefix}report.html"
    return links
