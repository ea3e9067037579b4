"""The process_results handler on moto: manifest checks, classifier record and SUCCEEDED status."""

import json
import warnings
from decimal import Decimal

import pytest
from handler_support import PIPELINE_NAME, SESSION, USER, log_lines, record_received, run_state, stored_status

from contracts.manifest import (
    MAX_MANIFEST_BYTES,
    MAX_REPORT_WARNING_CHARS,
    MAX_REPORT_WARNINGS,
    Manifest,
    ManifestStatus,
)
from handlers import process_results
from handlers.common.errors import ResultsInvalid
from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto

METRICS = {
    "selectionAccuracy": 0.8,
    "nestedAccuracy": 0.7,
    "onlineNestedAccuracy": 0.65,
    "headlineModel": "ensemble",
    "chanceLevel": 0.511,
    "chanceThreshold95": 0.636,
    "permutationPValue": 0.01,
    "selectedOption": "A02",
    "optionId": 2,
    "K": 6,
    "windowEndMs": 640.0,
    "classes": {"1": "T1", "2": "T2"},
    "usedBandIDs": [3, 4, 5, 6],
    "bandsHz": [[4, 8, 12, 18], [6, 12, 18, 26], [12, 18, 28, 36], [22, 28, 40, 48]],
    "trialsPerClass": {"T1": 23, "T2": 22},
    "classifierSchemaVersion": "1.0",
}


def _manifest(state: dict, **changes) -> dict:
    prefix = state["resultsPrefix"]
    manifest = Manifest(
        user_id=state["userId"],
        session_id=state["sessionId"],
        run_id=state["runId"],
        status=ManifestStatus.SUCCEEDED,
        started_at="2026-11-23T22:00:20.000Z",
        finished_at="2026-11-23T22:04:00.000Z",
        outputs={
            "classifier": f"{prefix}classifier.json",
            "metrics": f"{prefix}metrics.json",
            "report": f"{prefix}report.html",
            "figures/accuracy.png": f"{prefix}figures/accuracy.png",
        },
        metrics=METRICS,
    ).to_dict()
    manifest.update(changes)
    return manifest


def _write_results(aws, manifest: dict, outputs: dict | None = None) -> None:
    """Upload ``outputs`` (default: all the manifest lists), then the manifest last, as the container does."""
    for key in (outputs if outputs is not None else manifest["outputs"]).values():
        aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=b"output")
    prefix = manifest["outputs"]["classifier"].rsplit("/", 1)[0] + "/"
    aws.s3.put_object(Bucket=aws.results_bucket, Key=f"{prefix}manifest.json", Body=json.dumps(manifest))


def test_a_valid_manifest_records_the_classifier_and_succeeds(aws, processing_run, lambda_context):
    # GIVEN the container wrote its outputs and a succeeded manifest
    _write_results(aws, _manifest(processing_run))
    # WHEN ProcessResults runs on the state
    outcome = process_results.handler({**processing_run, "validation": {"csv": "rec.csv"}}, lambda_context)
    # THEN the SNS outcome is plain JSON, the session SUCCEEDED with its result, the classifier is recorded
    expected_result = {
        "selectionAccuracy": 0.8,
        "nestedAccuracy": 0.7,
        "onlineNestedAccuracy": 0.65,
        "headlineModel": "ensemble",
        "chanceLevel": 0.511,
        "chanceThreshold95": 0.636,
        "permutationPValue": 0.01,
        "selectedOption": "A02",
        "windowEndMs": 640.0,
        "reportWarnings": [],
        "resultsPrefix": processing_run["resultsPrefix"],
    }
    assert outcome == {
        "userId": USER,
        "sessionId": SESSION,
        "runId": processing_run["runId"],
        "status": "SUCCEEDED",
        "result": expected_result,
        "links": {
            "status": f"/sessions/{SESSION}",
            "classifier": f"/sessions/{SESSION}/classifier",
            "results": f"s3://{aws.results_bucket}/{processing_run['resultsPrefix']}",
            "report": f"s3://{aws.results_bucket}/{processing_run['resultsPrefix']}report.html",
        },
        "recorded": True,
    }
    assert json.loads(json.dumps(outcome)) == outcome
    status = stored_status(aws)
    assert status["status"] == "SUCCEEDED" and status["result"] == expected_result
    assert status["finishedAt"].endswith("Z") and status["startedAt"] == "2026-11-23T22:00:10.000Z"
    raw = aws.dynamodb.get_item(
        TableName=aws.classifier_table, Key={"userId": {"S": USER}, "sessionId": {"S": SESSION}}
    )["Item"]
    assert raw["classifierKey"] == {"S": f"{processing_run['resultsPrefix']}classifier.json"}
    assert raw["selectionAccuracy"] == {"N": "0.8"} and raw["K"] == {"N": "6"}
    assert raw["onlineNestedAccuracy"] == {"N": "0.65"} and raw["headlineModel"] == {"S": "ensemble"}
    assert raw["runId"] == {"S": processing_run["runId"]} and raw["selectedOption"] == {"S": "A02"}
    assert "model" not in raw and "filters" not in raw


