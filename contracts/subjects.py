"""The user id of a token's ``sub`` claim: an injective encoding into the key-safe id alphabet.

Any non-empty ``sub`` is accepted (``auth0|123``, ``google-oauth2|1098…``, a Cognito UUID, any
Unicode), and two different subjects never share a user id, so one user cannot reach another's
keys. The mapping, applied to the subject's UTF-8 bytes:

1. ``A-Z a-z 0-9 . -`` stand for themselves; every other byte, the escape character ``_``
   included, becomes ``_`` and two upper-case hex digits (``|`` → ``_7C``, ``_`` → ``_5F``).
2. A result of ``.`` or ``..`` (names a key cannot hold) has its dots escaped too (``_2E``).
3. A result longer than :data:`~contracts.keys.MAX_ID_LENGTH` becomes ``_h`` followed by the
   SHA-256 of the subject in lower-case hex: no result of 1–2 starts so (``_`` is always followed by
   two upper-case hex digits), and distinct subjects meet there only through a SHA-256 collision.

Cognito subjects (UUIDs) and every subject of ``A-Z a-z 0-9 . -`` map to themselves.
"""

import hashlib
import re

from contracts.keys import MAX_ID_LENGTH, is_valid_id

ESCAPE = "_"
HASHED_PREFIX = f"{ESCAPE}h"
_SAFE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_DOT = ord(".")
_RESERVED_RESULTS = frozenset({".", ".."})
_ESCAPED_BYTE = re.compile(rf"{ESCAPE}([0-9A-F]{{2}})")


def _escape(data: bytes, safe: frozenset[int]) -> str:
    return "".join(chr(byte) if byte in safe else f"{ESCAPE}{byte:02X}" for byte in data)


def user_id_for_subject(subject: str) -> str:
    """The user id under which the holder of ``subject`` stores sessions (module docstring).

    Raises
    ------
    ValueError
        If ``subject`` is empty: an empty claim names nobody.
    """
    if not subject:
        raise ValueError("an empty subject names no user")
    data = subject.encode("utf-8", "surrogatepass")
    encoded = _escape(data, _SAFE_BYTES)
    if encoded in _RESERVED_RESULTS:
        encoded = _escape(data, _SAFE_BYTES - {_DOT})
    if len(encoded) > MAX_ID_LENGTH:
        return HASHED_PREFIX + hashlib.sha256(data).hexdigest()
    return encoded


def subject_for_user_id(user_id: str) -> str:
    """The subject whose user id is ``user_id`` (the inverse of :func:`user_id_for_subject`).

    Raises
    ------
    ValueError
        If no subject maps to ``user_id`` in a way that can be reversed: not a valid id, a hashed
        id, or an ``_`` that does not start an escape of rule 1.
    """
    if not is_valid_id(user_id) or user_id.startswith(HASHED_PREFIX):
        raise ValueError(f"{user_id!r} is not the user id of a subject that can be recovered")
    pieces = _ESCAPED_BYTE.split(user_id)
    if any(ESCAPE in piece for piece in pieces[::2]):
        raise ValueError(f"{user_id!r} has an {ESCAPE!r} that does not start an escape such as {ESCAPE}5F")
    data = bytearray()
    for index, piece in enumerate(pieces):
        data += bytes.fromhex(piece) if index % 2 else piece.encode("ascii")
    subject = data.decode("utf-8", "surrogatepass")
    if user_id_for_subject(subject) != user_id:
        raise ValueError(
            f"{user_id!r} is not the user id of any subject (it escapes a character it need not)"
        )
    return subject
