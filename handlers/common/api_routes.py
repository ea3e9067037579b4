"""The status API's routes, one function per :class:`~contracts.api.Route`, and the views of sessions
and classifiers they answer with. Each takes the request and the backends and returns the JSON body (and
status when not 200), or raises :class:`~handlers.common.errors.RequestError`."""

import json
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from contracts.api import PRESIGN_EXPIRY_SECONDS, Route
from contracts.keys import UploadKey, is_valid_upload_file_name, new_session_id
from contracts.statuses import Status
from contracts.uploads import LIMITS
from handlers.common.api_request import ApiDependencies, ApiRequest, caller, path_session_id
from handlers.common.dynamodb_items import item_key, plain_item
from handlers.common.errors import RequestError, ResultsInvalid
from handlers.common.limits import take_upload_request
from handlers.common.observability import logger, session_ids
from handlers.common.output_versions import OUTPUT_VERSIONS, is_missing, object_params
from handlers.common.paging import decode_page_token, encode_page_token, page_size
from handlers.common.printable import printable_texts
from handlers.common.reports import report_links

DEFAULT_FILE_NAME = "upload.zip"
SESSION_FIELDS = (
    "sessionId",
    "status",
    "runId",
    "createdAt",
    "uploadedAt",
    "startedAt",
    "updatedAt",
    "finishedAt",
    "error",
    "result",
)
CLASSIFIER_FIELDS = (
    "schemaVersion",
    "classes",
    "usedBandIDs",
    "bandsHz",
    "selectedOption",
    "K",
    "windowEndMs",
    "selectionAccuracy",
    "nestedAccuracy",
    "onlineNestedAccuracy",
    "headlineModel",
    "chanceLevel",
    "createdAt",
)


def _not_found() -> RequestError:
    return RequestError(404, "NOT_FOUND", "no such session")


def _json_body(request: ApiRequest) -> dict[str, Any]:
    if request.body is None or not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply to parse
        raise RequestError(400, "INVALID_BODY", "the request body is not valid JSON") from error
    if not isinstance(body, dict):
        raise RequestError(400, "INVALID_BODY", "the request body must be a JSON object")
    return body