INVALID_MANIFESTS = {
    "schema-version": (lambda state: _manifest(state, schemaVersion="2.0"), "schema version"),
    "other-user": (lambda state: _manifest(state, userId="user-2"), "another userId"),
    "other-session": (lambda state: _manifest(state, sessionId="session-9"), "another sessionId"),
    "other-run": (lambda state: _manifest(state, runId="run-ffff"), "another runId"),
    "failed": (
        lambda state: _manifest(
            state, status="failed", outputs={}, metrics={}, error={"code": "CLASSIFIER_ERROR", "message": "x"}
        ),
        "not 'succeeded'",
    ),
    "failed-without-error": (lambda state: _manifest(state, status="failed"), "carries an error"),
    "unknown-status": (lambda state: _manifest(state, status="done"), "unknown status"),
    "missing-metric": (
        lambda state: _manifest(state, metrics={k: v for k, v in METRICS.items() if k != "nestedAccuracy"}),
        "lacks the metrics",
    ),
    "null-accuracy": (
        lambda state: _manifest(state, metrics={**METRICS, "nestedAccuracy": None}),
        "between 0 and 1",
    ),
    "accuracy-out-of-range": (
        lambda state: _manifest(state, metrics={**METRICS, "selectionAccuracy": 80}),
        "between 0 and 1",
    ),
    "report-warnings-not-a-list": (
        lambda state: _manifest(state, metrics={**METRICS, "reportWarnings": "The classes come in blocks"}),
        "the metric reportWarnings must be a list of strings",
    ),
    "report-warning-not-a-string": (
        lambda state: _manifest(state, metrics={**METRICS, "reportWarnings": ["Noisy channel(s)", None]}),
        "the metric reportWarnings must be a list of strings",
    ),
    "huge-selected-option": (
        lambda state: _manifest(state, metrics={**METRICS, "selectedOption": "A" * 300_000}),
        "printable texts of at most 64 characters",
    ),
    "terminal-escape-in-headline-model": (
        lambda state: _manifest(state, metrics={**METRICS, "headlineModel": "\x1b]0;owned\x07ensemble"}),
        "printable texts",
    ),
    "selected-option-not-a-text": (
        lambda state: _manifest(state, metrics={**METRICS, "selectedOption": {"name": "A02"}}),
        "printable texts",
    ),
    "k-too-big-for-dynamodb": (
        lambda state: _manifest(state, metrics={**METRICS, "K": 10**40}),
        "K and optionId must be whole numbers",
    ),
    "fractional-k": (lambda state: _manifest(state, metrics={**METRICS, "K": 2.5}), "K and optionId"),
    "negative-window-end": (
        lambda state: _manifest(state, metrics={**METRICS, "windowEndMs": -5}),
        "windowEndMs must be a number from 0",
    ),
    "window-end-too-big-for-dynamodb": (
        lambda state: _manifest(state, metrics={**METRICS, "windowEndMs": 1e200}),
        "windowEndMs must be a number from 0",
    ),
    "nan-in-classes": (
        lambda state: _manifest(state, metrics={**METRICS, "classes": {"1": float("nan")}}),
        "classes must map",
    ),
    "classes-over-the-item-size": (
        lambda state: _manifest(state, metrics={**METRICS, "classes": {str(n): "T" * 1000 for n in range(500)}}),
        "classes must map",
    ),
    "band-ids-not-numbers": (
        lambda state: _manifest(state, metrics={**METRICS, "usedBandIDs": ["3", None]}),
        "usedBandIDs must be a list",
    ),
    "bands-with-infinity": (
        lambda state: _manifest(state, metrics={**METRICS, "bandsHz": [[4, 8, float("inf"), 18]]}),
        "bandsHz must be a list",
    ),
    "missing-classifier-output": (
        lambda state: _manifest(
            state,
            outputs={
                "metrics": f"{state['resultsPrefix']}metrics.json",
                "report": f"{state['resultsPrefix']}report.html",
                "classifier_": f"{state['resultsPrefix']}classifier.json",
            },
        ),
        "does not list the outputs",
    ),
}


