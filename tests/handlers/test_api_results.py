"""The status API on moto: a session's classifier and report, as presigned downloads once they exist."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from api_support import ME, SESSION, SOMEONE_ELSE, add_session, call_api
from boto3.dynamodb.types import TypeSerializer
from handler_support import mark_processing, record_received, record_success, run_state

from contracts.api import PRESIGN_EXPIRY_SECONDS
from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto


def _succeed_with_classifier(aws, state: dict, *, pinned: bool = False, **summary) -> str:
    """What ``process_results`` records for ``state``'s run, which has its status PROCESSING:
    SUCCEEDED and the classifier record, together, with the checked version of ``classifier.json``
    when ``pinned`` (else as a session recorded before versions were). The key of its ``classifier.json``."""
    classifier_key = f"{state['resultsPrefix']}classifier.json"
    written = aws.s3.put_object(Bucket=aws.results_bucket, Key=classifier_key, Body=b"{}")
    mark_processing(aws.dynamodb, aws.status_table, state)
    assert record_success(
        aws,
        state,
        result={"resultsPrefix": state["resultsPrefix"]},
        output_versions={"classifier.json": written["VersionId"]} if pinned else {},
        classifierKey=classifier_key,
        **summary,
    )
    if not pinned:
        aws.dynamodb.update_item(
            TableName=aws.status_table,
            Key={"userId": {"S": state["userId"]}, "sessionId": {"S": state["sessionId"]}},
            UpdateExpression="REMOVE outputVersions",
        )
    return classifier_key


def _download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return response.content


def test_the_classifier_is_404_until_it_exists_then_a_presigned_download(aws, load_event, lambda_context):
    # GIVEN a session without a trained classifier yet
    state = add_session(aws, ME, SESSION)
    before = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert before[0] == 404 and before[1]["error"]["code"] == "NOT_FOUND"
    # WHEN its run succeeds and records the classifier
    classifier_key = _succeed_with_classifier(
        aws, state, selectedOption="A02", selectionAccuracy=Decimal("0.8"), K=6
    )
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    # THEN a presigned GET of classifier.json in the results bucket comes back with the model summary
    assert status == 200 and body["runId"] == state["runId"]
    url = urlparse(body["url"])
    assert aws.results_bucket in url.netloc + url.path and url.path.endswith(classifier_key)
    assert "X-Amz-Signature" in parse_qs(url.query) and parse_qs(url.query)["X-Amz-Expires"] == ["900"]
    assert body["classifier"] == {"selectedOption": "A02", "selectionAccuracy": 0.8, "K": 6}


def test_the_classifier_url_is_of_the_checked_version_whatever_the_run_writes_afterwards(
    aws, load_event, lambda_context
):
    # GIVEN a session whose run succeeded with its classifier.json's version recorded
    state = add_session(aws, ME, SESSION)
    classifier_key = _succeed_with_classifier(aws, state, pinned=True)
    checked = aws.s3.head_object(Bucket=aws.results_bucket, Key=classifier_key)["VersionId"]
    # WHEN the run's still valid PUT URL replaces classifier.json
    aws.s3.put_object(Bucket=aws.results_bucket, Key=classifier_key, Body=b'{"replaced": true}')
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    # THEN the URL downloads the version process_results checked
    assert status == 200 and parse_qs(urlparse(body["url"]).query)["versionId"] == [checked]
    assert _download(body["url"]) == b"{}"


def _overwrite_and_expire_the_checked_version(aws, key: str) -> None:
    """``key`` overwritten through the run's PUT URL, then its checked (now noncurrent) version expired."""
    checked = aws.s3.head_object(Bucket=aws.results_bucket, Key=key)["VersionId"]
    aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=b"{}")
    aws.s3.delete_object(Bucket=aws.results_bucket, Key=key, VersionId=checked)


