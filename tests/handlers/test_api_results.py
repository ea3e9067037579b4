"""The status API on moto: a session's classifier and report, as presigned downloads once they exist."""

import json
from urllib.parse import parse_qs, urlparse

import pytest
from api_support import ME, SESSION, SOMEONE_ELSE, add_session, call_api
from boto3.dynamodb.types import TypeSerializer
from handler_support import run_state

from contracts.api import PRESIGN_EXPIRY_SECONDS

pytestmark = pytest.mark.moto


def test_the_classifier_is_404_until_it_exists_then_a_presigned_download(aws, load_event, lambda_context):
    # GIVEN a session without a trained classifier yet
    state = add_session(aws, ME, SESSION)
    before = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    assert before[0] == 404 and before[1]["error"]["code"] == "NOT_FOUND"
    # WHEN the classifier record is written
    classifier_key = f"{state['resultsPrefix']}classifier.json"
    aws.s3.put_object(Bucket=aws.results_bucket, Key=classifier_key, Body=b"{}")
    aws.dynamodb.put_item(
        TableName=aws.classifier_table,
        Item={
            "userId": {"S": ME},
            "sessionId": {"S": SESSION},
            "runId": {"S": state["runId"]},
            "classifierKey": {"S": classifier_key},
            "selectedOption": {"S": "A02"},
            "selectionAccuracy": {"N": "0.8"},
            "K": {"N": "6"},
        },
    )
    status, body, _ = call_api(load_event("apigw_v2_get_session_classifier"), lambda_context)
    # THEN a presigned GET of classifier.json in the results bucket comes back with the model summary
    assert status == 200 and body["runId"] == state["runId"]
    url = urlparse(body["url"])
    assert aws.results_bucket in url.netloc + url.path and url.path.endswith(classifier_key)
    assert "X-Amz-Signature" in parse_qs(url.query) and parse_qs(url.query)["X-Amz-Expires"] == ["900"]
    assert body["classifier"] == {"selectedOption": "A02", "selectionAccuracy": 0.8, "K": 6}


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


def _succeeded_session(aws, user_id: str) -> str:
    """A SUCCEEDED session of ``user_id`` whose run wrote its results and manifest; its results prefix."""
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
    for key, body in [
        (outputs["report"], b"<html></html>"),
        (outputs["metrics"], json.dumps(metrics).encode()),
        (outputs["figures/accuracy.png"], b"png"),
        (f"{prefix}manifest.json", json.dumps({"status": "succeeded", "outputs": outputs}).encode()),
    ]:
        aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=body)
    item = {
        "userId": user_id,
        "sessionId": SESSION,
        "runId": state["runId"],
        "status": "SUCCEEDED",
        "result": {"resultsPrefix": prefix},
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


def test_another_users_report_is_404(aws, load_event, lambda_context):
    _succeeded_session(aws, SOMEONE_ELSE)
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_a_succeeded_session_without_a_manifest_has_no_report(aws, load_event, lambda_context):
    prefix = _succeeded_session(aws, ME)
    aws.s3.delete_object(Bucket=aws.results_bucket, Key=f"{prefix}manifest.json")
    status, body, _ = call_api(load_event("apigw_v2_get_session_report"), lambda_context)
    assert status == 404 and body["error"]["message"] == "no report for this session"
