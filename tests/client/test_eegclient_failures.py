"""eegclient against a Status API and storage that misbehave: throttling, server errors, answers that are
not the API's, downloads cut short, local folders it cannot write, Ctrl-C, and bad arguments. Each ends in
one line on stderr and its exit code, with nothing half-written left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from eegclient import api as api_module
from eegclient import cli
from eegclient.tokens import TokenError, resolve_token

pytestmark = pytest.mark.unit

SESSION = "20261203T020000Z-0a1b2c3d4e5f"
NOT_FOUND = (404, {"error": {"code": "NOT_FOUND", "message": "no trained classifier for this session"}})
DROP = "drop"  # headers promising 1000 bytes, then 10 and a closed connection
HANG = "hang"  # no answer for a minute


@dataclass
class ScriptedServer:
    """Answers each ``METHOD /path`` with its queue of answers in turn (the last one repeats)."""

    url: str = ""
    outputs: Path = Path("stack-outputs.json")
    answers: dict[str, list] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    #: The Authorization header of each request, in order.
    authorizations: list[str] = field(default_factory=list)
    #: Where each request's body is written (in chunks, so the server holds none whole), by request.
    bodies: dict[str, Path] = field(default_factory=dict)
    body_dir: Path = Path(".")

    def script(self, request: str, *answers) -> None:
        self.answers[request] = list(answers)

    def next_answer(self, request: str):
        self.seen.append(request)
        queue = self.answers.get(request, [(404, {"message": "Not Found"})])
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *arguments) -> None:
            pass

        def _answer(self) -> None:
            request = f"{self.command} {self.path.split('?')[0]}"
            body = server.body_dir / f"body-{len(server.seen)}"
            with body.open("wb") as sink:
                left = int(self.headers.get("Content-Length") or 0)
                while left:
                    chunk = self.rfile.read(min(left, 1 << 16))
                    sink.write(chunk)
                    left -= len(chunk)
            server.bodies[request] = body
            server.authorizations.append(self.headers.get("Authorization", ""))
            answer = server.next_answer(request)
            if answer == HANG:
                time.sleep(60)
                return
            if answer == DROP:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b'{"partial"')
                self.wfile.flush()
                self.close_connection = True
                return
            status, body, *content_type = answer
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type[0] if content_type else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

    return Handler


@pytest.fixture
def api(tmp_path) -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(scripted))
    httpd.daemon_threads = True
    # shutdown() waits for serve_forever's next poll (every 0.5 s by default)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    scripted.url = f"http://127.0.0.1:{httpd.server_port}"
    scripted.outputs = tmp_path / "stack-outputs.json"
    scripted.body_dir = tmp_path
    scripted.outputs.write_text(json.dumps({"apiUrl": scripted.url}))
    yield scripted
    httpd.shutdown()
    httpd.server_close()


def run(api: ScriptedServer, *arguments: str) -> int:
    return cli.main([*arguments, "--outputs", str(api.outputs), "--token", "t0ken"], environ={})


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def test_an_api_that_does_not_answer_is_named_with_the_likely_causes(tmp_path, capsys, monkeypatch):
    # the client's retries of a refused connection, without their 7 s of back-off
    monkeypatch.setattr(api_module, "RETRIES", api_module.RETRIES.new(backoff_factor=0))
    # GIVEN outputs naming a port where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"apiUrl": url}))
    # WHEN a command asks it THEN one error line says so in a few words (not requests' pool internals)
    assert cli.main(["list", "--outputs", str(outputs), "--token", "t0ken"], environ={}) == cli.EXIT_API
    assert one_error_line(capsys) == (
        f"error: listing sessions: cannot reach {url}: connection refused: nothing answers there "
        "(is the API running, and is the outputs file's apiUrl right?)"
    )


def test_a_read_is_retried_after_throttling_and_server_errors(api, capsys):
    api.script(
        f"GET /sessions/{SESSION}",
        (503, {"message": "Service Unavailable"}),
        (429, {"message": "Too Many Requests"}),
        (200, {"sessionId": SESSION, "status": "PROCESSING"}),
    )

    assert run(api, "status", SESSION) == cli.EXIT_OK
    assert capsys.readouterr().out == f"{SESSION}: PROCESSING\n"
    assert api.seen == [f"GET /sessions/{SESSION}"] * 3


def test_creating_a_session_is_not_repeated_after_a_server_error(api, tmp_path, capsys):
    recording = tmp_path / "recording.zip"
    zipfile.ZipFile(recording, "w").close()
    api.script("POST /sessions", (503, {"message": "Service Unavailable"}))

    assert run(api, "upload", str(recording)) == cli.EXIT_API
    assert one_error_line(capsys) == "error: creating a session: HTTP 503: Service Unavailable"
    assert api.seen == ["POST /sessions"]


@pytest.mark.parametrize(
    "answer",
    [(200, b"<html><body>Welcome</body></html>", "text/html"), (200, ["not", "an", "object"])],
    ids=["html", "json-list"],
)
def test_an_answer_that_is_not_the_apis_json_is_one_line_naming_the_outputs_url(api, capsys, answer):
    api.script("GET /sessions", answer)

    assert run(api, "list") == cli.EXIT_API
    assert "not the API's JSON" in one_error_line(capsys)


def test_an_html_error_page_is_summed_up_not_printed(api, capsys):
    api.script("GET /sessions", (403, b"<html><body><h1>Forbidden</h1></body></html>", "text/html"))

    assert run(api, "list") == cli.EXIT_API
    assert one_error_line(capsys) == (
        "error: listing sessions: HTTP 403: an answer that is not the API's JSON (text/html): "
        "is apiUrl in the outputs the stack's?"
    )


def test_a_download_cut_short_leaves_the_previous_file_and_no_partial_one(api, tmp_path, capsys):
    folder = tmp_path / "results" / SESSION
    folder.mkdir(parents=True)
    (folder / "classifier.json").write_text('{"previous": true}')
    api.script(f"GET /sessions/{SESSION}/classifier", (200, {"url": f"{api.url}/results/classifier.json"}))
    api.script("GET /results/classifier.json", DROP)

    assert run(api, "download", SESSION, "--out", str(tmp_path / "results")) == cli.EXIT_API
    assert one_error_line(capsys).startswith("error: downloading classifier.json: ")
    assert sorted(path.name for path in folder.iterdir()) == ["classifier.json"]
    assert (folder / "classifier.json").read_text() == '{"previous": true}'


def test_a_download_folder_that_is_a_file_is_one_line(api, tmp_path, capsys):
    not_a_folder = tmp_path / "results.txt"
    not_a_folder.write_text("notes")
    api.script(f"GET /sessions/{SESSION}/classifier", (200, {"url": f"{api.url}/results/classifier.json"}))

    assert run(api, "download", SESSION, "--out", str(not_a_folder)) == cli.EXIT_USAGE
    assert one_error_line(capsys) == f"error: Not a directory: {not_a_folder / SESSION}"


def test_downloading_a_session_without_a_classifier_exits_as_documented_for_an_unknown_session(api, capsys):
    api.script(f"GET /sessions/{SESSION}/classifier", NOT_FOUND)

    assert run(api, "download", SESSION) == cli.EXIT_FAILED
    assert one_error_line(capsys) == (
        f"error: reading the classifier of {SESSION}: NOT_FOUND: no trained classifier for this session "
        f"(`status {SESSION}` shows where it is)"
    )


def test_a_session_the_api_does_not_know_yet_is_explained(api, capsys):
    api.script(f"GET /sessions/{SESSION}", (404, {"error": {"code": "NOT_FOUND", "message": "no such session"}}))

    assert run(api, "status", SESSION) == cli.EXIT_FAILED
    assert one_error_line(capsys) == (
        f"error: no session {SESSION} for this token's user (one just uploaded appears once the pipeline "
        "has registered its upload, within seconds; `upload --wait` waits for that)"
    )


def sigint_as_in_a_terminal() -> None:
    """Give the client the SIGINT disposition of a command started from a terminal: the suite may
    run with SIGINT ignored (a background job of a non-interactive shell), which children inherit,
    and Python raises no KeyboardInterrupt in a process that starts with it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_following_is_one_line_and_exit_130(api, pytestconfig):
    api.script(f"GET /sessions/{SESSION}", HANG)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("EEG_")}
    client = subprocess.Popen(  # noqa: S603 - this interpreter running the client
        [sys.executable, "-m", "eegclient", "status", SESSION, "--outputs", str(api.outputs), "--token", "t0ken"],
        cwd=pytestconfig.rootpath, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=sigint_as_in_a_terminal,  # noqa: PLW1509 - the test is single-threaded here
    )
    deadline = time.monotonic() + 30
    while not api.seen and time.monotonic() < deadline:
        time.sleep(0.05)
    client.send_signal(signal.SIGINT)
    _, errors = client.communicate(timeout=30)

    assert client.returncode == cli.EXIT_INTERRUPTED
    assert errors.splitlines() == [
        "error: interrupted; a session already uploaded goes on (`status SESSION_ID` follows it), "
        "a download cut short left no partial file"
    ]


