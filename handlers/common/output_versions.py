"""The S3 versions of a run's results that ``ProcessResults`` checked, and reading them back pinned.

The run's presigned PUT URLs stay valid for ``RUN_ACCESS_SECONDS``, past the check, and the results
bucket is versioned: an overwrite adds a version and leaves the checked one. ``ProcessResults``
records the checked versions in the status item's ``outputVersions`` (file name under the results
prefix -> VersionId), and the API reads and presigns those versions, so an overwrite never reaches
the user. A session recorded before the map existed (or a key missing from it) is served by key.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

#: The status item attribute holding the map.
OUTPUT_VERSIONS = "outputVersions"
#: The VersionId S3 answers for an object written while versioning was off.
UNVERSIONED = "null"
#: What S3 answers for a key or version that does not exist (a HEAD answers a bare 404).
_MISSING_OBJECT_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404"})


def is_missing(error: ClientError) -> bool:
    """Whether S3 refused a read because the key, or the version asked for, does not exist."""
    return error.response.get("Error", {}).get("Code") in _MISSING_OBJECT_CODES


def file_name(key: str, results_prefix: str) -> str:
    """``key`` relative to ``results_prefix``, the name the map keeps it under."""
    return key.removeprefix(results_prefix)


def pinned_version(version_id: str | None) -> str | None:
    """``version_id`` when it names a version a GET can pin, else ``None``."""
    return version_id if version_id and version_id != UNVERSIONED else None


def current_versions(s3: Any, bucket: str, keys: Iterable[str], results_prefix: str) -> dict[str, str]:
    """The VersionId of each of ``keys``' current version, by :func:`file_name` (keys of unversioned
    objects are left out)."""
    versions = {}
    for key in sorted(set(keys)):
        version_id = pinned_version(s3.head_object(Bucket=bucket, Key=key).get("VersionId"))
        if version_id:
            versions[file_name(key, results_prefix)] = version_id
    return versions


def object_params(key: str, versions: Mapping[str, str], results_prefix: str) -> dict[str, str]:
    """The ``Key`` (and ``VersionId``, when one was recorded) of a GET of ``key``."""
    version_id = versions.get(file_name(key, results_prefix))
    return {"Key": key, "VersionId": version_id} if version_id else {"Key": key}
