"""contracts.manifest and contracts.api: the manifest as written and read back, keys, routes, links."""

import dataclasses

import pytest

from contracts.api import Route, session_links
from contracts.manifest import (
    MAX_CONTAINER_SECONDS,
    Manifest,
    ManifestError,
    ManifestStatus,
    manifest_key,
    report_warnings,
)

pytestmark = pytest.mark.unit

SUCCEEDED = Manifest(
    user_id="u1",
    session_id="s1",
    run_id="run-1",
    status=ManifestStatus.SUCCEEDED,
    started_at="2026-11-23T22:00:20.000Z",
    finished_at="2026-11-23T22:04:00.000Z",
    outputs={"classifier": "results/u1/s1/run-1/classifier.json"},
    metrics={"selectionAccuracy": 0.8},
)


FAILED = dataclasses.replace(
    SUCCEEDED,
    status=ManifestStatus.FAILED,
    outputs={},
    metrics={},
    error=ManifestError("INSUFFICIENT_DATA", "one class"),
)


def test_a_manifest_round_trips_through_its_json_document():
    document = SUCCEEDED.to_dict()
    assert (document["schemaVersion"], document["status"]) == ("1.0", "succeeded")
    assert "error" not in document
    assert Manifest.from_dict(document) == SUCCEEDED
    assert FAILED.to_dict()["error"] == {"code": "INSUFFICIENT_DATA", "message": "one class"}
    assert Manifest.from_dict(FAILED.to_dict()) == FAILED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "failed"}, "carries an error"),
        ({"status": "done"}, "unknown status"),
        ({"runId": 3}, "runId"),
        ({"outputs": {"report": 1}}, "not an S3 key"),
        ({"metrics": []}, "metrics object"),
        ({"error": "boom"}, "error object"),
    ],
)
def test_a_malformed_document_is_refused_naming_the_problem(changes, message):
    with pytest.raises(ValueError, match=message):
        Manifest.from_dict({**SUCCEEDED.to_dict(), **changes})


def test_the_containers_seconds_round_trip_and_a_manifest_without_them_reads_as_none():
    timed = dataclasses.replace(SUCCEEDED, container_seconds=312.4)
    document = timed.to_dict()

    assert document["containerSeconds"] == 312.4
    assert Manifest.from_dict(document) == timed
    assert Manifest.from_dict(dataclasses.replace(FAILED, container_seconds=0.3).to_dict()).container_seconds == 0.3
    assert "containerSeconds" not in SUCCEEDED.to_dict()
    assert Manifest.from_dict(SUCCEEDED.to_dict()).container_seconds is None


@pytest.mark.parametrize("value", [-1, MAX_CONTAINER_SECONDS + 1, float("nan"), 10**400, True, "312.4", None, [1]])
def test_container_seconds_out_of_bounds_read_as_none_and_are_refused_when_written(value):
    # An operational number: reading one out of bounds must not fail the manifest (and so the session).
    assert Manifest.from_dict({**SUCCEEDED.to_dict(), "containerSeconds": value}).container_seconds is None
    if value is not None:
        with pytest.raises(ValueError, match="containerSeconds must be a number from 0 to 86400"):
            dataclasses.replace(SUCCEEDED, container_seconds=value)


def test_a_failed_manifest_lists_no_outputs():
    with pytest.raises(ValueError, match="no outputs"):
        dataclasses.replace(FAILED, outputs={"report": "x"})


def test_report_warnings_are_read_from_the_metrics_and_a_missing_list_is_empty():
    warned = dataclasses.replace(SUCCEEDED, metrics={"selectionAccuracy": 0.8, "reportWarnings": ["a", "b"]})

    assert report_warnings(Manifest.from_dict(warned.to_dict()).metrics) == ["a", "b"]
    assert report_warnings({"reportWarnings": []}) == []
    assert report_warnings(SUCCEEDED.metrics) == []


@pytest.mark.parametrize("value", [None, "one warning", {"0": "a"}, ["a", 3], [["a"]]])
def test_report_warnings_that_are_not_a_list_of_strings_are_refused(value):
    with pytest.raises(ValueError, match="the metric reportWarnings must be a list of strings"):
        report_warnings({"reportWarnings": value})


def test_keys_routes_and_links():
    assert manifest_key("results/u1/s1/run-1/") == "results/u1/s1/run-1/manifest.json"
    route = Route.GET_CLASSIFIER
    assert (route.method, route.path_for("s1")) == ("GET", "/sessions/s1/classifier")
    assert session_links("s1") == {"status": "/sessions/s1"}
    assert session_links("s1", results_bucket="b", results_prefix="results/u1/s1/run-1/")["report"] == (
        "s3://b/results/u1/s1/run-1/report.html"
    )
