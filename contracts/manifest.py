"""The classifier container's ``manifest.json``: written last under the run's results prefix.

The container builds a :class:`Manifest` and writes ``to_dict()``; the result handlers read it
back with :meth:`Manifest.from_dict`. ``outputs`` and ``metrics`` are empty on failure, ``error``
is present only on failure.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from contracts.documents import is_finite_number

MANIFEST_NAME = "manifest.json"
SCHEMA_VERSION = "1.0"
CLASSIFIER_FILE = "classifier.json"
METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"
FIGURES_DIR = "figures"
FIGURE_FILES = ("accuracy.png", "confusion.png", "csp_patterns.png")
_JSON = "application/json"
#: Every object a run writes under its results prefix (relative name -> the Content-Type it is
#: written with), the manifest included. A run may write these and nothing else: the state machine
#: hands the container one presigned PUT per name (:mod:`contracts.run_access`).
RESULT_FILES = {
    CLASSIFIER_FILE: _JSON,
    METRICS_FILE: _JSON,
    REPORT_FILE: "text/html",
    **{f"{FIGURES_DIR}/{name}": "image/png" for name in FIGURE_FILES},
    MANIFEST_NAME: _JSON,
}


class ManifestStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class OutputName(StrEnum):
    """Outputs every successful run lists (figures are listed under their relative paths)."""

    CLASSIFIER = "classifier"
    METRICS = "metrics"
    REPORT = "report"


#: Metrics that are fractions 0..1; the p-value is null when no label permutation was run.
FRACTION_METRICS = (
    "selectionAccuracy",
    "nestedAccuracy",
    "onlineNestedAccuracy",
    "chanceLevel",
    "chanceThreshold95",
    "permutationPValue",
)
NULLABLE_METRICS = frozenset({"permutationPValue"})
#: Metrics a succeeded manifest must carry (the status and classifier records are made from them).
REQUIRED_METRICS = (
    *FRACTION_METRICS,
    "headlineModel",
    "selectedOption",
    "optionId",
    "K",
    "windowEndMs",
    "classes",
    "usedBandIDs",
    "bandsHz",
    "classifierSchemaVersion",
)

#: The warnings ``report.html`` shows, in its order: a list of texts, possibly empty. Optional when
#: read: manifests of containers that predate it have none, which reads as no warnings.
REPORT_WARNINGS_METRIC = "reportWarnings"
#: What a session's status keeps of them. process_results shortens a longer list or text instead
#: of refusing it (a long warning must not fail a good session). The texts hold user-given channel
#: names; 20 texts of 1,000 characters (at most 80 KB of UTF-8) keep the status item far under
#: DynamoDB's 400 KB, and the outcome, which carries them too, under the 256 KB of a Step Functions
#: state and an SNS message.
MAX_REPORT_WARNINGS = 20
MAX_REPORT_WARNING_CHARS = 1_000
#: The largest manifest the result handlers read. A presigned PUT bounds no size, and a manifest is
#: read whole into a Lambda's memory; the container's are a few kilobytes (its report warnings the
#: most of it), so a larger one is refused (``RESULTS_INVALID``) rather than read.
MAX_MANIFEST_BYTES = 1024 * 1024
#: The container's wall time in seconds, from its job's start to the manifest's write (the operators'
#: training-time metric, :mod:`contracts.pipeline_metrics`). Optional: a container that predates it
#: writes none.
CONTAINER_SECONDS_FIELD = "containerSeconds"
#: The most ``containerSeconds`` can be: a day, far beyond any run (the URLs a run writes its manifest
#: with last at most six hours, ``contracts.run_access.MAX_RUN_ACCESS_SECONDS``).
MAX_CONTAINER_SECONDS = 24 * 60 * 60


def report_warnings(metrics: Mapping[str, Any]) -> list[str]:
    """The report warnings of a manifest's ``metrics``; ``[]`` when the manifest predates them.

    Raises
    ------
    ValueError
        If ``reportWarnings`` is present but not a list of strings.
    """
    warnings = metrics.get(REPORT_WARNINGS_METRIC, [])
    if not isinstance(warnings, list) or not all(isinstance(text, str) for text in warnings):
        raise ValueError(f"the metric {REPORT_WARNINGS_METRIC} must be a list of strings")
    return warnings


def is_container_seconds(value: object) -> bool:
    """Whether ``value`` can be a ``containerSeconds``: a number from 0 to :data:`MAX_CONTAINER_SECONDS`."""
    return is_finite_number(value) and 0 <= value <= MAX_CONTAINER_SECONDS


def manifest_key(results_prefix: str) -> str:
    """Where a run's manifest is: ``{resultsPrefix}manifest.json``."""
    return f"{results_prefix}{MANIFEST_NAME}"


