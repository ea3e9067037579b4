"""A stand-in for S3 refusing a run's presigned URLs: an HTTP server that answers every request with one S3
error document, and the run's result URLs pointing at it (moto never refuses an expired URL)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from container_job import PREFIX

from contracts.manifest import RESULT_FILES
from contracts.run_access import RunAccess

#: The session token a presigned URL carries; S3 repeats it in an ExpiredToken answer (``Token-0``).
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN"
#: S3's answers to a URL used too late: its signing credentials expired, its own validity passed.
EXPIRED_TOKEN = (400, "ExpiredToken", "The provided token has expired.", f"<Token-0>{SESSION_TOKEN}</Token-0>")
REQUEST_EXPIRED = (
    403,
    "AccessDenied",
    "Request has expired",
    "<X-Amz-Expires>5205</X-Amz-Expires><Expires>2026-12-03T09:26:45Z</Expires><ServerTime>2026-12-03T09:27:02Z</ServerTime>",
)
#: A refusal for another reason (the signer's role lost its permission).
ACCESS_DENIED = (403, "AccessDenied", "Access Denied", "")


@contextmanager
def refusing_storage(status: int, code: str, message: str, extra: str) -> Iterator[str]:
    """The base URL of a server answering every GET and PUT with ``status`` and S3's error document."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>{extra}'
        "<RequestId>4442587FB7D0A2F9</RequestId><HostId>aHostId</HostId></Error>"
    ).encode()

    class Refusing(BaseHTTPRequestHandler):
        def refuse(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = refuse

        def log_message(self, *args) -> None:
            """Quiet: the test reads the client's side."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    # shutdown() waits for serve_forever's next poll (every 0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def presigned_url(base: str, key: str) -> str:
    return f"{base}/{key}?X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature=0123abcd"


def result_urls(base: str) -> dict[str, str]:
    """A presigned-looking PUT URL per result file, on the server at ``base``."""
    return {name: presigned_url(base, f"{PREFIX}{name}") for name in RESULT_FILES}


def access_to(base: str) -> RunAccess:
    """A run's access whose every URL is on the server at ``base``."""
    return RunAccess(input=presigned_url(base, "upload.zip"), results=result_urls(base))
