"""Conversions between plain JSON values and DynamoDB's Decimal numbers."""

import json
import math
from decimal import Decimal
from typing import Any


def to_dynamodb(value: Any) -> Any:
    """A JSON-like value with every float turned into a Decimal (DynamoDB rejects floats).

    Raises
    ------
    ValueError
        If a float is NaN or infinite (DynamoDB cannot store it).
    """
    if isinstance(value, bool) or value is None or isinstance(value, str | int | Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot store the non-finite number {value!r}")
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: to_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamodb(item) for item in value]
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_dynamodb(value: Any) -> Any:
    """A value read from DynamoDB with Decimals as int (when integral) or float, sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamodb(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_dynamodb(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(from_dynamodb(item) for item in value)
    return value


def dumps(value: Any) -> str:
    """Compact JSON of a value that may hold DynamoDB Decimals."""
    return json.dumps(from_dynamodb(value), separators=(",", ":"), sort_keys=True)
