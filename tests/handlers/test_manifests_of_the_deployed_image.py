"""What an image already deployed reads and writes meets the handlers of the next deploy.

A classifier task keeps its image across a deploy, and an execution under way trains again in the task
definition revision it started with, while PresignRun, ProcessResults and RecordFailure are the new code at
once. PresignRun's ``RUN_ACCESS`` must hold exactly the PUTs that image makes (its decoder refuses a value
naming any other set of files), each signed for the Content-Type it sends. The manifests in ``tests/events``
are as that image wrote them: ``container_manifest_succeeded`` was written by
the classifier container in the sandbox (main at 134a0d2, 2026-12-03), ``container_manifest_failed`` by the
same ``Manifest`` contract for a rejected input. They are copied and given this run's ids, never rebuilt
with the current ``contracts.manifest``, so that a change to the contract that refuses what a deployed
image writes fails here.
"""

import base64
import json
import zlib

import pytest
from handler_support import ecs_failure, load_event, stored_status

from contracts.manifest import RESULT_FILES
from handlers import presign_run, process_results, record_failure

pytestmark = pytest.mark.moto

WRITTEN_PREFIX = "results/local-researcher/S001_imagery/run-bfbec1285dfac2acc2e3e618b393370f/"
#: The files the deployed image (main at 8295337) writes, each with the Content-Type its PUT sends.
DEPLOYED_IMAGE_PUTS = {
    "classifier.json": "application/json",
    "metrics.json": "application/json",
    "report.html": "text/html",
    "figures/accuracy.png": "image/png",
    "figures/confusion.png": "image/png",
    "figures/csp_patterns.png": "image/png",
    "manifest.json": "application/json",
}


def _for_run(manifest: dict, state: dict) -> dict:
    """The captured manifest with ``state``'s ids, and its outputs under ``state``'s results prefix."""
    outputs = {name: key.replace(WRITTEN_PREFIX, state["resultsPrefix"]) for name, key in manifest["outputs"].items()}
    return {**manifest, "userId": state["userId"], "sessionId": state["sessionId"], "runId": state["runId"],
            "outputs": outputs}


def _store(aws, state: dict, manifest: dict) -> None:
    """The outputs, then the manifest last, as the container writes them."""
    for key in manifest["outputs"].values():
        aws.s3.put_object(Bucket=aws.results_bucket, Key=key, Body=b"output")
    aws.s3.put_object(
        Bucket=aws.results_bucket, Key=f"{state['resultsPrefix']}manifest.json", Body=json.dumps(manifest)
    )


def test_process_results_accepts_the_succeeded_manifest_of_the_deployed_image(aws, processing_run, lambda_context):
    # GIVEN a task of the image deployed before wrote its outputs and manifest
    written = load_event("container_manifest_succeeded")
    _store(aws, processing_run, _for_run(written, processing_run))
    # WHEN the new ProcessResults checks them
    outcome = process_results.handler(processing_run, lambda_context)
    # THEN the session succeeded with the manifest's figures
    assert outcome["recorded"] is True and outcome["status"] == "SUCCEEDED"
    stored = stored_status(aws)
    assert stored["status"] == "SUCCEEDED"
    assert stored["result"]["nestedAccuracy"] == pytest.approx(written["metrics"]["nestedAccuracy"])
    assert stored["result"]["reportWarnings"] == written["metrics"]["reportWarnings"]


def test_record_failure_reads_the_failed_manifest_of_the_deployed_image(aws, processing_run, lambda_context):
    # GIVEN a task of the image deployed before rejected the upload (exit 2) and wrote why
    written = load_event("container_manifest_failed")
    _store(aws, processing_run, _for_run(written, processing_run))
    # WHEN the new RecordFailure decides the failure
    outcome = record_failure.handler({**processing_run, "error": ecs_failure(exit_code=2)}, lambda_context)
    # THEN the session failed with the manifest's code and message
    assert outcome["recorded"] is True
    assert outcome["error"] == written["error"] == stored_status(aws)["error"]


def test_presign_run_signs_exactly_the_puts_the_deployed_image_makes(aws, processing_run, lambda_context):
    # WHEN the new PresignRun signs a run's URLs (a retry of an execution under way, say)
    encoded = presign_run.handler(processing_run, lambda_context)
    # THEN the deployed image's decoding (base64url of deflated JSON) finds one URL per file it writes, no other
    document = json.loads(zlib.decompress(base64.urlsafe_b64decode(encoded.encode("ascii"))))
    assert document["input"] and set(document["results"]) == set(DEPLOYED_IMAGE_PUTS)
    # and each URL is signed for the Content-Type that image's PUT sends
    assert {name: RESULT_FILES[name] for name in DEPLOYED_IMAGE_PUTS} == DEPLOYED_IMAGE_PUTS
