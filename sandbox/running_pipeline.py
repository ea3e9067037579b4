"""The upload, status and results API of a pipeline deployed on the emulator.

:class:`RunningPipeline` puts files where a client's presigned POST would, polls the status table
until sessions are final and saves what each produced. :class:`sandbox.runner.LocalPipeline`
deploys the stack and fills in what this API reads (``environment``, ``stack``, ``session``,
``launcher``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

from components.config import StackSettings
from contracts.keys import UploadKey
from contracts.statuses import FINAL_STATUSES, PARTITION_KEY, SORT_KEY

from .containers import ContainerLauncher
from .outcomes import CLASSIFIER_RECORD_FILE, STATUS_FILE, SessionOutcome, write_json
from .stack import LocalStack

_POLL_SECONDS = 0.1


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (client format) as plain Python values."""
    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(attribute) for key, attribute in item.items()}


class RunningPipeline:
    """Drives a deployed pipeline as its clients would, and reports each event through ``progress``.

    Parameters
    ----------
    settings : StackSettings
        The deployed stack's settings (its region).
    progress : callable
        Receives one line per event worth telling a person about.
    """

    def __init__(self, *, settings: StackSettings, progress: Callable[[str], None]) -> None:
        self.settings = settings
        self.progress = progress
        self._started = time.monotonic()
        self._uploaded_at: dict[tuple[str, str], float] = {}
        # The emulator endpoint and the administrator's credentials: what this process uses.
        self.environment: dict[str, str] = {}
        self.stack: LocalStack | None = None
        self.session: boto3.session.Session | None = None
        self.launcher: ContainerLauncher | None = None
        self._thread_clients = threading.local()

    def _client(self, service: str):
        """A client of the emulator for the calling thread (boto3 sessions are not thread-safe)."""
        clients = self._thread_clients.__dict__.setdefault("clients", {})
        if service not in clients:
            clients[service] = boto3.session.Session(
                aws_access_key_id=self.environment["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.environment["AWS_SECRET_ACCESS_KEY"],
                region_name=self.settings.region,
            ).client(service)
        return clients[service]

    def say(self, message: str) -> None:
        self.progress(f"[{time.monotonic() - self._started:6.1f}s] {message}")

    def upload(self, path: Path, *, user_id: str, session_id: str, file_name: str | None = None) -> str:
        """Put ``path`` where a client's presigned POST would put it; the event path does the rest."""
        key = UploadKey(user_id, session_id, file_name or path.name).key
        self._uploaded_at[(user_id, session_id)] = time.monotonic()
        self._client("s3").put_object(Bucket=self.stack.upload_bucket, Key=key, Body=path.read_bytes())
        self.say(f"{user_id}/{session_id}: uploaded {path.name}")
        return key

    def status(self, user_id: str, session_id: str) -> dict[str, Any] | None:
        return self._item(self.stack.status_table, user_id, session_id)

    def classifier_record(self, user_id: str, session_id: str) -> dict[str, Any] | None:
        return self._item(self.stack.classifier_table, user_id, session_id)

    def _item(self, table: str, user_id: str, session_id: str) -> dict[str, Any] | None:
        item = self._client("dynamodb").get_item(
            TableName=table,
            Key={PARTITION_KEY: {"S": user_id}, SORT_KEY: {"S": session_id}},
            ConsistentRead=True,
        ).get("Item")
        return _plain(item) if item else None

    def wait_for(
        self, sessions: Iterable[tuple[str, str]], *, timeout_seconds: float = 1800
    ) -> dict[tuple[str, str], SessionOutcome]:
        """Poll the status table until every session is final; report each status change."""
        pending = set(sessions)
        seen: dict[tuple[str, str], str | None] = dict.fromkeys(pending)
        final: dict[tuple[str, str], SessionOutcome] = {}
        deadline = time.monotonic() + timeout_seconds
        while pending:
            if time.monotonic() > deadline:
                waited_for = ", ".join(f"{user}/{session} ({seen[user, session] or 'no status yet'})"
                                       for user, session in sorted(pending))
                raise TimeoutError(f"sessions not final after {timeout_seconds:g} s: {waited_for}")
            items = self._status_items()
            for key in sorted(pending):
                item = items.get(key, {})
                status = item.get("status")
                if status != seen[key]:
                    seen[key] = status
                    self.say(f"{key[0]}/{key[1]}: {status}")
                if status in FINAL_STATUSES:
                    final[key] = self._outcome(*key, item)
                    pending.discard(key)
            time.sleep(_POLL_SECONDS)
        return final

    def _status_items(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every status record, in one consistent scan per page (one request however many sessions wait)."""
        paginator = self._client("dynamodb").get_paginator("scan")
        items = {}
        for page in paginator.paginate(TableName=self.stack.status_table, ConsistentRead=True):
            for raw in page["Items"]:
                item = _plain(raw)
                items[(item[PARTITION_KEY], item[SORT_KEY])] = item
        return items

    def _outcome(self, user_id: str, session_id: str, item: dict[str, Any]) -> SessionOutcome:
        uploaded_at = self._uploaded_at.get((user_id, session_id), self._started)
        runs = [
            run
            for run in self.launcher.runs
            if run.session_id == session_id and run.user_id == user_id and run.queued >= uploaded_at
        ]
        return SessionOutcome(
            user_id=user_id,
            session_id=session_id,
            item=item,
            total_seconds=time.monotonic() - uploaded_at,
            container_seconds=sum(run.seconds for run in runs),
            queued_seconds=sum(run.queued_seconds for run in runs),
        )

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

    def save_session(self, outcome: SessionOutcome, out_dir: Path) -> Path:
        """Write a session's status record, classifier record and result files to ``out_dir/user/session``."""
        folder = out_dir / outcome.user_id / outcome.session_id
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / STATUS_FILE, outcome.item)
        classifier = self.classifier_record(outcome.user_id, outcome.session_id)
        if classifier is not None:
            write_json(folder / CLASSIFIER_RECORD_FILE, classifier)
        prefix = outcome.item.get("result", {}).get("resultsPrefix")
        if prefix:
            self.download_results(prefix, folder)
        return folder