def test_ctrl_c_while_the_token_command_runs_is_one_line_and_exit_130(api, tmp_path, pytestconfig):
    started = tmp_path / "started"
    command = f"{sys.executable} -c \"import pathlib, time; pathlib.Path('{started}').touch(); time.sleep(60)\""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("EEG_")}
    client = subprocess.Popen(  # noqa: S603 - this interpreter running the client
        [sys.executable, "-m", "eegclient", "list", "--outputs", str(api.outputs), "--token-command", command],
        cwd=pytestconfig.rootpath, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=sigint_as_in_a_terminal,  # noqa: PLW1509 - the test is single-threaded here
    )
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    client.send_signal(signal.SIGINT)
    _, errors = client.communicate(timeout=30)

    assert client.returncode == cli.EXIT_INTERRUPTED
    assert errors.splitlines()[-1].startswith("error: interrupted"), errors
    assert "Traceback" not in errors
    assert api.seen == []


@pytest.mark.parametrize("variable", [False, True], ids=["option", "environment"])
def test_a_token_with_bearer_or_a_line_break_is_refused_before_any_request(variable):
    with pytest.raises(TokenError, match="give the token alone, without 'Bearer '"):
        if variable:
            resolve_token(None, None, {"EEG_API_TOKEN": "Bearer abc.def.ghi"})
        else:
            resolve_token("abc.def\n.ghi", None, {})


