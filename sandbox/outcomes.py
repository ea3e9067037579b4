"""What the sandbox keeps of each session: its outcome and timing, the saved files, the final table.

:func:`process_uploads` uploads files as sessions, waits for them and saves what each produced;
:func:`restore_outputs` loads a saved run back into a fresh emulator for ``serve``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeSerializer

from contracts.statuses import Status
from eegclient.results import headline, report_warning_lines

if TYPE_CHECKING:
    from .runner import LocalPipeline

STATUS_FILE = "status.json"
CLASSIFIER_RECORD_FILE = "classifier-record.json"
_SESSION_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SessionOutcome:
    """A session's final status record and how long it took.

    ``total_seconds`` runs from the upload to the final status; ``container_seconds`` is the time
    the classifier container ran (0 when the session failed before training), ``queued_seconds``
    the time its task waited for a free container slot (many sessions on a few cores). What is
    left is the pipeline's own overhead.
    """

    user_id: str
    session_id: str
    item: dict[str, Any]
    total_seconds: float
    container_seconds: float
    queued_seconds: float = 0.0
    saved_to: Path | None = None

    @property
    def status(self) -> str:
        return self.item.get("status", "")

    @property
    def overhead_seconds(self) -> float:
        return self.total_seconds - self.container_seconds - self.queued_seconds


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True, default=json_value) + "\n")


def session_ids_for(uploads: Sequence[Path]) -> list[str]:
    """A session id per upload, from its file name, made safe and unique."""
    ids: list[str] = []
    for path in uploads:
        base = _SESSION_ID_UNSAFE.sub("-", path.stem).strip("-")[:60] or "session"
        candidate, counter = base, 1
        while candidate in ids:
            counter += 1
            candidate = f"{base}-{counter}"
        ids.append(candidate)
    return ids


def process_uploads(
    pipeline: LocalPipeline,
    uploads: Sequence[Path],
    *,
    user_id: str,
    out_dir: Path,
    timeout_seconds: float = 1800,
) -> list[SessionOutcome]:
    """Upload each file as its own session, wait for all of them, and save each under ``out_dir``."""
    sessions = [(user_id, session_id) for session_id in session_ids_for(uploads)]
    for path, (user, session_id) in zip(uploads, sessions, strict=True):
        pipeline.upload(path, user_id=user, session_id=session_id)
    finals = pipeline.wait_for(sessions, timeout_seconds=timeout_seconds)
    outcomes = []
    for key in sessions:
        outcome = finals[key]
        outcomes.append(dataclasses.replace(outcome, saved_to=pipeline.save_session(outcome, out_dir)))
    return outcomes


def restore_outputs(pipeline: LocalPipeline, out_dir: Path) -> int:
    """Load the sessions a previous run saved under ``out_dir`` into the emulator; returns how many."""
    dynamodb, s3 = pipeline.session.client("dynamodb"), pipeline.session.client("s3")
    serializer = TypeSerializer()
    restored = 0
    for status_file in sorted(out_dir.glob(f"*/*/{STATUS_FILE}")):
        folder = status_file.parent
        for table, path in (
            (pipeline.stack.status_table, status_file),
            (pipeline.stack.classifier_table, folder / CLASSIFIER_RECORD_FILE),
        ):
            if path.is_file():
                item = json.loads(path.read_text(), parse_float=Decimal)
                dynamodb.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in item.items()})
        prefix = json.loads(status_file.read_text()).get("result", {}).get("resultsPrefix")
        if prefix:
            for result_file in folder.rglob("*"):
                relative = result_file.relative_to(folder).as_posix()
                if result_file.is_file() and relative not in (STATUS_FILE, CLASSIFIER_RECORD_FILE):
                    s3.put_object(
                        Bucket=pipeline.stack.results_bucket,
                        Key=prefix + relative,
                        Body=result_file.read_bytes(),
                    )
        restored += 1
    return restored


def describe_result(outcome: SessionOutcome) -> str:
    """One line: the accuracy figures of a trained session, or the failure code and reason."""
    item = outcome.item
    if outcome.status == Status.SUCCEEDED:
        return headline(item.get("result", {}))
    error = item.get("error", {})
    return f"{error.get('code')}: {error.get('message')}"


def saved_results_lines(outcome: SessionOutcome) -> list[str]:
    """Where a session's status, records and results were saved, its report, and the report's warnings."""
    lines = [f"{outcome.user_id}/{outcome.session_id}: status, records and results in {outcome.saved_to}"]
    report = outcome.saved_to / "report.html" if outcome.saved_to else None
    if report is not None and report.is_file():
        lines.append(f"  report: {report}")
    return [*lines, *report_warning_lines(outcome.item)]


def format_table(outcomes: Sequence[SessionOutcome]) -> str:
    """The final table: session, status, result or reason, and where the time went."""
    header = ("session", "status", "total s", "training s", "queued s", "overhead s", "result")
    rows = [
        (
            f"{outcome.user_id}/{outcome.session_id}",
            outcome.status,
            f"{outcome.total_seconds:.1f}",
            f"{outcome.container_seconds:.1f}",
            f"{outcome.queued_seconds:.1f}",
            f"{outcome.overhead_seconds:.1f}",
            describe_result(outcome),
        )
        for outcome in outcomes
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)
