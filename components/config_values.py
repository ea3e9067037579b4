"""Typed readers of raw stack config values: integers, numbers, choices, pattern-checked strings, lists
and objects, each raising :class:`~components.config.ConfigError` that names the key and what is wrong.

Values may arrive as native YAML types or as strings (``pulumi.Config().get`` returns objects as
JSON text), so every reader accepts both. Nothing here knows which keys a stack has: the rules of
each key are in :mod:`components.config_loading`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.config import ConfigError


def read_optional_match(raw: Mapping[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    value = raw.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ConfigError(f"{key} {value!r} is not {what}")
    return value


def as_id_list(value: Any, key: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    ids = as_string_list(value, key)
    if not ids:
        raise ConfigError(f"{key} must list at least one id")
    malformed = [item for item in ids if not pattern.fullmatch(item)]
    if malformed:
        raise ConfigError(f"{key}: malformed id(s) {malformed}")
    return tuple(ids)


def read_choice(raw: Mapping[str, Any], key: str, choices: Sequence[int], default: int) -> int:
    value = read_int(raw, key, default, None, None)
    if value not in choices:
        raise ConfigError(f"{key} {value} is not one of {list(choices)}")
    return value


def read_int(raw: Mapping[str, Any], key: str, default: int, low: int | None, high: int | None) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        value = int(value)
    if not isinstance(value, int):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    _check_range(key, value, low, high)
    return value


def read_float(raw: Mapping[str, Any], key: str, default: float, low: float, high: float | None) -> float:
    value = raw.get(key, default)
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise ConfigError(f"{key} must be a number, got {value!r}")
    _check_range(key, number, low, high)
    return number


def _check_range(key: str, value: float, low: float | None, high: float | None) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{key} {value} is out of range [{low}, {high}]")


def as_object(value: Any, key: str) -> dict[str, Any]:
    parsed = _parse_json_text(value, key)
    if not isinstance(parsed, Mapping):
        raise ConfigError(f"{key} must be an object of key: value pairs, got {value!r}")
    return dict(parsed)


def as_string_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str) and not value.strip().startswith("["):
        items: Any = [part.strip() for part in value.split(",") if part.strip()]
    else:
        items = _parse_json_text(value, key)
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ConfigError(f"{key} must be a list of non-empty strings, got {value!r}")
    return items


def _parse_json_text(value: Any, key: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{key} is not valid JSON: {error.msg}") from error