def test_a_classifier_whose_checked_version_expired_is_404(aws, load_event, lambda_context):
    # GIVEN a pinned session whose checked classifier.json version no longer exists (noncurrent expiry)
    state = add_session(aws, ME, SESSION)
    classifier_key = _succeed_with_classifier(aws, state, pinned=True)
    _overwrite_and_expire_the_checked_version(aws, classifier_key)
    # THEN the route answers 404, not a URL that S3 then refuses (nor the replaced file)
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no trained classifier for this session"


def test_a_classifier_recorded_without_versions_is_served_by_key(aws, load_event, lambda_context):
    # GIVEN a session recorded before versions were (no outputVersions)
    state = add_session(aws, ME, SESSION)
    _succeed_with_classifier(aws, state)
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    # THEN its classifier is still presigned, by key
    assert status == 200 and "versionId" not in parse_qs(urlparse(body["url"]).query)
    assert _download(body["url"]) == b"{}"


@pytest.mark.parametrize("new_run_reached", ["RECEIVED", "PROCESSING", "FAILED"])
def test_a_reuploaded_sessions_classifier_is_404_until_the_new_run_succeeds(
    aws, load_event, lambda_context, new_run_reached
):
    # GIVEN a session whose first run succeeded and recorded its classifier
    _succeed_with_classifier(aws, add_session(aws, ME, SESSION))
    assert call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)[0] == 200
    # WHEN a newer upload of the session starts a new run, which may then fail
    store = StatusStore(aws.dynamodb, aws.status_table)
    new = run_state(aws.upload_bucket, ME, SESSION, "v2", file_name="S001_imagery.zip")
    assert record_received(store, new, uploaded_at="2026-11-24T22:00:00.000Z")
    if new_run_reached != "RECEIVED":
        mark_processing(aws.dynamodb, aws.status_table, new)
    if new_run_reached == "FAILED":
        error = {"code": "INVALID_UPLOAD", "message": "no recording"}
        assert store.fail_run(ME, SESSION, new["runId"], error=error, now="2026-11-24T22:01:00.000Z")
    # THEN the previous run's classifier is not handed out, and the answer is that of a missing one
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert store.get(ME, SESSION)["status"] == new_run_reached
    assert status == 404 and body == {
        "error": {"code": "NOT_FOUND", "message": "no trained classifier for this session"}
    }


def test_a_succeeded_sessions_classifier_of_another_run_is_404(aws, load_event, lambda_context):
    # GIVEN a succeeded session whose classifier record names another run than the session
    state = add_session(aws, ME, SESSION)
    classifier_key = _succeed_with_classifier(aws, state)
    aws.dynamodb.put_item(
        TableName=aws.classifier_table,
        Item={
            "userId": {"S": ME},
            "sessionId": {"S": SESSION},
            "runId": {"S": "an-earlier-run"},
            "classifierKey": {"S": classifier_key},
        },
    )
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no trained classifier for this session"