def test_the_smoke_tests_default_upload_is_checked_like_a_given_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SystemExit) as stopped:
        cli.build_parser().parse_args(["smoke", "--outputs", "stack-outputs.json"])

    assert stopped.value.code == cli.EXIT_USAGE
    assert "no such file: samples/S001_imagery.zip" in capsys.readouterr().err


def test_a_file_that_is_not_a_zip_is_refused_before_a_session_is_created(tmp_path, capsys):
    recording = tmp_path / "recording.zip"
    recording.write_text("Time,C3,C4\n")

    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["upload", str(recording), "--outputs", "stack-outputs.json"])

    assert f"{recording} is not a zip archive" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["status", "download"])
@pytest.mark.parametrize("value", ["../outside", "..", "a/b", "C:x", "x" * 129])
def test_a_session_id_on_the_command_line_is_one_folder_name_or_wrong_usage(command, value, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.build_parser().parse_args([command, value, "--outputs", "o.json"])

    assert stopped.value.code == cli.EXIT_USAGE
    assert "is not a session id" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["soon", "nan", "inf", "0"])
def test_a_timeout_must_be_a_finite_positive_number_of_seconds(value, capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["upload", "--timeout", value, "x.zip", "--outputs", "o.json"])

    assert "argument --timeout: must be a positive number of seconds" in capsys.readouterr().err


def test_an_empty_list_says_so_on_stderr_and_prints_nothing_to_parse(api, capsys):
    api.script("GET /sessions", (200, {"sessions": []}))

    assert run(api, "list") == cli.EXIT_OK
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "no sessions yet for this token's user: `upload FILE` starts one\n"


def test_a_listed_session_without_a_readable_time_is_listed_without_one(api, capsys):
    api.script("GET /sessions", (200, {"sessions": [{"sessionId": "s", "status": "RECEIVED", "updatedAt": None}]}))

    assert run(api, "list") == cli.EXIT_OK
    assert capsys.readouterr().out == "s" + " " * 28 + "RECEIVED\n"