@pytest.mark.parametrize("variant", sorted(INVALID_MANIFESTS))
def test_each_invalid_manifest_raises_results_invalid(aws, processing_run, lambda_context, variant):
    # GIVEN a manifest with one thing wrong (outputs all present)
    build, message = INVALID_MANIFESTS[variant]
    manifest = build(processing_run)
    for key in manifest["outputs"].values():
        aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=b"output")
    aws.s3.put_object(
        Bucket=aws.results_bucket,
        Key=f"{processing_run['resultsPrefix']}manifest.json",
        Body=json.dumps(manifest),
    )
    # WHEN ProcessResults runs THEN ResultsInvalid names the problem and nothing is recorded
    with pytest.raises(ResultsInvalid, match=message):
        process_results.handler(processing_run, lambda_context)
    assert stored_status(aws)["status"] == "PROCESSING"
    assert aws.dynamodb.scan(TableName=aws.classifier_table)["Count"] == 0


def test_a_missing_manifest_raises_results_invalid(aws, processing_run, lambda_context):
    with pytest.raises(ResultsInvalid, match="without writing manifest.json"):
        process_results.handler(processing_run, lambda_context)


def test_a_manifest_that_is_not_json_raises_results_invalid(aws, processing_run, lambda_context):
    aws.s3.put_object(
        Bucket=aws.results_bucket, Key=f"{processing_run['resultsPrefix']}manifest.json", Body=b"{oops"
    )
    with pytest.raises(ResultsInvalid, match="not valid JSON"):
        process_results.handler(processing_run, lambda_context)


def test_a_manifest_over_the_size_limit_is_refused_unread(aws, processing_run, lambda_context):
    # GIVEN a valid manifest padded past MAX_MANIFEST_BYTES (a presigned PUT bounds no size)
    _write_results(aws, _manifest(processing_run, padding="x" * MAX_MANIFEST_BYTES))
    # WHEN ProcessResults runs THEN it is refused, not read into memory, and nothing is recorded
    with pytest.raises(ResultsInvalid, match="larger than 1048576 bytes"):
        process_results.handler(processing_run, lambda_context)
    assert stored_status(aws)["status"] == "PROCESSING"


def test_outputs_that_do_not_exist_raise_results_invalid(aws, processing_run, lambda_context):
    # GIVEN a manifest listing a report that was never uploaded
    manifest = _manifest(processing_run)
    present = {name: key for name, key in manifest["outputs"].items() if name != "report"}
    _write_results(aws, manifest, outputs=present)
    with pytest.raises(ResultsInvalid, match=r"\['report'\] listed in manifest.json do not exist"):
        process_results.handler(processing_run, lambda_context)


def test_an_output_outside_the_run_prefix_raises_results_invalid(aws, processing_run, lambda_context):
    manifest = _manifest(processing_run)
    manifest["outputs"]["classifier"] = "results/user-2/session-1/run-x/classifier.json"
    aws.s3.put_object(
        Bucket=aws.results_bucket,
        Key=f"{processing_run['resultsPrefix']}manifest.json",
        Body=json.dumps(manifest),
    )
    with pytest.raises(ResultsInvalid, match="not stored under this run's results prefix"):
        process_results.handler(processing_run, lambda_context)


def test_a_superseded_run_does_not_overwrite_the_newer_session_state(aws, processing_run, lambda_context):
    # GIVEN the user re-uploaded while this run was training
    _write_results(aws, _manifest(processing_run))
    newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
    record_received(
        StatusStore(aws.dynamodb, aws.status_table), newer, uploaded_at="2026-11-23T22:03:00.000Z"
    )
    # WHEN the old run's results are processed
    outcome = process_results.handler(processing_run, lambda_context)
    # THEN the outcome describes the old run as not recorded; the session and classifier tables are untouched
    assert outcome["runId"] == processing_run["runId"] and outcome["recorded"] is False
    status = stored_status(aws)
    assert (status["runId"], status["status"]) == (newer["runId"], "RECEIVED")
    assert aws.dynamodb.scan(TableName=aws.classifier_table)["Count"] == 0