def test_another_users_classifier_is_404(aws, load_event, lambda_context):
    aws.dynamodb.put_item(
        TableName=aws.classifier_table,
        Item={
            "userId": {"S": SOMEONE_ELSE},
            "sessionId": {"S": SESSION},
            "runId": {"S": "run-1"},
            "classifierKey": {"S": "results/x/classifier.json"},
        },
    )
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def _succeeded_session(aws, user_id: str, *, pinned: bool = False) -> str:
    """A SUCCEEDED session of ``user_id`` whose run wrote its results and manifest, with their versions
    recorded when ``pinned`` (else as a session recorded before versions were); its results prefix."""
    state = run_state(aws.upload_bucket, user_id, SESSION, "v1")
    prefix = state["resultsPrefix"]
    outputs = {
        "report": f"{prefix}report.html",
        "metrics": f"{prefix}metrics.json",
        "classifier": f"{prefix}classifier.json",
        "figures/accuracy.png": f"{prefix}figures/accuracy.png",
    }
    metrics = {
        "estimates": {
            "selectionAccuracy": {"value": 0.82, "meaning": "..."},
            "chanceLevel": {"value": 0.52, "meaning": "..."},
        },
        "selected": {
            "selection": "ensemble",
            "headlineModel": "ensemble",
            "online": {"model": "singleWindow", "K": 6, "windowSamples": 160, "windowEndMs": 3250.0},
            "ensemble": {"windowEndMs": [1000.0, 3250.0], "outerFoldAccuracyPerWindow": [[0.6, 0.7]]},
        },
        "trials": {"used": 44, "perClass": {"T1": 22, "T2": 22}, "label": [1, 2] * 22},
    }
    versions = {}
    for key, body in [
        (outputs["report"], b"<html></html>"),
        (outputs["metrics"], json.dumps(metrics).encode()),
        (outputs["figures/accuracy.png"], b"png"),
        (f"{prefix}manifest.json", json.dumps({"status": "succeeded", "outputs": outputs}).encode()),
    ]:
        written = aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=body)
        versions[key.removeprefix(prefix)] = written["VersionId"]
    item = {
        "userId": user_id,
        "sessionId": SESSION,
        "runId": state["runId"],
        "status": "SUCCEEDED",
        "result": {"resultsPrefix": prefix},
        **({"outputVersions": versions} if pinned else {}),
    }
    serializer = TypeSerializer()
    aws.dynamodb.put_item(
        TableName=aws.status_table, Item={name: serializer.serialize(value) for name, value in item.items()}
    )
    return prefix


def test_the_report_is_404_until_the_session_succeeded(aws, load_event, lambda_context):
    add_session(aws, ME, SESSION)
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"] == {"code": "NOT_FOUND", "message": "no report for this session"}


def test_the_report_is_a_presigned_page_with_presigned_figures_and_the_headline_figures(
    aws, load_event, lambda_context
):
    prefix = _succeeded_session(aws, ME)

    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)

    assert status == 200 and body["sessionId"] == SESSION
    assert body["expiresInSeconds"] == PRESIGN_EXPIRY_SECONDS
    report = urlparse(body["url"])
    assert report.path.endswith(f"{prefix}report.html")
    assert "versionId" not in parse_qs(report.query)  # recorded without versions: served by key
    assert parse_qs(report.query)["X-Amz-Expires"] == [str(PRESIGN_EXPIRY_SECONDS)]
    assert list(body["figures"]) == ["figures/accuracy.png"]
    assert urlparse(body["figures"]["figures/accuracy.png"]).path.endswith(f"{prefix}figures/accuracy.png")
    assert body["metrics"] == {
        "estimates": {"selectionAccuracy": 0.82, "chanceLevel": 0.52},
        "selected": {
            "selection": "ensemble",
            "headlineModel": "ensemble",
            "online": {"model": "singleWindow", "K": 6, "windowSamples": 160, "windowEndMs": 3250.0},
        },
        "trialsUsed": 44,
    }


