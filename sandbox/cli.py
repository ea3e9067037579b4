"""``python -m sandbox``: run uploads through the offline pipeline, serve the Status API, issue tokens."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from contracts.keys import ID_RULE, is_valid_id
from contracts.statuses import Status
from contracts.subjects import subject_for_user_id

from .api_server import listen_problem, make_server, serve_in_background
from .container_images import docker_available
from .outcomes import format_table, process_uploads, restore_outputs, saved_results_lines
from .program import stack_file
from .runner import LocalPipeline
from .signals import Stopped, report_stopped, stop_on_signals
from .stack import DEFAULT_STACK
from .stack_outputs import write_stack_outputs
from .tokens import DEFAULT_LIFETIME_SECONDS, KEY_FILE_NAME, issue_token, signing_key

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_SAMPLE = REPO_ROOT / "samples" / "S001_imagery.zip"
DEFAULT_OUT = Path("sandbox-out")
DEFAULT_USER = "local-researcher"
DEFAULT_PORT = 8787


def user_id_argument(value: str) -> str:
    """A ``--user-id`` the upload keys accept and a token's subject can reach, else an argparse error."""
    if not is_valid_id(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a user id: a user id is {ID_RULE}")
    try:
        subject_for_user_id(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is no token subject's user id, so the Status API could never show its sessions "
            f"({error})"
        ) from error
    return value


def positive_int_argument(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a whole number of at least 1")
    return number


def port_argument(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0 to 65535)")
    return port


def seconds_argument(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{value} is not a number of seconds above 0")
    return seconds


def stack_argument(value: str) -> str:
    """A stack with a ``Pulumi.<stack>.yaml`` beside the program, else an argparse error naming those there are."""
    if not stack_file(value).is_file():
        known = sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml")
                       for path in stack_file("*").parent.glob("Pulumi.*.yaml"))
        raise argparse.ArgumentTypeError(
            f"no Pulumi.{value}.yaml beside the program; stacks: {', '.join(known)}"
        )
    return value


def _add_output_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT,
        help="folder for results, status records, container logs, the token key and stack-outputs.json "
        f"(default: ./{DEFAULT_OUT})",
    )


def _add_stack_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", default=DEFAULT_STACK, type=stack_argument,
        help=f"the stack whose Pulumi.<stack>.yaml configures the program (default: {DEFAULT_STACK})",
    )


def _add_port_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=port_argument, default=DEFAULT_PORT,
                        help=f"port of the Status API on 127.0.0.1 (default: {DEFAULT_PORT})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="The EEG training pipeline on this machine, offline, on emulated AWS: the deployed state "
        "machine definition, the Lambda handlers and the classifier container.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="process upload zips end to end and print a table of the results",
        description="Upload each zip as its own session and let the event path process it; exits 0 only if "
        "every session succeeded.",
    )
    run.add_argument("uploads", nargs="*", type=Path, default=[BUNDLED_SAMPLE], metavar="FILE.zip",
                     help="upload zips (one CSV + metadata.json); default: the bundled sample "
                     f"{BUNDLED_SAMPLE.relative_to(REPO_ROOT)}")
    run.add_argument("--user-id", default=DEFAULT_USER, type=user_id_argument,
                     help=f"owner of the sessions: {ID_RULE}; escapes as in contracts/subjects.py "
                     f"(default: {DEFAULT_USER})")
    _add_output_option(run)
    _add_stack_option(run)
    run.add_argument("--docker", action="store_true",
                     help="run the classifier image with Docker instead of its entrypoint as a subprocess; "
                     "needs a running daemon holding the image (docker build -t eeg-classifier:sandbox "
                     "-f classifier_image/Dockerfile .)")
    run.add_argument("--permutations", type=int, metavar="N",
                     help="label permutations for the p-value (default: the container's default)")
    run.add_argument("--max-running", type=positive_int_argument, metavar="N",
                     help="classifier containers at once (default: the number of CPUs)")
    run.add_argument("--timeout", type=seconds_argument, default=1800, metavar="SECONDS",
                     help="give up waiting for the sessions after this long (default: 1800)")
    run.add_argument("--serve", action="store_true",
                     help="keep the Status API up on 127.0.0.1 after processing, until Ctrl-C or SIGTERM")
    _add_port_option(run)
    run.add_argument("--verbose", action="store_true", help="also print the handlers' JSON log lines")
    run.set_defaults(command_parser=run)

    serve = commands.add_parser(
        "serve", help="serve the Status API on 127.0.0.1 with the sessions a previous run saved",
        description="Start the emulated pipeline, load the sessions saved under --out, and answer the Status API "
        "with the deployed handler; uploads through a presigned POST are processed as on AWS.",
    )
    _add_output_option(serve)
    _add_stack_option(serve)
    _add_port_option(serve)
    serve.add_argument("--docker", action="store_true", help="as for run")
    serve.add_argument("--verbose", action="store_true", help="also print the handlers' JSON log lines")
    serve.set_defaults(command_parser=serve)

    token = commands.add_parser("token", help="print a bearer token for the local Status API")
    token.add_argument("--user", required=True, type=user_id_argument,
                       help="the user id whose sessions the token reaches (its subject maps to it)")
    token.add_argument("--lifetime", type=int, default=DEFAULT_LIFETIME_SECONDS, metavar="SECONDS",
                       help=f"validity in seconds (default: {DEFAULT_LIFETIME_SECONDS})")
    _add_output_option(token)
    token.set_defaults(command_parser=token)
    return parser


