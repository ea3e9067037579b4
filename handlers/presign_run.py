"""Presign Lambda: the run's URLs, so that the classifier container needs no AWS credentials.

Signs a GET of exactly the run's upload version and one PUT per result file of
:data:`contracts.manifest.RESULT_FILES` under the run's results prefix, valid for
``RUN_ACCESS_SECONDS`` (the longest a run can last), and returns them encoded as the container's
``RUN_ACCESS`` (:mod:`contracts.run_access`). A presigned request acts with the signer's
permissions, so this function's role holds the read of uploads and the write of results that the
task used to hold; the URLs confine each run to its own objects. They are secrets: nothing here
logs them, and the tracer does not record the function's response.
"""

from collections.abc import Mapping
from typing import Any

from contracts.manifest import RESULT_FILES
from contracts.run_access import RunAccess
from contracts.run_input import RunInput
from handlers.common.clients import client, environment
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.settings import PresignSettings


def presign_run(s3: Any, run: RunInput, *, results_bucket: str, expires_in_seconds: int) -> RunAccess:
    """The run's presigned GET of its upload version and PUT of each result file (with its Content-Type)."""
    input_url = s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": run.bucket, "Key": run.key, "VersionId": run.upload_version},
        ExpiresIn=expires_in_seconds,
    )
    result_urls = {
        name: s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": results_bucket, "Key": f"{run.results_prefix}{name}", "ContentType": content_type},
            ExpiresIn=expires_in_seconds,
        )
        for name, content_type in RESULT_FILES.items()
    }
    return RunAccess(input=input_url, results=result_urls)


# The response is the URLs: the tracer must not copy it into the trace.
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: Mapping[str, Any], context: Any) -> str:
    settings = PresignSettings.from_environ(environment())
    logger.setLevel(settings.log_level)
    run = RunInput.from_dict(event)
    with session_ids(**run.log_fields()):
        access = presign_run(
            client("s3"),
            run,
            results_bucket=settings.results_bucket,
            expires_in_seconds=settings.run_access_seconds,
        )
        encoded = access.encode()
        logger.info(
            "presigned the run's URLs",
            extra={
                "inputKey": run.key,
                "resultsPrefix": run.results_prefix,
                "resultFiles": sorted(access.results),
                "expiresInSeconds": settings.run_access_seconds,
                "encodedChars": len(encoded),
            },
        )
        return encoded
