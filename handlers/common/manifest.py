"""Reading and checking the classifier container's manifest (:mod:`contracts.manifest`).

Everything but :func:`read_versioned_manifest` and :func:`read_manifest` is a pure function of the parsed manifest.
"""

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from contracts.documents import is_finite_number, is_whole_number, json_object
from contracts.manifest import (
    FRACTION_METRICS,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    MAX_REPORT_WARNING_CHARS,
    MAX_REPORT_WARNINGS,
    NULLABLE_METRICS,
    REPORT_FILE,
    REPORT_WARNINGS_METRIC,
    REQUIRED_METRICS,
    SCHEMA_VERSION,
    Manifest,
    ManifestStatus,
    OutputName,
    manifest_key,
    report_warnings,
)
from contracts.run_input import RunInput
from handlers.common.errors import ResultsInvalid
from handlers.common.output_versions import is_missing
from handlers.common.printable import printable_line

#: Ends a report warning shortened to MAX_REPORT_WARNING_CHARS.
SHORTENED_MARKER = f"… (shortened; {REPORT_FILE} has the whole warning)"
#: Bounds of the metrics the status and classifier items copy besides the fractions and warnings.
#: Whoever holds a run's presigned PUTs can write any manifest: a name out of bounds (a megabyte, a
#: terminal escape, an object) would reach the API, every client and the SNS message, and a number
#: or list out of bounds would fail the DynamoDB write as an internal error, so both are refused.
MAX_NAME_CHARS = 64
MAX_LIST_ENTRIES = 64
MAX_BAND_EDGES = 8
MAX_RECORD_NUMBER = 1_000_000_000


def parse_manifest(raw: bytes) -> dict[str, Any]:
    """The manifest as a JSON object.

    Raises
    ------
    ResultsInvalid
        If it is not UTF-8 JSON holding an object.
    """
    try:
        return json_object(raw, MANIFEST_NAME)
    except ValueError as error:
        raise ResultsInvalid(str(error)) from error


def is_run_output_key(key: object, results_prefix: str) -> bool:
    """Whether a manifest's output ``key`` is an S3 key under the run's ``results_prefix``
    (which ends with ``/``), with no ``..`` segment."""
    return isinstance(key, str) and key.startswith(results_prefix) and ".." not in key.split("/")


def read_run_manifest(document: Mapping[str, Any], run: RunInput) -> Manifest:
    """The manifest of this run: the current schema version, this user, session and run.

    Raises
    ------
    ResultsInvalid
        Naming the first field that is missing or does not match.
    """
    if document.get("schemaVersion") != SCHEMA_VERSION:
        raise ResultsInvalid(
            f"{MANIFEST_NAME} has schema version {document.get('schemaVersion')!r}, "
            f"expected {SCHEMA_VERSION!r}"
        )
    try:
        manifest = Manifest.from_dict(document)
    except ValueError as error:
        raise ResultsInvalid(str(error)) from error
    for field, found, expected in (
        ("userId", manifest.user_id, run.user_id),
        ("sessionId", manifest.session_id, run.session_id),
        ("runId", manifest.run_id, run.run_id),
    ):
        if found != expected:
            raise ResultsInvalid(f"{MANIFEST_NAME} belongs to another {field} ({found!r})")
    return manifest


