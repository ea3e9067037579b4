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
"""

from collections.abc import Mapping
from typing import Any

from contracts.api import session_links
from contracts.manifest import MANIFEST_NAME
from contracts.run_input import RunInput
from contracts.statuses import Status
from handlers.common.clients import client, environment
from handlers.common.errors import ResultsInvalid
from handlers.common.manifest import check_succeeded_manifest, classifier_record, read_versioned_manifest, status_result
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.outcome import run_outcome
from handlers.common.output_versions import current_versions, pinned_version
from handlers.common.settings import ResultsSettings
from handlers.common.status import StatusStore
from handlers.common.timestamps import now_iso


def _keys_under(s3: Any, bucket: str, prefix: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def record_results(
    run: RunInput,
    *,
    s3: Any,
    status: StatusStore,
    results_bucket: str,
    classifier_table: str,
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
            now=now_iso(),
        )
