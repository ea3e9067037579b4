"""Reading the small JSON documents the parts exchange (metadata.json, manifest.json)."""

import json
import math
from typing import Any


def json_object(raw: bytes, name: str) -> dict[str, Any]:
    """The JSON object in ``raw`` (UTF-8, with or without a byte order mark).

    Raises
    ------
    ValueError
        Saying that ``name`` is not valid JSON, nests too deeply for the parser or does not hold
        an object.
    """
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{name} is not valid JSON") from error
    except RecursionError as error:
        raise ValueError(f"{name} nests arrays or objects too deeply") from error
    if not isinstance(document, dict):
        raise ValueError(f"{name} must hold a JSON object")
    return document


def is_finite_number(value: object) -> bool:
    """Whether ``value`` is an int or float (not a bool) other than NaN or infinity.

    An integer beyond the float range (``1e400`` written out in digits) is not: other JSON readers
    take it as infinity, and ``float()`` cannot convert it.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def is_whole_number(value: object, minimum: int, maximum: int) -> bool:
    """Whether ``value`` is a finite number with no fractional part from ``minimum`` to ``maximum``."""
    return is_finite_number(value) and value == int(value) and minimum <= value <= maximum
