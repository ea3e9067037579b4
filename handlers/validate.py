"""Validate Lambda: check an upload's size, version, zip structure and memory need without downloading
it, and choose the size of the run's task.

Only the zip's central directory (at the end of the object), the small ``metadata.json`` and the
first bytes of the CSV (:data:`contracts.upload_memory.CSV_PREFIX_BYTES` inflated) are read,
through ranged GETs. Any problem raises :class:`InvalidUpload`, whose class name the
state machine sees as the error and ``record_failure`` maps to ``INVALID_UPLOAD``.
"""

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from contracts.run_input import RunInput
from contracts.sample_units import check_sample_units
from contracts.task_size import RETRY_TASK_SIZE_KEY, TASK_SIZE_KEY, TaskSize, retry_size_for
from contracts.upload_memory import CSV_PREFIX_BYTES, size_run
from contracts.upload_metadata import UploadRejected
from contracts.uploads import LIMITS, UploadLimits, check_upload
from handlers.common.clients import client, environment
from handlers.common.errors import InvalidUpload
from handlers.common.observability import logger, session_ids, tracer
from handlers.common.settings import ValidateSettings
from handlers.common.uploads import RangedObjectReader

_MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound"})


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def validate_upload(
    s3: Any,
    run: RunInput,
    *,
    default_task_size: TaskSize,
    task_memory_max_mib: int,
    limits: UploadLimits = LIMITS,
) -> dict[str, Any]:
    """Check the run's upload, describe it and size its task.

    Reads exactly the version the run was started for (its S3 ``VersionId``, also when a newer
    version has arrived since), applies every upload rule (:func:`contracts.uploads.check_upload`,
    the classifier container's own), and sizes the run's task from its predicted memory need,
    between ``default_task_size`` and ``task_memory_max_mib`` (:func:`contracts.upload_memory.size_run`).

    Returns
    -------
    dict
        ``objectBytes``, ``bytesRead`` (downloaded to check it), ``csv`` and ``members``
        (name, compressed and uncompressed sizes), ``eegChannels``, ``frequencyHz``, the
        estimate: ``estimatedSamples``, ``trialBound``, ``predictedPeakMiB``, the run's
        ``taskSize`` (:meth:`contracts.task_size.TaskSize.to_dict`) and ``retryTaskSize``, the size
        of its one retry if the first task runs out of memory, or ``None`` when the maximum allows
        no bigger task (:func:`contracts.task_size.retry_size_for`).

    Raises
    ------
    InvalidUpload
        With a message for the uploader naming the first problem found.
    """
    try:
        head = s3.head_object(Bucket=run.bucket, Key=run.key, VersionId=run.upload_version)
    except ClientError as error:
        if _error_code(error) in _MISSING_OBJECT_CODES:
            raise InvalidUpload("the upload no longer exists") from error
        raise
    size = head["ContentLength"]
    reader = RangedObjectReader(
        s3, bucket=run.bucket, key=run.key, size=size, etag=head["ETag"], version_id=run.upload_version
    )
    try:
        upload = check_upload(reader, size, limits, csv_prefix_bytes=CSV_PREFIX_BYTES)
        check_sample_units(upload.csv_prefix, upload.csv.file_size, upload.metadata.n_channels)
        estimate, task_size = size_run(upload, default_task_size, task_memory_max_mib)
    except UploadRejected as rejected:
        raise InvalidUpload(rejected.message) from rejected
    retry_size = retry_size_for(task_size, default_task_size, task_memory_max_mib)
    retry_size_json = None if retry_size is None else retry_size.to_dict()
    logger.info(
        "upload is valid",
        extra={
            "objectBytes": size,
            "bytesRead": reader.bytes_fetched,
            "rangeRequests": reader.requests,
            "predictedPeakMiB": round(estimate.peak_mib),
            TASK_SIZE_KEY: task_size.to_dict(),
            RETRY_TASK_SIZE_KEY: retry_size_json,
        },
    )
    return {
        "objectBytes": size,
        "bytesRead": reader.bytes_fetched,
        "csv": upload.csv.filename,
        "members": [
            {
                "name": member.name,
                "compressedBytes": member.compressed_bytes,
                "uncompressedBytes": member.uncompressed_bytes,
            }
            for member in upload.members
        ],
        "eegChannels": upload.metadata.n_channels,
        "frequencyHz": upload.metadata.sfreq,
        "estimatedSamples": estimate.n_samples,
        "trialBound": estimate.n_trials,
        "predictedPeakMiB": round(estimate.peak_mib),
        TASK_SIZE_KEY: task_size.to_dict(),
        RETRY_TASK_SIZE_KEY: retry_size_json,
    }


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    settings = ValidateSettings.from_environ(environment())
    logger.setLevel(settings.log_level)
    run = RunInput.from_dict(event)
    with session_ids(**run.log_fields()):
        return validate_upload(
            client("s3"),
            run,
            default_task_size=settings.default_task_size,
            task_memory_max_mib=settings.task_memory_max_mib,
        )
