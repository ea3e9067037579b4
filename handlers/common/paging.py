"""Paging of ``GET /sessions``: the page size a request asks for and the opaque page tokens."""

import base64
import binascii
import json
import re
from collections.abc import Mapping

from contracts.keys import is_valid_id
from handlers.common.errors import RequestError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: Longer than any token :func:`encode_page_token` makes (188 characters for a 128-character id).
#: Refusing longer ones unread also keeps the decoded JSON too shallow to exhaust the recursion
#: limit, which a deeply nested token did (a 500 instead of a 400).
MAX_PAGE_TOKEN_CHARS = 256


def page_size(query: Mapping[str, str]) -> int:
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise RequestError(400, "INVALID_LIMIT", f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def encode_page_token(session_id: str) -> str:
    """An opaque token for the page after ``session_id``.

    It holds no user id: the query always uses the caller's, so a token cannot reach other users.
    """
    return base64.urlsafe_b64encode(json.dumps({"after": session_id}).encode()).decode().rstrip("=")


def decode_page_token(token: str) -> str:
    """The session id a page token continues after.

    Raises
    ------
    RequestError
        400 when the token was not produced by :func:`encode_page_token`.
    """
    invalid = RequestError(400, "INVALID_NEXT_TOKEN", "nextToken is not valid")
    if len(token) > MAX_PAGE_TOKEN_CHARS:
        raise invalid
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as error:
        raise invalid from error
    after = decoded.get("after") if isinstance(decoded, dict) else None
    if not is_valid_id(after):
        raise invalid
    return after