def test_an_upload_is_streamed_from_the_file_into_the_presigned_form(api, tmp_path, capsys):
    recording = tmp_path / "recording.zip"
    with zipfile.ZipFile(recording, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("samples.csv", bytes(range(256)) * (1 << 16))  # 16 MiB, stored as it is
    fields = {"key": f"uploads/u/{SESSION}/recording.zip", "policy": "cG9saWN5", "x-amz-signature": "5ig"}
    api.script(
        "POST /sessions",
        (201, {"sessionId": SESSION, "maxBytes": 1 << 30, "upload": {"url": f"{api.url}/upload", "fields": fields}}),
    )
    api.script("POST /upload", (204, b""))

    tracemalloc.start()
    try:
        code = run(api, "upload", str(recording))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert code == cli.EXIT_OK, capsys.readouterr().err
    assert peak < 4 << 20, f"{peak} bytes at once: the 16 MiB upload was held in memory"
    body = api.bodies["POST /upload"].read_bytes()
    # the presigned form's fields first, in order, then the file (S3 ignores fields after the file)
    field_names = [b'name="key"', b'name="policy"', b'name="x-amz-signature"', b'name="file"; filename="recording.zip"']
    positions = [body.index(name) for name in field_names]
    assert positions == sorted(positions)
    assert recording.read_bytes() in body


def test_a_token_refused_mid_run_is_renewed_once_through_the_token_command(api, tmp_path, capsys):
    # the token command prints token1, token2, ... (a token that expires during a long --wait)
    counter = tmp_path / "issued"
    issue = (
        "import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
        "n = int(p.read_text()) + 1 if p.exists() else 1; p.write_text(str(n)); print(f'token{n}')"
    )
    command = f'{sys.executable} -c "{issue}" {counter}'
    api.script(
        f"GET /sessions/{SESSION}",
        (401, {"message": "Unauthorized"}),
        (200, {"sessionId": SESSION, "status": "PROCESSING"}),
    )

    code = cli.main(["status", SESSION, "--outputs", str(api.outputs), "--token-command", command], environ={})

    assert code == cli.EXIT_OK, capsys.readouterr().err
    assert api.authorizations == ["Bearer token1", "Bearer token2"]


def test_a_token_given_as_it_is_is_not_renewed(api, capsys):
    api.script(f"GET /sessions/{SESSION}", (401, {"message": "Unauthorized"}))

    assert run(api, "status", SESSION) == cli.EXIT_AUTH
    assert api.seen == [f"GET /sessions/{SESSION}"]


def test_storages_xml_refusal_of_an_upload_is_its_code_and_message_on_one_line(api, tmp_path, capsys):
    recording = tmp_path / "recording.zip"
    zipfile.ZipFile(recording, "w").close()
    api.script(
        "POST /sessions",
        (201, {"sessionId": SESSION, "maxBytes": 1 << 20, "upload": {"url": f"{api.url}/upload", "fields": {}}}),
    )
    refusal = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>\n'
        b"<Message>Invalid according to Policy: Policy expired.</Message><RequestId>R</RequestId></Error>"
    )
    api.script("POST /upload", (403, refusal, "application/xml"))

    assert run(api, "upload", str(recording)) == cli.EXIT_API
    assert one_error_line(capsys) == (
        "error: uploading recording.zip: storage answered HTTP 403: "
        "AccessDenied: Invalid according to Policy: Policy expired."
    )


def test_what_the_api_says_is_printed_without_control_characters(api, capsys):
    """Session ids, statuses and error messages come from the server: listed or refused, none of their
    escape sequences reach the terminal."""
    api.script("GET /sessions", (200, {"sessions": [{"sessionId": "s\x1b[2J", "status": "RECEIVED\x1b[8m"}]}))
    api.script(f"GET /sessions/{SESSION}", (400, {"error": {"code": "BAD\x07", "message": "no\x1b[31m"}}))

    assert run(api, "list") == cli.EXIT_OK
    assert capsys.readouterr().out == "s [2J" + " " * 28 + "RECEIVED [8m\n"
    assert run(api, "status", SESSION) == cli.EXIT_API
    assert one_error_line(capsys) == f"error: reading session {SESSION}: BAD : no [31m"


def _a_session_with_a_classifier(api: ScriptedServer, session_id: str) -> None:
    """The API answers a new session ``session_id`` that succeeds with a classifier naming T1 and T2."""
    path = f"/sessions/{quote(session_id, safe='')}"
    api.script(
        "POST /sessions",
        (201, {"sessionId": session_id, "maxBytes": 1 << 20, "upload": {"url": f"{api.url}/upload", "fields": {}}}),
    )
    api.script("POST /upload", (204, b""))
    api.script(f"GET {path}", (200, {"sessionId": session_id, "status": "SUCCEEDED"}))
    api.script(f"GET {path}/classifier", (200, {"url": f"{api.url}/results/classifier.json"}))
    api.script("GET /results/classifier.json", (200, {"fbcsp": {"classLabels": {"1": "T1", "2": "T2"}}}))


@pytest.mark.parametrize("session_id", ["../../outside", "{tmp_path}/outside", "C:outside"])
def test_a_session_id_the_api_gives_never_leads_a_download_out_of_the_download_folder(
    api, tmp_path, capsys, session_id
):
    session_id = session_id.format(tmp_path=tmp_path)
    recording = tmp_path / "recording.zip"
    zipfile.ZipFile(recording, "w").close()
    _a_session_with_a_classifier(api, session_id)
    downloads = tmp_path / "downloads" / "here"

    code = cli.main(
        ["smoke", "--upload", str(recording), "--out", str(downloads), "--outputs", str(api.outputs), "--token", "t"],
        environ={},
    )

    assert code == cli.EXIT_API
    assert one_error_line(capsys) == f"error: {session_id!r} is not a session id: no results are saved for it"
    assert not list(tmp_path.rglob("classifier.json*"))
    assert not any(request.endswith("/classifier") for request in api.seen)
