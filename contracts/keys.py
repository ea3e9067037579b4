"""Bucket key layout and identifiers: upload and results prefixes, id rules, key parsing and building."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

UPLOAD_PREFIX = "uploads/"
RESULTS_PREFIX = "results/"
UPLOAD_SUFFIX = ".zip"
MAX_ID_LENGTH = 128
RUN_ID_PREFIX = "run-"
_RUN_ID_HEX_DIGITS = 32
_ID_PATTERN = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_ID_LENGTH}}}")
_API_FILE_NAME_PATTERN = re.compile(
    rf"[A-Za-z0-9._-]{{1,{MAX_ID_LENGTH - len(UPLOAD_SUFFIX)}}}{re.escape(UPLOAD_SUFFIX)}"
)
#: The id rule of :func:`is_valid_id` in words, for messages.
ID_RULE = f"1 to {MAX_ID_LENGTH} of the characters A-Z a-z 0-9 . _ - (and not '.' or '..')"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_RESERVED_NAMES = frozenset({"", ".", ".."})


class UnrecognisedKey(ValueError):
    """A key with no valid user and session in it: there is no session to record a failure against."""


class RejectedKey(ValueError):
    """A key naming a valid user and session that is otherwise not an accepted upload."""

    def __init__(self, user_id: str, session_id: str, message: str) -> None:
        super().__init__(message)
        self.user_id = user_id
        self.session_id = session_id
        self.message = message


@dataclass(frozen=True)
class UploadKey:
    """The parts of ``uploads/{userId}/{sessionId}/{fileName}``."""

    user_id: str
    session_id: str
    file_name: str

    @property
    def key(self) -> str:
        return f"{UPLOAD_PREFIX}{self.user_id}/{self.session_id}/{self.file_name}"


def is_valid_id(value: object) -> bool:
    """Whether ``value`` is a user or session id: ``[A-Za-z0-9._-]{1,128}`` and not ``.`` or ``..``."""
    return isinstance(value, str) and bool(_ID_PATTERN.fullmatch(value)) and value not in _RESERVED_NAMES


def is_valid_upload_file_name(value: object) -> bool:
    """Whether the status API accepts ``value`` as an upload's file name (``name.zip``, safe characters)."""
    return (
        isinstance(value, str)
        and bool(_API_FILE_NAME_PATTERN.fullmatch(value))
        and value.removesuffix(UPLOAD_SUFFIX) not in _RESERVED_NAMES
    )


def parse_upload_key(key: str) -> UploadKey:
    """Split an upload key into user, session and file name, checking each part.

    Raises
    ------
    UnrecognisedKey
        If the key is not under ``uploads/`` or its user or session id is not valid.
    RejectedKey
        If user and session are valid but the object is nested deeper or is not a ``.zip`` file.
    """
    if not key.startswith(UPLOAD_PREFIX):
        raise UnrecognisedKey(f"not an upload key: {key!r}")
    parts = key[len(UPLOAD_PREFIX) :].split("/")
    if len(parts) < 3 or not is_valid_id(parts[0]) or not is_valid_id(parts[1]):
        raise UnrecognisedKey(f"no valid user and session id in {key!r}")
    user_id, session_id, *rest = parts
    if len(rest) != 1:
        raise RejectedKey(
            user_id, session_id, "uploads must be placed directly in the session folder, not in a sub-folder"
        )
    file_name = rest[0]
    if (
        not file_name.lower().endswith(UPLOAD_SUFFIX)
        or file_name[: -len(UPLOAD_SUFFIX)] in _RESERVED_NAMES
        or _CONTROL_CHARACTERS.search(file_name)
    ):
        raise RejectedKey(user_id, session_id, f"the uploaded file {file_name!r} is not a .zip archive")
    return UploadKey(user_id=user_id, session_id=session_id, file_name=file_name)


def run_id_for(bucket: str, key: str, upload_version: str) -> str:
    """The deterministic id of the run for one version of one upload (also the execution name)."""
    digest = hashlib.sha256(f"{bucket}/{key}#{upload_version}".encode()).hexdigest()
    return f"{RUN_ID_PREFIX}{digest[:_RUN_ID_HEX_DIGITS]}"


def results_prefix_for(user_id: str, session_id: str, run_id: str) -> str:
    """Where the classifier container writes a run's outputs; ends with ``/``."""
    return f"{RESULTS_PREFIX}{user_id}/{session_id}/{run_id}/"


def new_session_id(now: datetime, random_hex: str | None = None) -> str:
    """A session id that sorts by creation time: ``{yyyymmddTHHMMSSZ}-{12 hex}``."""
    if now.tzinfo is None:
        raise ValueError("session ids are made from timezone-aware times")
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{random_hex if random_hex is not None else secrets.token_hex(6)}"


def execution_arn_for(state_machine_arn: str, execution_name: str) -> str:
    """The ARN a Standard workflow execution of ``execution_name`` gets (known before it starts)."""
    partition_service_region_account, _, machine_name = state_machine_arn.rpartition(":stateMachine:")
    if not partition_service_region_account or not machine_name:
        raise ValueError(f"not a state machine ARN: {state_machine_arn!r}")
    return f"{partition_service_region_account}:execution:{machine_name}:{execution_name}"
