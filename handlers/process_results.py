"""ProcessResults Lambda: check the classifier's manifest, record the classifier and ``SUCCEEDED``.

Raises :class:`ResultsInvalid` when the manifest is missing, malformed, for another run, not
``succeeded``, or names outputs that do not exist. The status item also records the S3 version of
the manifest and of each output checked (:mod:`handlers.common.output_versions`): the API serves
those, not what the run's still valid PUT URLs write afterwards. The status and classifier records
are written in one transaction conditional on this run still being the session's open run; when the session
has moved on that is logged, not raised. The return value is the outcome; its ``recorded`` says
whether the session holds it (this write, or an earlier attempt's when Step Functions retried the
step), and the state machine notifies only a recorded outcome (a superseded run's success is not
the session's result).

The container's wall time (the manifest's ``containerSeconds``) is published as the metric
``ContainerSeconds`` (:mod:`contracts.pipeline_metrics`), which the training-time alarm watches,
once the manifest is found to be this run's succeeded one, whether or not the session still holds
the run. A manifest without it (an image older than the field) publishes nothing; one out of bounds
is logged and publishes nothing, and the session succeeds all the same.
"""

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from contracts.api import session_links
from contracts.manifest import CONTAINER_SECONDS_FIELD, MANIFEST_NAME, MAX_CONTAINER_SECONDS, Manifest
from contracts.pipeline_metrics import CONTAINER_SECONDS
from contracts.run_input import RunInput
from contracts.statuses import Status
from handlers.common.clients import client, environment
from handlers.common.errors import ResultsInvalid
from handlers.common.manifest import check_succeeded_manifest, classifier_record, read_versioned_manifest, status_result
from handlers.common.observability import logger, publish_metric, session_ids, tracer
from handlers.common.outcome import run_outcome
from handlers.common.output_versions import current_versions, pinned_version
from handlers.common.settings import ResultsSettings
from handlers.common.status import StatusStore
from handlers.common.timestamps import now_iso


def _keys_under(s3: Any, bucket: str, prefix: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def publish_container_seconds(manifest: Manifest, document: Mapping[str, Any], *, pipeline_name: str) -> None:
    """Publish the manifest's ``containerSeconds``; say so in the log when the document's is out of bounds."""
    if manifest.container_seconds is not None:
        publish_metric(CONTAINER_SECONDS, manifest.container_seconds, MetricUnit.Seconds, pipeline_name=pipeline_name)
    elif CONTAINER_SECONDS_FIELD in document:
        logger.warning(
            f"{MANIFEST_NAME}'s {CONTAINER_SECONDS_FIELD} is not a number from 0 to {MAX_CONTAINER_SECONDS}: "
            f"no {CONTAINER_SECONDS} metric for this run"
        )


def record_results(
    run: RunInput,
    *,
    s3: Any,
    status: StatusStore,
    results_bucket: str,
    classifier_table: str,
    pipeline_name: str,
    now: str,
) -> dict[str, Any]:
    """Check the run's results and record them; return ``{userId, sessionId, runId, status, result, links,
    recorded}``.

    Raises
    ------
    ResultsInvalid
        With a message naming what is wrong with the results.
    """
    read = read_versioned_manifest(s3, results_bucket, run.results_prefix)
    if read is None:
        raise ResultsInvalid(f"the classifier finished without writing {MANIFEST_NAME}")
    document, manifest_version = read
    manifest = check_succeeded_manifest(document, run)
    publish_container_seconds(manifest, document, pipeline_name=pipeline_name)
    stored = _keys_under(s3, results_bucket, run.results_prefix)
    missing = sorted(name for name, key in manifest.outputs.items() if key not in stored)
    if missing:
        raise ResultsInvalid(f"the outputs {missing} listed in {MANIFEST_NAME} do not exist")
    output_versions = current_versions(s3, results_bucket, manifest.outputs.values(), run.results_prefix)
    if pinned_version(manifest_version):
        output_versions[MANIFEST_NAME] = manifest_version
    result = status_result(manifest.metrics, run.results_prefix)
    written = status.succeed_run(
        run.user_id,
        run.session_id,
        run.run_id,
        result=result,
        output_versions=output_versions,
        now=now,
        classifier_table=classifier_table,
        classifier_item=classifier_record(manifest, run, created_at=now),
    )
    if written:
        logger.info("recorded the trained classifier", extra={"selectedOption": result["selectedOption"]})
    return run_outcome(
        run,
        Status.SUCCEEDED,
        written=written,
        status=status,
        details={"result": result},
        links=session_links(run.session_id, results_bucket=results_bucket, results_prefix=run.results_prefix),
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    settings = ResultsSettings.from_environ(environment(), needs_classifier_table=True)
    logger.setLevel(settings.log_level)
    run = RunInput.from_dict(event)
    with session_ids(**run.log_fields()):
        return record_results(
            run,
            s3=client("s3"),
            status=StatusStore(client("dynamodb"), settings.status_table),
            results_bucket=settings.results_bucket,
            classifier_table=settings.classifier_table,
            pipeline_name=settings.pipeline_name,
            now=now_iso(),
        )