def test_a_success_records_the_version_of_each_output_and_of_the_manifest_it_checked(
    aws, processing_run, lambda_context
):
    # GIVEN the container wrote its outputs and manifest (the results bucket is versioned)
    _write_results(aws, _manifest(processing_run))
    prefix = processing_run["resultsPrefix"]
    names = ["classifier.json", "figures/accuracy.png", "manifest.json", "metrics.json", "report.html"]
    current = {
        name: aws.s3.head_object(Bucket=aws.results_bucket, Key=f"{prefix}{name}")["VersionId"] for name in names
    }
    # WHEN ProcessResults records the success
    process_results.handler(processing_run, lambda_context)
    # THEN the status item keeps each checked version by its name under the results prefix
    assert stored_status(aws)["outputVersions"] == current


def test_a_retried_attempt_after_a_committed_write_is_still_recorded(aws, processing_run, lambda_context):
    # GIVEN ProcessResults recorded the success but Step Functions lost its response and retries it
    _write_results(aws, _manifest(processing_run))
    first = process_results.handler(processing_run, lambda_context)
    session, classifiers = stored_status(aws), aws.dynamodb.scan(TableName=aws.classifier_table)["Items"]
    # WHEN the retried attempt runs
    retried = process_results.handler(processing_run, lambda_context)
    # THEN it finds its own write: the success is recorded (and will be notified), nothing is written again
    assert first["recorded"] is True and retried["recorded"] is True
    assert retried == first
    assert stored_status(aws) == session and session["status"] == "SUCCEEDED"
    assert aws.dynamodb.scan(TableName=aws.classifier_table)["Items"] == classifiers


def test_dynamodb_numbers_are_decimals_not_floats(aws, processing_run, lambda_context, boto3_session):
    _write_results(aws, _manifest(processing_run))
    process_results.handler(processing_run, lambda_context)
    item = (
        boto3_session.resource("dynamodb", region_name="eu-west-2")
        .Table(aws.classifier_table)
        .get_item(Key={"userId": USER, "sessionId": SESSION})["Item"]
    )
    assert item["windowEndMs"] == Decimal("640.0") and item["bandsHz"][0] == [4, 8, 12, 18]


def test_a_run_without_permutations_succeeds_with_no_p_value(aws, processing_run, lambda_context):
    # GIVEN a manifest whose p-value is null (the container ran no label permutations)
    _write_results(aws, _manifest(processing_run, metrics={**METRICS, "permutationPValue": None}))
    # WHEN ProcessResults runs THEN the session succeeds and reports no p-value
    outcome = process_results.handler(processing_run, lambda_context)
    assert outcome["result"]["permutationPValue"] is None
    assert stored_status(aws)["result"]["permutationPValue"] is None


def test_the_reports_warnings_reach_the_status_in_their_order(aws, processing_run, lambda_context):
    warnings = ["The classes come in blocks: …", "Noisy channel(s): C3 (9x) …"]
    _write_results(aws, _manifest(processing_run, metrics={**METRICS, "reportWarnings": warnings}))

    outcome = process_results.handler(processing_run, lambda_context)

    assert outcome["result"]["reportWarnings"] == warnings
    assert stored_status(aws)["result"]["reportWarnings"] == warnings


def test_too_many_and_too_long_warnings_are_shortened_not_refused(aws, processing_run, lambda_context):
    # GIVEN a container that wrote more and longer warnings than the status keeps
    warnings = [f"warning {index} " + "<channel>" * 500 for index in range(MAX_REPORT_WARNINGS + 5)]
    _write_results(aws, _manifest(processing_run, metrics={**METRICS, "reportWarnings": warnings}))
    # WHEN ProcessResults runs
    process_results.handler(processing_run, lambda_context)
    # THEN the session succeeded with the first warnings, each cut to the limit, and a count of the rest
    status = stored_status(aws)
    kept = status["result"]["reportWarnings"]
    assert status["status"] == "SUCCEEDED"
    assert len(kept) == MAX_REPORT_WARNINGS
    assert kept[-1] == "6 more warnings: see report.html"
    for index, text in enumerate(kept[:-1]):
        assert len(text) == MAX_REPORT_WARNING_CHARS
        assert text.startswith(f"warning {index} <channel>")
        assert text.endswith("… (shortened; report.html has the whole warning)")


