"""Reads a committed stack file (``Pulumi.<stack>.yaml``) into the raw values :func:`load_settings` takes.

The sandbox runs the program with a committed stack file's config (:func:`pulumi_config`), so its task size,
timeouts and queue settings are the deployed ones rather than a second copy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.config import PROJECT_NAME, StackSettings
from components.config_loading import load_settings


def _stack_file_config(stack_file: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The file's ``config`` with ``overrides`` (project keys without namespace, as ``pulumi config set``
    takes them)."""
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    return {**config, **{f"{PROJECT_NAME}:{key}": value for key, value in (overrides or {}).items()}}


def pulumi_config(stack_file: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every key of ``stack_file`` (plus ``overrides``) as the Pulumi engine hands config to a program:
    ``namespace:key`` → text, objects and lists as JSON."""
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in _stack_file_config(stack_file, overrides).items()
    }


def raw_stack_config(stack_file: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The project's config keys of ``stack_file`` (namespace removed, ``overrides`` applied) plus ``region``
    from ``aws:region``."""
    config = _stack_file_config(stack_file, overrides)
    namespace = f"{PROJECT_NAME}:"
    raw = {key.removeprefix(namespace): value for key, value in config.items() if key.startswith(namespace)}
    if "aws:region" in config:
        raw["region"] = config["aws:region"]
    return raw


def stack_file_settings(stack_file: Path, overrides: Mapping[str, Any] | None = None) -> StackSettings:
    """The validated settings of a committed stack file (with ``overrides`` of project keys)."""
    return load_settings(raw_stack_config(stack_file, overrides))