def check_succeeded_manifest(document: Mapping[str, Any], run: RunInput) -> Manifest:
    """Check a manifest a successful run must have written.

    Every output must be a key under the run's results prefix, and the metrics the status and
    classifier records need must be present with the right types, within
    :func:`record_metrics_problem`'s bounds. Whether the outputs exist
    in S3 is for the caller to check.

    Raises
    ------
    ResultsInvalid
        With a message naming the first problem found.
    """
    manifest = read_run_manifest(document, run)
    if manifest.status is not ManifestStatus.SUCCEEDED:
        raise ResultsInvalid(f"the classifier reported status {manifest.status.value!r}, not 'succeeded'")
    missing_outputs = [name.value for name in OutputName if name not in manifest.outputs]
    if missing_outputs:
        raise ResultsInvalid(f"{MANIFEST_NAME} does not list the outputs {missing_outputs}")
    for name, key in manifest.outputs.items():
        if not is_run_output_key(key, run.results_prefix):
            raise ResultsInvalid(f"the output {name!r} is not stored under this run's results prefix")
    metrics = manifest.metrics
    missing_metrics = [name for name in REQUIRED_METRICS if name not in metrics]
    if missing_metrics:
        raise ResultsInvalid(f"{MANIFEST_NAME} lacks the metrics {missing_metrics}")
    for name in FRACTION_METRICS:
        if metrics[name] is None and name in NULLABLE_METRICS:
            continue
        if not is_finite_number(metrics[name]) or not 0 <= metrics[name] <= 1:
            raise ResultsInvalid(f"the metric {name} must be a number between 0 and 1")
    problem = record_metrics_problem(metrics)
    if problem:
        raise ResultsInvalid(problem)
    try:
        report_warnings(metrics)
    except ValueError as error:
        raise ResultsInvalid(str(error)) from error
    return manifest


def is_name(value: object) -> bool:
    """Whether ``value`` is a printable line of 1 to ``MAX_NAME_CHARS`` characters."""
    return isinstance(value, str) and 0 < len(value) <= MAX_NAME_CHARS and printable_line(value) == value


def _is_record_number(value: object) -> bool:
    return is_finite_number(value) and 0 <= value <= MAX_RECORD_NUMBER


def _is_short_list(value: object, is_entry: Callable[[Any], bool]) -> bool:
    return isinstance(value, list) and 0 < len(value) <= MAX_LIST_ENTRIES and all(map(is_entry, value))


def _is_band(value: object) -> bool:
    return isinstance(value, list) and 0 < len(value) <= MAX_BAND_EDGES and all(map(_is_record_number, value))


def record_metrics_problem(metrics: Mapping[str, Any]) -> str | None:
    """What is wrong with the metrics the records copy besides the fractions and warnings, or ``None``."""
    named = ("headlineModel", "selectedOption", "classifierSchemaVersion")
    names = [name for name in named if not is_name(metrics[name])]
    if names:
        return f"the metrics {names} must be printable texts of at most {MAX_NAME_CHARS} characters"
    if not is_whole_number(metrics["K"], 1, MAX_RECORD_NUMBER) or not is_whole_number(
        metrics["optionId"], 0, MAX_RECORD_NUMBER
    ):
        return "the metrics K and optionId must be whole numbers (K at least 1)"
    if not _is_record_number(metrics["windowEndMs"]):
        return f"the metric windowEndMs must be a number from 0 to {MAX_RECORD_NUMBER}"
    classes = metrics["classes"]
    if not (
        isinstance(classes, dict)
        and 0 < len(classes) <= MAX_LIST_ENTRIES
        and all(is_name(code) and is_name(name) for code, name in classes.items())
    ):
        return f"the metric classes must map at most {MAX_LIST_ENTRIES} class codes to names"
    if not _is_short_list(metrics["usedBandIDs"], lambda band: is_whole_number(band, 0, MAX_RECORD_NUMBER)):
        return f"the metric usedBandIDs must be a list of at most {MAX_LIST_ENTRIES} whole numbers"
    if not _is_short_list(metrics["bandsHz"], _is_band):
        return f"the metric bandsHz must be a list of at most {MAX_LIST_ENTRIES} lists of band edges"
    return None


def bounded_report_warnings(metrics: Mapping[str, Any]) -> list[str]:
    """The report warnings of checked metrics as the status keeps them.

    At most ``MAX_REPORT_WARNINGS`` texts, each one :func:`printable_line` of at most
    ``MAX_REPORT_WARNING_CHARS`` characters: a
    longer text is cut and ends in :data:`SHORTENED_MARKER`, and a longer list keeps its first
    texts and ends in one that says how many more the report shows.
    """
    texts = report_warnings(metrics)
    if len(texts) > MAX_REPORT_WARNINGS:
        kept = MAX_REPORT_WARNINGS - 1
        texts = [*texts[:kept], f"{len(texts) - kept} more warnings: see {REPORT_FILE}"]
    return [_shortened(text) for text in texts]


