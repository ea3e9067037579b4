"""What ``GET /sessions/{sessionId}/report`` hands out: presigned links to a run's report and
figures, and the headline figures of its ``metrics.json``.

The classifier's ``report.html`` embeds its figures as PNG data URIs, so the presigned page
shows them with no further request; its captions also link ``figures/*.png`` by relative path,
which resolves only beside a copy of the results folder (a relative link from a presigned URL
loses the signature). The figures are therefore presigned one by one as well, for direct download.
"""

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from contracts.documents import json_object
from contracts.manifest import MANIFEST_NAME
from handlers.common.errors import ResultsInvalid
from handlers.common.manifest import is_run_output_key, read_versioned_manifest
from handlers.common.output_versions import is_missing, object_params

FIGURES_PREFIX = "figures/"


@dataclass(frozen=True)
class ReportLinks:
    report_url: str
    figure_urls: dict[str, str]
    metrics: dict[str, Any]


HEADLINE_SELECTION = ("selection", "headlineModel", "online")


def headline_figures(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The accuracy estimates (values only), which model is the headline and the online model's
    window, and the trials used (the per-window and per-trial tables stay in ``metrics.json``)."""
    selected = metrics["selected"]
    return {
        "estimates": {name: entry.get("value") for name, entry in metrics["estimates"].items()},
        "selected": {name: selected[name] for name in HEADLINE_SELECTION if name in selected},
        "trialsUsed": metrics["trials"]["used"],
    }


def _standard_json(value: Any) -> Any:
    """``value``, checked to hold no NaN or infinity: Python reads them in ``metrics.json`` and would
    write them into the answer, which a client's JSON parser then refuses.

    Raises
    ------
    ValueError
        If it holds one.
    """
    json.dumps(value, allow_nan=False)
    return value


def _presigned(s3: Any, bucket: str, object_to_get: Mapping[str, str], expiry_seconds: int) -> str:
    """A GET of ``object_to_get`` (its ``Key`` and maybe ``VersionId``) that also fixes the answer's
    Content-Type, so a browser shows the page or image whatever type the object was stored with."""
    content_type = mimetypes.guess_type(object_to_get["Key"])[0] or "application/octet-stream"
    return s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, **object_to_get, "ResponseContentType": content_type},
        ExpiresIn=expiry_seconds,
    )


def report_links(
    s3: Any, bucket: str, results_prefix: str, versions: Mapping[str, str], expiry_seconds: int
) -> ReportLinks:
    """Presign the report and every figure the run's manifest lists; read its metrics' headline.

    The manifest, metrics, report and figures are those of ``versions`` (file name -> VersionId, as
    ``process_results`` checked them); a file without a recorded version (a session recorded before
    versions were) is read and presigned by key.

    Raises
    ------
    ResultsInvalid
        When the run's manifest is missing, names no report or metrics, or names an output
        outside ``results_prefix``, or its metrics are not readable: the manifest and metrics are
        read again here, after ``process_results`` checked them, and without recorded versions
        the run could still overwrite them for a while (so also when its headline holds NaN or
        infinity). Also when a recorded version no longer exists (noncurrent versions expire).
    """
    read = read_versioned_manifest(s3, bucket, results_prefix, versions.get(MANIFEST_NAME))
    manifest = None if read is None else read[0]
    outputs = (manifest or {}).get("outputs") or {}
    if not isinstance(outputs, dict) or "report" not in outputs or "metrics" not in outputs:
        raise ResultsInvalid("the run's manifest names no report or metrics")
    if not all(is_run_output_key(key, results_prefix) for key in outputs.values()):
        raise ResultsInvalid("the run's manifest names an output outside its results prefix")
    pinned = {name: object_params(key, versions, results_prefix) for name, key in outputs.items()}
    try:
        metrics = json_object(s3.get_object(Bucket=bucket, **pinned["metrics"])["Body"].read(), "metrics.json")
        headline = _standard_json(headline_figures(metrics))
    except ClientError as error:
        if not is_missing(error):
            raise
        raise ResultsInvalid("the run's metrics no longer exist") from error
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ResultsInvalid(f"the run's metrics are not readable: {type(error).__name__}") from error
    return ReportLinks(
        report_url=_presigned(s3, bucket, pinned["report"], expiry_seconds),
        figure_urls={
            name: _presigned(s3, bucket, pinned[name], expiry_seconds)
            for name in sorted(outputs)
            if name.startswith(FIGURES_PREFIX)
        },
        metrics=headline,
    )