def _count_upload_request(user_id: str, deps: ApiDependencies) -> None:
    settings = deps.settings
    wait = take_upload_request(
        deps.dynamodb,
        settings.limits_table,
        user_id,
        now=deps.now(),
        limit=settings.max_upload_requests_per_minute,
    )
    if wait is not None:
        raise RequestError(
            429,
            "TOO_MANY_REQUESTS",
            f"at most {settings.max_upload_requests_per_minute} uploads may be requested per minute; "
            f"try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def create_session(request: ApiRequest, deps: ApiDependencies) -> tuple[dict[str, Any], int]:
    """``POST /sessions``: a new session id and a presigned, size-limited, short-lived upload form."""
    user_id = caller(request)
    file_name = _json_body(request).get("fileName", DEFAULT_FILE_NAME)
    if not is_valid_upload_file_name(file_name):
        raise RequestError(
            400,
            "INVALID_FILE_NAME",
            "fileName must end in .zip and use only letters, digits, '.', '_' and '-' "
            "(at most 128 characters)",
        )
    _count_upload_request(user_id, deps)
    session_id = new_session_id(deps.now())
    key = UploadKey(user_id, session_id, file_name).key
    upload = deps.s3.generate_presigned_post(
        Bucket=deps.settings.upload_bucket,
        Key=key,
        Conditions=[["content-length-range", 1, LIMITS.max_upload_bytes]],
        ExpiresIn=PRESIGN_EXPIRY_SECONDS,
    )
    with session_ids(sessionId=session_id):
        logger.info("issued an upload form", extra={"key": key})
    return {
        "sessionId": session_id,
        "upload": {"url": upload["url"], "fields": upload["fields"]},
        "key": key,
        "maxBytes": LIMITS.max_upload_bytes,
        "expiresInSeconds": PRESIGN_EXPIRY_SECONDS,
    }, 201


def _session_view(item: Mapping[str, Any]) -> dict[str, Any]:
    view = {name: item[name] for name in SESSION_FIELDS if name in item}
    # A session finished before failure messages and report warnings were stored printable keeps what
    # older code wrote (a terminal escape quoted from an upload's channel names, say).
    for name in ("error", "result"):
        if name in view:
            view[name] = printable_texts(view[name])
    if "uploadKey" in item:
        view["fileName"] = item["uploadKey"].rsplit("/", 1)[-1]
    return view


def list_sessions(request: ApiRequest, deps: ApiDependencies) -> dict[str, Any]:
    """``GET /sessions``: the caller's sessions, newest first, ``limit`` per page, ``nextToken`` to go on."""
    user_id = caller(request)
    limit = page_size(request.query)
    token = request.query.get("nextToken")
    after = decode_page_token(token) if token else None
    items, last_session_id = deps.status.list_sessions(user_id, limit=limit, after_session_id=after)
    body: dict[str, Any] = {"sessions": [_session_view(item) for item in items]}
    if last_session_id is not None:
        body["nextToken"] = encode_page_token(last_session_id)
    return body


def get_session(request: ApiRequest, deps: ApiDependencies) -> dict[str, Any]:
    """``GET /sessions/{sessionId}``: status, timestamps, and the error or result summary."""
    item = deps.status.get(caller(request), path_session_id(request))
    if item is None:
        raise _not_found()
    return _session_view(item)


def get_classifier(request: ApiRequest, deps: ApiDependencies) -> dict[str, Any]:
    """``GET /sessions/{sessionId}/classifier``: a presigned URL of ``classifier.json`` and its summary.

    Only for a ``SUCCEEDED`` session whose run wrote the record: after a re-upload the record still
    holds the previous run's classifier until the new run succeeds, and that is not the session's.
    The URL is of the version ``process_results`` checked, when the session recorded it.
    """
    user_id, session_id = caller(request), path_session_id(request)
    no_classifier = RequestError(404, "NOT_FOUND", "no trained classifier for this session")
    session = deps.status.get(user_id, session_id)
    if session is None or session.get("status") != Status.SUCCEEDED.value:
        raise no_classifier
    response = deps.dynamodb.get_item(
        TableName=deps.settings.classifier_table, Key=item_key(user_id, session_id), ConsistentRead=True
    )
    record = plain_item(response["Item"]) if "Item" in response else None
    if record is None or record.get("runId") != session.get("runId"):
        raise no_classifier
    classifier = object_params(
        record["classifierKey"], session.get(OUTPUT_VERSIONS, {}), session.get("result", {}).get("resultsPrefix", "")
    )
    if "VersionId" in classifier:  # after an overwrite the checked version expires with the noncurrent ones
        try:
            deps.s3.head_object(Bucket=deps.settings.results_bucket, **classifier)
        except ClientError as error:
            if not is_missing(error):
                raise
            raise no_classifier from error
    url = deps.s3.generate_presigned_url(
        "get_object", Params={"Bucket": deps.settings.results_bucket, **classifier}, ExpiresIn=PRESIGN_EXPIRY_SECONDS
    )
    return {
        "sessionId": session_id,
        "runId": record["runId"],
        "url": url,
        "expiresInSeconds": PRESIGN_EXPIRY_SECONDS,
        "classifier": {name: record[name] for name in CLASSIFIER_FIELDS if name in record},
    }


def get_report(request: ApiRequest, deps: ApiDependencies) -> dict[str, Any]:
    """``GET /sessions/{sessionId}/report``: presigned report and figures, and the headline figures."""
    item = deps.status.get(caller(request), path_session_id(request))
    if item is None:
        raise _not_found()
    results_prefix = (item.get("result") or {}).get("resultsPrefix")
    if item.get("status") != Status.SUCCEEDED.value or not results_prefix:
        raise RequestError(404, "NOT_FOUND", "no report for this session")
    try:
        links = report_links(
            deps.s3,
            deps.settings.results_bucket,
            results_prefix,
            item.get(OUTPUT_VERSIONS, {}),
            PRESIGN_EXPIRY_SECONDS,
        )
    except ResultsInvalid as error:
        logger.warning("a succeeded session's results cannot be reported", extra={"reason": str(error)})
        raise RequestError(404, "NOT_FOUND", "no report for this session") from error
    return {
        "sessionId": item["sessionId"],
        "runId": item["runId"],
        "url": links.report_url,
        "figures": links.figure_urls,
        "expiresInSeconds": PRESIGN_EXPIRY_SECONDS,
        "metrics": links.metrics,
    }


ROUTES: dict[Route, Callable[[ApiRequest, ApiDependencies], Any]] = {
    Route.CREATE_SESSION: create_session,
    Route.LIST_SESSIONS: list_sessions,
    Route.GET_SESSION: get_session,
    Route.GET_CLASSIFIER: get_classifier,
    Route.GET_REPORT: get_report,
}
