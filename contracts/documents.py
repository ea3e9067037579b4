"""Reading the small JSON documents the parts exchange (metadata.json, manifest.json)."""

import json
import math
from typing import Any


def json_object(raw: bytes, name: str) -> dict[str, Any]:
    """The JSON object in ``raw`` (UTF-8, with or without a byte order mark).

    Raises
    ------
    ValueError
        Saying that ``name`` is not valid JSON or does not hold an object.
    """
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{name} is not valid JSON") from error
    if not isinstance(document, dict):
        raise ValueError(f"{name} must hold a JSON object")
    return document


def is_finite_number(value: object) -> bool:
    """Whether ``value`` is an int or float (not a bool) other than NaN or infinity."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