def _check_docker(parser: argparse.ArgumentParser, wanted: bool) -> None:
    if wanted and not docker_available():
        parser.error("--docker needs the docker CLI and a running daemon; neither answered (`docker info`)")


def _check_port(parser: argparse.ArgumentParser, wanted: bool, port: int) -> None:
    """Refuse a port the Status API cannot listen on before the stack is deployed, not after."""
    problem = listen_problem(port) if wanted else None
    if problem:
        parser.error(
            f"the Status API cannot listen on 127.0.0.1:{port} ({problem}); is another `python -m sandbox serve` "
            "running? Stop it or pass --port N"
        )


def _make_out_dir(parser: argparse.ArgumentParser, out_dir: Path) -> None:
    """Create ``--out`` (and its parents) or stop with why it cannot be the output folder."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {out_dir} cannot be the output folder ({error.strerror})")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        parser.error(f"--out {out_dir} cannot be the output folder (not writable)")


def local_api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def serving_instructions(url: str, out_dir: Path, outputs: Path, user_id: str) -> str:
    """Where the Status API answers, and commands to paste into a shell that ask it for ``user_id``'s sessions."""
    return (
        f"\nStatus API on {url} (Ctrl-C or SIGTERM stops it; its stack outputs are in {outputs}). For example:\n"
        f"  TOKEN=$(.venv/bin/python -m sandbox token --user {user_id} --out {shlex.quote(str(out_dir))})\n"
        f'  curl -H "Authorization: Bearer $TOKEN" {url}/sessions\n'
        f'  .venv/bin/python -m eegclient list --outputs {shlex.quote(str(outputs))} --token "$TOKEN"'
    )


def _serve_until_interrupted(pipeline: LocalPipeline, out_dir: Path, port: int, user_id: str) -> None:
    server = make_server(pipeline.api_handler(), signing_key(out_dir), port=port)
    serve_in_background(server)
    url = local_api_url(server.server_address[1])
    outputs = write_stack_outputs(out_dir, pipeline.stack, url)
    print(serving_instructions(url, out_dir, outputs, user_id), flush=True)
    try:
        while True:
            signal.pause()
    except Stopped as stopped:
        print(f"{stopped}: stopping", file=sys.stderr, flush=True)
    finally:
        server.shutdown()
        server.server_close()


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    missing = [str(path) for path in args.uploads if not path.exists()]
    if missing:
        parser.error(f"no such upload file: {', '.join(missing)}")
    not_files = [str(path) for path in args.uploads if not path.is_file()]
    if not_files:
        parser.error(f"not a file: {', '.join(not_files)} (an upload is a zip file)")
    if args.permutations is not None and args.permutations < 1:
        parser.error("--permutations must be at least 1 (the result carries a p-value)")
    _check_docker(parser, args.docker)
    _check_port(parser, args.serve, args.port)
    container_environment = {} if args.permutations is None else {"FBCSP_PERMUTATIONS": str(args.permutations)}
    _make_out_dir(parser, args.out)
    with LocalPipeline(
        work_dir=args.out,
        stack=args.stack,
        container_environment=container_environment,
        handler_log_level="INFO" if args.verbose else "WARNING",
        docker=args.docker,
        max_running=args.max_running,
    ) as pipeline:
        # Where `serve` (or --serve, below) will answer; serving rewrites it with the port it got.
        write_stack_outputs(args.out, pipeline.stack, local_api_url(args.port))
        try:
            outcomes = process_uploads(
                pipeline, args.uploads, user_id=args.user_id, out_dir=args.out, timeout_seconds=args.timeout
            )
        except TimeoutError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print()
        print(format_table(outcomes))
        for outcome in outcomes:
            print("\n".join(saved_results_lines(outcome)))
        if args.serve:
            _serve_until_interrupted(pipeline, args.out, args.port, args.user_id)
    return 0 if all(outcome.status == Status.SUCCEEDED for outcome in outcomes) else 1


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    _check_docker(parser, args.docker)
    _check_port(parser, True, args.port)
    _make_out_dir(parser, args.out)
    with LocalPipeline(
        work_dir=args.out, stack=args.stack, handler_log_level="INFO" if args.verbose else "WARNING",
        docker=args.docker,
    ) as pipeline:
        restored = restore_outputs(pipeline, args.out)
        pipeline.say(f"loaded {restored} saved session(s) from {args.out}")
        _serve_until_interrupted(pipeline, args.out, args.port, DEFAULT_USER)
    return 0


def _token(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.lifetime < 1:
        parser.error("--lifetime must be at least 1 second")
    _make_out_dir(parser, args.out)
    new_key = not (args.out / KEY_FILE_NAME).exists()
    try:
        print(issue_token(signing_key(args.out), args.user, lifetime_seconds=args.lifetime))
    except ValueError as error:
        parser.error(str(error))
    if new_key:  # a token the stack being served would refuse: say why before the 401 does
        print(f"note: new signing key in {args.out}: only a run or serve with that --out accepts this token",
              file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"run": _run, "serve": _serve, "token": _token}
    with stop_on_signals():
        try:
            return commands[args.command](args, args.command_parser)
        except Stopped as stopped:
            return report_stopped(stopped)