def test_warnings_are_stored_as_printable_lines(aws, processing_run, lambda_context):
    # GIVEN a warning quoting a channel name with a terminal's escape sequence and a line break
    warnings = ["Noisy channel(s): \x1b[2JC3\n(9x)"]
    _write_results(aws, _manifest(processing_run, metrics={**METRICS, "reportWarnings": warnings}))
    # WHEN ProcessResults runs THEN the status keeps the words on one printable line
    process_results.handler(processing_run, lambda_context)
    assert stored_status(aws)["result"]["reportWarnings"] == ["Noisy channel(s): [2JC3 (9x)"]


@pytest.mark.parametrize("superseded", [False, True], ids=["recorded", "superseded"])
def test_every_log_line_carries_the_execution_arn(aws, processing_run, lambda_context, superseded):
    # GIVEN valid results (and, in one case, a newer upload that supersedes the run)
    _write_results(aws, _manifest(processing_run))
    if superseded:
        newer = run_state(aws.upload_bucket, USER, SESSION, "v2")
        store = StatusStore(aws.dynamodb, aws.status_table)
        record_received(store, newer, uploaded_at="2026-11-23T22:03:00.000Z")
    # WHEN ProcessResults runs
    with log_lines() as lines:
        process_results.handler(processing_run, lambda_context)
    # THEN each line names the run's execution
    assert [line["level"] for line in lines] == ["WARNING" if superseded else "INFO"]
    assert {line["executionArn"] for line in lines} == {processing_run["executionArn"]}


def emf_lines(stdout: str) -> list[dict]:
    """The Embedded Metric Format lines among what the handler printed."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws":')]


def test_the_containers_seconds_are_published_as_one_metric_of_this_pipeline(
    aws, processing_run, lambda_context, capsys
):
    # GIVEN a succeeded manifest that says how long the container ran
    _write_results(aws, _manifest(processing_run, containerSeconds=312.4))
    # WHEN ProcessResults records it
    process_results.handler(processing_run, lambda_context)
    # THEN it printed one EMF line: ContainerSeconds, in seconds, under this stack's pipeline only
    (line,) = emf_lines(capsys.readouterr().out)
    assert isinstance(line["_aws"].pop("Timestamp"), int)
    assert line == {
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "EegPipeline",
                    "Dimensions": [["Pipeline"]],
                    "Metrics": [{"Name": "ContainerSeconds", "Unit": "Seconds"}],
                }
            ]
        },
        "Pipeline": PIPELINE_NAME,
        "ContainerSeconds": [312.4],  # EMF takes a value or a list of them; powertools writes a list
    }
    assert stored_status(aws)["status"] == "SUCCEEDED"


def test_a_manifest_without_the_containers_seconds_publishes_nothing_and_warns_nothing(
    aws, processing_run, lambda_context, capsys
):
    # GIVEN a manifest of a container image older than the field
    _write_results(aws, _manifest(processing_run))
    # WHEN ProcessResults records it
    with warnings.catch_warnings(record=True) as caught, log_lines() as lines:
        warnings.simplefilter("always")
        process_results.handler(processing_run, lambda_context)
    # THEN the session succeeds with no metric line, and neither a log line nor a Python warning about it
    assert stored_status(aws)["status"] == "SUCCEEDED"
    assert emf_lines(capsys.readouterr().out) == []
    assert [line["level"] for line in lines] == ["INFO"]
    assert [str(warning.message) for warning in caught if "metric" in str(warning.message).lower()] == []


@pytest.mark.parametrize("value", [-5, 10**12, "312.4", float("inf")], ids=["negative", "absurd", "text", "infinite"])
def test_containers_seconds_out_of_bounds_are_logged_not_published_and_the_session_succeeds(
    aws, processing_run, lambda_context, capsys, value
):
    # GIVEN a manifest whose containerSeconds is no wall time of a run (JSON itself has no infinity: Python
    # writes Infinity, which json.loads reads back as inf)
    _write_results(aws, _manifest(processing_run, containerSeconds=value))
    # WHEN ProcessResults records it
    with log_lines() as lines:
        outcome = process_results.handler(processing_run, lambda_context)
    # THEN the session succeeds, nothing is published, and the log says why
    assert outcome["recorded"] is True and stored_status(aws)["status"] == "SUCCEEDED"
    assert emf_lines(capsys.readouterr().out) == []
    (warning,) = [line for line in lines if line["level"] == "WARNING"]
    assert warning["message"] == (
        "manifest.json's containerSeconds is not a number from 0 to 86400: no ContainerSeconds metric for this run"
    )
