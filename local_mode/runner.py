"""Runs the whole pipeline on this machine against emulated AWS (architecture.md §9).

An in-process moto server stands in for S3, EventBridge, SQS, Lambda, DynamoDB, ECS, SNS and
Step Functions. An upload goes through exactly the deployed path: ``PutObject`` → EventBridge →
queue → start handler → state machine (the deployed ASL) → validate → mark processing → the
container entrypoint as a subprocess → process results / record failure → notify. The runner
waits for every session to reach a final status and copies its results to a local folder.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.moto_api._internal.models import moto_api_backend

from . import moto_patches
from .emulator import free_port, start_server
from .containers import REPO_ROOT, SubprocessLauncher
from .stack import HANDLER_MODULES, LocalStack, create_stack

REGION = "eu-west-2"
FINAL_STATUSES = ("SUCCEEDED", "FAILED")
_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class LambdaContext:
    """The parts of the Lambda context object the handlers may read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass(frozen=True)
class SessionOutcome:
    user_id: str
    session_id: str
    status: str
    item: dict[str, Any]
    results_dir: Path | None


def _restore_variable(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def make_dispatch(prefix: str) -> Callable[[str, dict[str, Any]], Any]:
    """Route an emulated Lambda invocation to the real handler function of that function name."""
    modules = {f"{prefix}-{part}": module for part, module in HANDLER_MODULES.items()}

    def dispatch(function_name: str, event: dict[str, Any]) -> Any:
        module = importlib.import_module(modules[function_name])
        return module.handler(event, LambdaContext(function_name))

    return dispatch


def _plain(value: Any) -> Any:
    """A DynamoDB item (client format) as plain Python values."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(attribute) for key, attribute in value.items()}


class LocalPipeline:
    """The emulated AWS endpoint, the pipeline's resources on it, and helpers to drive it.

    Use as a context manager: entering starts the server and creates the stack, leaving stops the
    server. ``progress`` receives one line per event worth telling a person about.
    """

    def __init__(
        self,
        *,
        work_dir: Path,
        task_memory_mib: int = 2048,
        train_timeout_seconds: int = 1800,
        prefix: str = "eeg-local",
        progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
        container_environment: dict[str, str] | None = None,
        handler_log_level: str = "WARNING",
    ) -> None:
        self.work_dir = work_dir
        self.task_memory_mib = task_memory_mib
        self.train_timeout_seconds = train_timeout_seconds
        self.prefix = prefix
        self.progress = progress
        self.container_environment = container_environment or {}
        self.handler_log_level = handler_log_level
        self._started = time.monotonic()
        self._exit_stack = ExitStack()
        # Every variable the pipeline set for the handlers running in this process.
        self.environment: dict[str, str] = {}
        self.stack: LocalStack | None = None
        self.session: boto3.session.Session | None = None
        self.launcher: SubprocessLauncher | None = None

    def say(self, message: str) -> None:
        self.progress(f"[{time.monotonic() - self._started:6.1f}s] {message}")

    def _set_environment(self, values: dict[str, str]) -> None:
        self.environment.update(values)
        for name, value in values.items():
            previous = os.environ.get(name)
            self._exit_stack.callback(_restore_variable, name, previous)
            os.environ[name] = value

    def __enter__(self) -> LocalPipeline:
        with ExitStack() as unwind_on_error:
            unwind_on_error.push(self._exit_stack)
            self._start()
            unwind_on_error.pop_all()
        return self

    def _start(self) -> None:
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        aws_environment = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # The Step Functions interpreter sends its own AWS calls to localhost:$MOTO_PORT.
            "MOTO_PORT": str(port),
        }
        self._set_environment({**aws_environment, "LOG_LEVEL": self.handler_log_level})
        # One line per HTTP request to the emulator would drown the progress output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.launcher = SubprocessLauncher(
            base_environment={
                **aws_environment,
                "PYTHONPATH": str(REPO_ROOT / "classifier_image"),
                **self.container_environment,
            },
            memory_limit_mib=self.task_memory_mib,
            log_dir=self.work_dir / "container-logs",
            on_exit=lambda task, code, reason: self.say(f"classifier task {task.id[:8]} exited with {code}: {reason}"),
        )
        self._exit_stack.enter_context(moto_patches.adjusted_moto(make_dispatch(self.prefix), self.launcher))
        server = start_server(port)
        self._exit_stack.callback(server.stop)
        self._exit_stack.callback(moto_api_backend.reset)
        # A container still running once every session is final (a timed-out run) is stopped, as
        # Step Functions stops the task of a timed-out state.
        self._exit_stack.callback(self.launcher.stop_all)
        self.say(f"emulated AWS listening on {endpoint}")
        self.session = boto3.session.Session(region_name=REGION)
        self.stack = create_stack(
            self.session,
            prefix=self.prefix,
            region=REGION,
            task_memory_mib=self.task_memory_mib,
            train_timeout_seconds=self.train_timeout_seconds,
        )
        self._set_environment(self.stack.handler_environment())
        self.say("pipeline resources created (buckets, tables, queue, functions, cluster, state machine)")

    def __exit__(self, *exc_info: object) -> None:
        self._exit_stack.close()

    def upload(self, path: Path, *, user_id: str, session_id: str, file_name: str | None = None) -> str:
        key = f"uploads/{user_id}/{session_id}/{file_name or path.name}"
        self.session.client("s3").put_object(Bucket=self.stack.upload_bucket, Key=key, Body=path.read_bytes())
        self.say(f"uploaded {path.name} as s3://{self.stack.upload_bucket}/{key}")
        return key

    def status(self, user_id: str, session_id: str) -> dict[str, Any] | None:
        item = self.session.client("dynamodb").get_item(
            TableName=self.stack.status_table,
            Key={"userId": {"S": user_id}, "sessionId": {"S": session_id}},
            ConsistentRead=True,
        ).get("Item")
        return _plain(item) if item else None

    def wait_for(
        self, sessions: Iterable[tuple[str, str]], *, timeout_seconds: float = 1800
    ) -> dict[tuple[str, str], dict[str, Any]]:
        """Poll the status table until every session is final; report each status change."""
        pending = set(sessions)
        seen: dict[tuple[str, str], str | None] = dict.fromkeys(pending)
        final: dict[tuple[str, str], dict[str, Any]] = {}
        deadline = time.monotonic() + timeout_seconds
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"sessions still running after {timeout_seconds:.0f} s: {sorted(pending)}")
            for user_id, session_id in sorted(pending):
                item = self.status(user_id, session_id) or {}
                status = item.get("status")
                if status != seen[(user_id, session_id)]:
                    seen[(user_id, session_id)] = status
                    self.say(f"{user_id}/{session_id}: {status}")
                if status in FINAL_STATUSES:
                    final[(user_id, session_id)] = item
                    pending.discard((user_id, session_id))
            time.sleep(_POLL_SECONDS)
        return final

    def download_results(self, prefix: str, destination: Path) -> list[Path]:
        s3 = self.session.client("s3")
        written = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.stack.results_bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                target = destination / entry["Key"][len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(self.stack.results_bucket, entry["Key"], str(target))
                written.append(target)
        return written


def describe_outcome(outcome: SessionOutcome) -> str:
    item = outcome.item
    if outcome.status == "SUCCEEDED":
        result = item.get("result", {})
        figures = ", ".join(
            f"{name} {float(result[name]):.3f}"
            for name in ("selectionAccuracy", "nestedAccuracy", "chanceLevel", "permutationPValue")
            if result.get(name) is not None
        )
        return (
            f"{outcome.session_id}: SUCCEEDED — option {result.get('selectedOption')}, window ending "
            f"{result.get('windowEndMs')} ms after the cue; {figures}\n  results in {outcome.results_dir}"
        )
    error = item.get("error", {})
    return f"{outcome.session_id}: {outcome.status} — {error.get('code')}: {error.get('message')}"


def run(
    uploads: Sequence[Path],
    *,
    out_dir: Path,
    user_id: str = "local-researcher",
    task_memory_mib: int = 2048,
    permutations: int | None = None,
    verbose: bool = False,
) -> list[SessionOutcome]:
    """Upload each file as its own session, wait for all of them, and copy their results to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    container_environment = {} if permutations is None else {"FBCSP_PERMUTATIONS": str(permutations)}
    with LocalPipeline(
        work_dir=out_dir,
        task_memory_mib=task_memory_mib,
        container_environment=container_environment,
        handler_log_level="INFO" if verbose else "WARNING",
    ) as pipeline:
        sessions = []
        for path in uploads:
            session_id = path.stem.replace(" ", "_")[:128]
            pipeline.upload(path, user_id=user_id, session_id=session_id)
            sessions.append((user_id, session_id))
        finals = pipeline.wait_for(sessions)
        outcomes = []
        for (user, session_id), item in finals.items():
            results_dir = None
            prefix = item.get("result", {}).get("resultsPrefix")
            if prefix:
                results_dir = out_dir / session_id
                pipeline.download_results(prefix, results_dir)
            (out_dir / f"{session_id}.status.json").write_text(json.dumps(item, indent=2, default=str) + "\n")
            outcomes.append(SessionOutcome(user, session_id, item["status"], item, results_dir))
        return outcomes