def test_the_report_serves_the_checked_versions_whatever_the_run_writes_afterwards(
    aws, load_event, lambda_context
):
    # GIVEN my succeeded session with its results' versions recorded, and another user's session
    victim_prefix = _succeeded_session(aws, SOMEONE_ELSE)
    prefix = _succeeded_session(aws, ME, pinned=True)
    expected = call_api(load_event("apigw_v2_get_session_report"), lambda_context)[1]["metrics"]
    # WHEN the run's still valid PUT URLs replace the report, a figure, the metrics and the manifest
    for name, body in [
        ("report.html", b"<html>replaced</html>"),
        ("figures/accuracy.png", b"replaced"),
        ("metrics.json", b'{"estimates": {"selectionAccuracy": {"value": NaN}}}'),
    ]:
        aws.s3.put_object(Bucket=aws.results_bucket, Key=f"{prefix}{name}", Body=body)
    manifest_key = f"{prefix}manifest.json"
    manifest = json.loads(aws.s3.get_object(Bucket=aws.results_bucket, Key=manifest_key)["Body"].read())
    manifest["outputs"]["report"] = f"{victim_prefix}report.html"
    aws.s3.put_object(Bucket=aws.results_bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    # THEN the route answers with what process_results checked: the same headline and the first versions
    assert status == 200 and body["metrics"] == expected
    assert urlparse(body["url"]).path.endswith(f"{prefix}report.html")
    assert _download(body["url"]) == b"<html></html>"
    assert _download(body["figures"]["figures/accuracy.png"]) == b"png"


def test_a_report_whose_recorded_version_expired_is_404(aws, load_event, lambda_context):
    # GIVEN my pinned session whose checked metrics.json version no longer exists (noncurrent expiry)
    prefix = _succeeded_session(aws, ME, pinned=True)
    _overwrite_and_expire_the_checked_version(aws, f"{prefix}metrics.json")
    # THEN the route answers 404, not a server error
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no report for this session"


def test_another_users_report_is_404(aws, load_event, lambda_context):
    _succeeded_session(aws, SOMEONE_ELSE)
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_a_succeeded_session_without_a_manifest_has_no_report(aws, load_event, lambda_context):
    prefix = _succeeded_session(aws, ME)
    aws.s3.delete_object(Bucket=aws.results_bucket, Key=f"{prefix}manifest.json")
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no report for this session"


@pytest.mark.parametrize(
    "metrics_body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"estimates": {}}).encode(),
        b"[" * 5000,
        b'{"estimates": {"nestedAccuracy": {"value": NaN}}, "selected": {}, "trials": {"used": 44}}',
        b'{"estimates": {}, "selected": {"online": {"K": Infinity}}, "trials": {"used": 44}}',
    ],
    ids=["not-json", "not-an-object", "no-headline", "nested-too-deep", "nan-accuracy", "infinite-k"],
)
def test_a_succeeded_session_whose_metrics_were_overwritten_has_no_report(
    aws, load_event, lambda_context, metrics_body
):
    # GIVEN my succeeded session whose metrics.json the run overwrote after process_results read it
    prefix = _succeeded_session(aws, ME)
    aws.s3.put_object(Bucket=aws.results_bucket, Key=f"{prefix}metrics.json", Body=metrics_body)
    # THEN the report route answers 404, not a server error
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no report for this session"


def _victims_key(name: str):
    """A rewrite of the manifest's outputs that names the other user's copy of output ``name``."""
    return lambda outputs, mine, victim: {**outputs, name: outputs[name].replace(mine, victim)}


@pytest.mark.parametrize(
    "rewrite",
    [
        _victims_key("report"),
        _victims_key("metrics"),
        _victims_key("figures/accuracy.png"),
        lambda outputs, mine, victim: {
            **outputs,
            "figures/accuracy.png": f"{mine}../../../{victim.split('/', 1)[1]}figures/accuracy.png",
        },
        lambda outputs, mine, victim: {**outputs, "figures/accuracy.png": 7},
        lambda outputs, mine, victim: list(outputs),
    ],
    ids=["report", "metrics", "figure", "figure-by-dot-dot", "key-not-a-string", "outputs-not-an-object"],
)
def test_a_manifest_rewritten_to_name_keys_outside_the_sessions_results_has_no_report(
    aws, load_event, lambda_context, rewrite
):
    # GIVEN another user's succeeded session and mine, whose manifest process_results checked
    victim_prefix = _succeeded_session(aws, SOMEONE_ELSE)
    my_prefix = _succeeded_session(aws, ME)
    # WHEN my run's manifest is overwritten afterwards (its presigned PUT is still valid)
    manifest_key = f"{my_prefix}manifest.json"
    manifest = json.loads(aws.s3.get_object(Bucket=aws.results_bucket, Key=manifest_key)["Body"].read())
    manifest["outputs"] = rewrite(manifest["outputs"], my_prefix, victim_prefix)
    aws.s3.put_object(Bucket=aws.results_bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    # THEN nothing is presigned or read: the session has no report
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"] == {"code": "NOT_FOUND", "message": "no report for this session"}
