"""The state machine's run input: written by the start handler, read by every later step.

Extra fields the states add (``validation``, ``outcome``, ``error``) are ignored when reading.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

#: Field → its name in the JSON input.
_JSON_NAMES = {
    "bucket": "bucket",
    "key": "key",
    "upload_version": "uploadVersion",
    "size": "size",
    "user_id": "userId",
    "session_id": "sessionId",
    "run_id": "runId",
    "results_prefix": "resultsPrefix",
    "execution_arn": "executionArn",
}

_LOGGED_FIELDS = ("user_id", "session_id", "run_id", "execution_arn")


@dataclass(frozen=True, kw_only=True)
class RunInput:
    """One run: which upload version it processes, where its results go, and its execution.

    ``upload_version`` is the upload's S3 ``VersionId`` (the uploads bucket is versioned): every
    step reads exactly that version, so a re-upload during the run cannot change what it trains.
    """

    bucket: str
    key: str
    upload_version: str
    size: int
    user_id: str
    session_id: str
    run_id: str
    results_prefix: str
    execution_arn: str

    def to_dict(self) -> dict[str, Any]:
        """The execution input, in the contract's camelCase."""
        return {json_name(field.name): getattr(self, field.name) for field in fields(self)}

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> "RunInput":
        """Read the run's fields from a state.

        Raises
        ------
        ValueError
            If a field is missing or has the wrong type: the state machine was given a bad input.
        """
        values = {field.name: state.get(json_name(field.name)) for field in fields(cls)}
        size = values.pop("size")
        missing = [
            json_name(name) for name, value in values.items() if not isinstance(value, str) or not value
        ]
        if isinstance(size, bool) or not isinstance(size, int):
            missing.append(json_name("size"))
        if missing:
            raise ValueError(f"the state lacks valid run fields: {missing}")
        return cls(size=size, **values)

    def log_fields(self) -> dict[str, str]:
        """The ids every log line written while working on this run carries (:data:`LOG_FIELDS`)."""
        return {json_name(name): getattr(self, name) for name in _LOGGED_FIELDS}


def json_name(field_name: str) -> str:
    """The input's JSON name of a :class:`RunInput` field (``results_prefix`` → ``resultsPrefix``)."""
    return _JSON_NAMES[field_name]


def json_path(field_name: str) -> str:
    """The JSONPath of a :class:`RunInput` field in the state (``$.resultsPrefix``)."""
    return f"$.{json_name(field_name)}"


#: The ids on every log line of the handlers, as JSON names.
LOG_FIELDS = tuple(json_name(name) for name in _LOGGED_FIELDS)
