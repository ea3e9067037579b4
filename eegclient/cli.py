"""python -m eegclient: the smoke test and everyday commands against a deployed (or sandbox) stack.

Every command reads the stack outputs (--outputs, the JSON of `pulumi stack output --json`)
and a bearer token. Progress lines start with the seconds since the command started; errors go
to stderr. Exit codes: 0 done (for smoke and upload --wait: the session SUCCEEDED), 1 the
session FAILED, is unknown to this user, or a check of its results failed, 2 wrong usage or
unusable outputs, or a local file that cannot be read or written, 3 timed out, 4 no token or the
token was refused, 5 the API, storage or network gave an unexpected answer, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .api import ApiError, StatusApiClient, Unauthorized
from .arguments import page_size, positive_seconds, session_id_argument, zip_file
from .follow import SessionTimeout, follow_session
from .login import CLIENT_ID_VARIABLE, CLIENT_SECRET_VARIABLE, PASSWORD_VARIABLE, stack_token
from .outputs import OutputsError, api_url, load_outputs
from .results import (
    EXPECTED_CLASSES,
    classifier_problems,
    describe,
    printable,
    read_classifier,
    report_warning_lines,
    save_results,
)
from .tokens import TOKEN_VARIABLE, TokenError, explain_rejection, resolve_token, token_refresher

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_TIMEOUT, EXIT_AUTH, EXIT_API = 0, 1, 2, 3, 4, 5
EXIT_INTERRUPTED = 130  # the shells' 128 + SIGINT
DEFAULT_UPLOAD = Path("samples/S001_imagery.zip")
DEFAULT_TIMEOUT_SECONDS = 900.0


class Reporter:
    """Prints progress lines prefixed with the seconds since the command started, each made
    :func:`~eegclient.results.printable` (they quote what the API says)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()

    def say(self, message: str, *details: str) -> None:
        """``message`` after the time, then each of ``details`` on a line of its own."""
        print(f"[{self.clock() - self.started:7.1f}s] {printable(message)}", flush=True)
        for detail in details:
            print(printable(detail), flush=True)


@dataclass(frozen=True)
class Context:
    client: StatusApiClient
    reporter: Reporter


def _session_line(session_id: str, view: dict[str, Any] | None) -> str:
    return f"{session_id}: {describe(view) if view else 'uploaded, waiting for the pipeline to register it'}"


def _wait(context: Context, session_id: str, timeout_seconds: float) -> dict[str, Any]:
    say = context.reporter.say
    return follow_session(
        session_id,
        lambda: context.client.get_session(session_id),
        timeout_seconds=timeout_seconds,
        on_change=lambda view: say(_session_line(session_id, view), *report_warning_lines(view)),
    )


def _upload(context: Context, path: Path) -> str:
    created = context.client.upload(path)
    context.reporter.say(f"uploaded {path.name} as session {created['sessionId']}")
    return created["sessionId"]


def smoke(args: argparse.Namespace, context: Context) -> int:
    """Upload, wait for the outcome, download and check what a successful session produced."""
    session_id = _upload(context, args.upload)
    final = _wait(context, session_id, args.timeout)
    if final["status"] != "SUCCEEDED":
        return EXIT_FAILED
    saved = save_results(context.client, session_id, args.out, context.reporter.say)
    problems = classifier_problems(read_classifier(saved.classifier), args.classes)
    for problem in problems:
        print(f"error: {printable(problem)}", file=sys.stderr)
    if problems:
        return EXIT_FAILED
    context.reporter.say(
        f"smoke test passed: classifier.json names {', '.join(args.classes)}; {describe(final)}"
    )
    return EXIT_OK


def upload(args: argparse.Namespace, context: Context) -> int:
    session_id = _upload(context, args.file)
    if not args.wait:
        return EXIT_OK
    final = _wait(context, session_id, args.timeout)
    return EXIT_OK if final["status"] == "SUCCEEDED" else EXIT_FAILED


def status(args: argparse.Namespace, context: Context) -> int:
    view = context.client.get_session(args.session_id)
    if view is None:
        return _fail(
            f"no session {args.session_id} for this token's user (one just uploaded appears once the "
            "pipeline has registered its upload, within seconds; `upload --wait` waits for that)",
            EXIT_FAILED,
        )
    print(printable(_session_line(args.session_id, view)))
    for line in report_warning_lines(view):
        print(line)
    return EXIT_OK


def list_sessions(args: argparse.Namespace, context: Context) -> int:
    listed = 0
    for view in context.client.list_sessions(page_size=args.page_size):
        print(printable(f"{view.get('sessionId')}  {str(view.get('updatedAt') or ''):24}  {describe(view)}"))
        listed += 1
    if not listed:
        # on stderr: the listing itself (stdout) stays empty for scripts
        print("no sessions yet for this token's user: `upload FILE` starts one", file=sys.stderr)
    return EXIT_OK