@dataclass(frozen=True)
class ManifestError:
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _text(document: Mapping[str, Any], name: str) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise ValueError(f"{MANIFEST_NAME} has no text field {name}")
    return value


def _object(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name)
    if not isinstance(value, dict):
        raise ValueError(f"{MANIFEST_NAME} has no {name} object")
    return value


@dataclass(frozen=True, kw_only=True)
class Manifest:
    user_id: str
    session_id: str
    run_id: str
    status: ManifestStatus
    started_at: str
    finished_at: str
    outputs: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    error: ManifestError | None = None
    container_seconds: float | None = None
    schema_version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if (self.status is ManifestStatus.FAILED) != (self.error is not None):
            raise ValueError("a failed manifest carries an error, and only a failed one")
        if self.error is not None and (self.outputs or self.metrics):
            raise ValueError("a failed manifest lists no outputs and no metrics")
        if self.container_seconds is not None and not is_container_seconds(self.container_seconds):
            raise ValueError(f"{CONTAINER_SECONDS_FIELD} must be a number from 0 to {MAX_CONTAINER_SECONDS}")

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "schemaVersion": self.schema_version,
            "userId": self.user_id,
            "sessionId": self.session_id,
            "runId": self.run_id,
            "status": self.status.value,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            **({} if self.container_seconds is None else {CONTAINER_SECONDS_FIELD: self.container_seconds}),
            "outputs": dict(self.outputs),
            "metrics": dict(self.metrics),
        }
        if self.error is not None:
            document["error"] = self.error.to_dict()
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> "Manifest":
        """Read a manifest document (any schema version; the reader decides whether it accepts it).

        A ``containerSeconds`` that :func:`is_container_seconds` refuses reads as none, as does a
        missing one: it is the operators' number, not the run's result, and must not fail a session.

        Raises
        ------
        ValueError
            Naming the first field that is missing or of the wrong type.
        """
        status_text = _text(document, "status")
        if status_text not in set(ManifestStatus):
            raise ValueError(f"{MANIFEST_NAME} has the unknown status {status_text!r}")
        outputs = _object(document, "outputs")
        if not all(isinstance(value, str) for value in outputs.values()):
            raise ValueError(f"{MANIFEST_NAME} lists an output that is not an S3 key")
        error = None
        if "error" in document:
            error_document = _object(document, "error")
            error = ManifestError(_text(error_document, "code"), _text(error_document, "message"))
        return cls(
            schema_version=_text(document, "schemaVersion"),
            user_id=_text(document, "userId"),
            session_id=_text(document, "sessionId"),
            run_id=_text(document, "runId"),
            status=ManifestStatus(status_text),
            started_at=_text(document, "startedAt"),
            finished_at=_text(document, "finishedAt"),
            outputs=outputs,
            metrics=_object(document, "metrics"),
            error=error,
            container_seconds=_container_seconds(document),
        )


def _container_seconds(document: Mapping[str, Any]) -> float | None:
    value = document.get(CONTAINER_SECONDS_FIELD)
    return value if is_container_seconds(value) else None