def _shortened(text: str) -> str:
    text = printable_line(text)
    if len(text) <= MAX_REPORT_WARNING_CHARS:
        return text
    return text[: MAX_REPORT_WARNING_CHARS - len(SHORTENED_MARKER)] + SHORTENED_MARKER


def status_result(metrics: Mapping[str, Any], results_prefix: str) -> dict[str, Any]:
    """The ``result`` attribute of a SUCCEEDED session (docs/contracts.md)."""
    return {
        "selectionAccuracy": metrics["selectionAccuracy"],
        "nestedAccuracy": metrics["nestedAccuracy"],
        "onlineNestedAccuracy": metrics["onlineNestedAccuracy"],
        "headlineModel": metrics["headlineModel"],
        "chanceLevel": metrics["chanceLevel"],
        "chanceThreshold95": metrics["chanceThreshold95"],
        "permutationPValue": metrics["permutationPValue"],
        "selectedOption": metrics["selectedOption"],
        "windowEndMs": metrics["windowEndMs"],
        REPORT_WARNINGS_METRIC: bounded_report_warnings(metrics),
        "resultsPrefix": results_prefix,
    }


def classifier_record(manifest: Manifest, run: RunInput, *, created_at: str) -> dict[str, Any]:
    """The classifier table item: a model summary and where ``classifier.json`` is (never the model)."""
    metrics = manifest.metrics
    return {
        "userId": run.user_id,
        "sessionId": run.session_id,
        "runId": run.run_id,
        "schemaVersion": metrics["classifierSchemaVersion"],
        "classes": metrics["classes"],
        "usedBandIDs": metrics["usedBandIDs"],
        "bandsHz": metrics["bandsHz"],
        "selectedOption": metrics["selectedOption"],
        "K": metrics["K"],
        "windowEndMs": metrics["windowEndMs"],
        "selectionAccuracy": metrics["selectionAccuracy"],
        "nestedAccuracy": metrics["nestedAccuracy"],
        "onlineNestedAccuracy": metrics["onlineNestedAccuracy"],
        "headlineModel": metrics["headlineModel"],
        "chanceLevel": metrics["chanceLevel"],
        "classifierKey": manifest.outputs[OutputName.CLASSIFIER],
        "resultsPrefix": run.results_prefix,
        "createdAt": created_at,
    }


def read_versioned_manifest(
    s3: Any, bucket: str, results_prefix: str, version_id: str | None = None
) -> tuple[dict[str, Any], str | None] | None:
    """The run's manifest (at ``version_id``, else the current one) as parsed JSON and the VersionId
    read, or ``None`` when it was not written (or that version no longer exists).

    Raises
    ------
    ResultsInvalid
        If the manifest exists but is larger than ``MAX_MANIFEST_BYTES`` or not a JSON object.
    """
    version = {"VersionId": version_id} if version_id else {}
    try:
        response = s3.get_object(Bucket=bucket, Key=manifest_key(results_prefix), **version)
    except ClientError as error:
        if is_missing(error):
            return None
        raise
    if response["ContentLength"] > MAX_MANIFEST_BYTES:
        response["Body"].close()
        raise ResultsInvalid(f"{MANIFEST_NAME} is larger than {MAX_MANIFEST_BYTES} bytes")
    return parse_manifest(response["Body"].read()), response.get("VersionId")


def read_manifest(s3: Any, bucket: str, results_prefix: str) -> dict[str, Any] | None:
    """The run's current manifest as parsed JSON, or ``None`` (:func:`read_versioned_manifest`)."""
    read = read_versioned_manifest(s3, bucket, results_prefix)
    return None if read is None else read[0]