def download(args: argparse.Namespace, context: Context) -> int:
    try:
        save_results(context.client, args.session_id, args.out, context.reporter.say)
    except ApiError as error:
        if error.code != "NOT_FOUND":
            raise
        return _fail(f"{error} (`status {args.session_id}` shows where it is)", EXIT_FAILED)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    stack = argparse.ArgumentParser(add_help=False)
    stack.add_argument("--outputs", type=Path, required=True, metavar="FILE",
                       help="the stack outputs: `pulumi stack output --json > FILE`, or the sandbox's "
                       "stack-outputs.json")
    common = argparse.ArgumentParser(add_help=False, parents=[stack])
    tokens = common.add_mutually_exclusive_group()
    tokens.add_argument("--token", help=f"the bearer token (default: ${TOKEN_VARIABLE})")
    tokens.add_argument(
        "--token-command",
        metavar="COMMAND",
        help="a command line that prints the bearer token (run without a shell)",
    )
    waiting = argparse.ArgumentParser(add_help=False)
    waiting.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT_SECONDS, metavar="S",
                         help="give up waiting for a final status after this long (default: %(default)g)")
    downloads = argparse.ArgumentParser(add_help=False)
    downloads.add_argument(
        "--out",
        type=Path,
        default=Path("eeg-results"),
        metavar="DIR",
        help="downloads go to DIR/SESSION_ID/ (default: eeg-results)",
    )

    parser = argparse.ArgumentParser(
        prog="python -m eegclient",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    smoke_parser = commands.add_parser(
        "smoke",
        parents=[common, waiting, downloads],
        help="upload a recording, wait for its outcome, download and check the classifier and report",
    )
    smoke_parser.add_argument(
        "--upload",
        type=zip_file,
        default=str(DEFAULT_UPLOAD),  # a string, so that argparse checks it like a given one
        metavar="FILE.zip",
        help=f"the recording to upload (default: {DEFAULT_UPLOAD})",
    )
    smoke_parser.add_argument(
        "--classes",
        nargs="+",
        default=list(EXPECTED_CLASSES),
        metavar="NAME",
        help=f"classes classifier.json must name (default: {' '.join(EXPECTED_CLASSES)})",
    )
    smoke_parser.set_defaults(run=smoke)
    upload_parser = commands.add_parser(
        "upload", parents=[common, waiting], help="upload a recording as a new session"
    )
    upload_parser.add_argument("file", type=zip_file, metavar="FILE.zip")
    upload_parser.add_argument("--wait", action="store_true", help="follow the session until it is final")
    upload_parser.set_defaults(run=upload)
    status_parser = commands.add_parser("status", parents=[common], help="one session's status and result")
    status_parser.add_argument("session_id", metavar="SESSION_ID", type=session_id_argument)
    status_parser.set_defaults(run=status)
    list_parser = commands.add_parser("list", parents=[common], help="your sessions, newest first")
    list_parser.add_argument("--page-size", type=page_size, metavar="N",
                             help="sessions per API request (1-100; every page is listed)")
    list_parser.set_defaults(run=list_sessions)
    download_parser = commands.add_parser(
        "download", parents=[common, downloads], help="download a session's classifier.json and report"
    )
    download_parser.add_argument("session_id", metavar="SESSION_ID", type=session_id_argument)
    download_parser.set_defaults(run=download)
    token_parser = commands.add_parser(
        "token",
        parents=[stack],
        help="print an access token from the stack's identity provider",
        description="With a Cognito smoke-test user (outputs cognitoSmokeTestClientId, "
        f"cognitoSmokeTestUser): USER_PASSWORD_AUTH with the password in ${PASSWORD_VARIABLE}. With an "
        "external issuer (output jwtIssuer): the client-credentials grant for "
        f"${CLIENT_ID_VARIABLE} / ${CLIENT_SECRET_VARIABLE}.",
    )
    token_parser.add_argument(
        "--scope", help="scope to ask the external issuer for (client-credentials only)"
    )
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    try:
        return _main(argv, environ)
    except KeyboardInterrupt:  # also while the token command runs
        return _fail(
            "interrupted; a session already uploaded goes on (`status SESSION_ID` follows it), "
            "a download cut short left no partial file",
            EXIT_INTERRUPTED,
        )


def _fail(message: str, exit_code: int) -> int:
    print(f"error: {printable(message)}", file=sys.stderr)
    return exit_code


def _main(argv: Sequence[str] | None, environ: Mapping[str, str] | None) -> int:
    args = build_parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        outputs = load_outputs(args.outputs)
        base_url = api_url(outputs)
    except OutputsError as error:
        return _fail(str(error), EXIT_USAGE)
    try:
        if args.command == "token":
            print(stack_token(outputs, environ, args.scope))
            return EXIT_OK
        token = resolve_token(args.token, args.token_command, environ)
    except TokenError as error:
        return _fail(str(error), EXIT_AUTH)
    refresh = token_refresher(args.token, args.token_command)
    context = Context(client=StatusApiClient(base_url, token, refresh_token=refresh), reporter=Reporter())
    try:
        return args.run(args, context)
    except Unauthorized:
        return _fail(explain_rejection(context.client.token, datetime.now(UTC)), EXIT_AUTH)
    except TokenError as error:  # the token command failed when asked for a new token
        return _fail(str(error), EXIT_AUTH)
    except SessionTimeout as error:
        return _fail(str(error), EXIT_TIMEOUT)
    except (ApiError, ValueError) as error:
        return _fail(str(error), EXIT_API)
    except OSError as error:
        return _fail(f"{error.strerror or error}: {error.filename}", EXIT_USAGE)
