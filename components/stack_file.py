"""Reads a committed stack file (``Pulumi.<stack>.yaml``) into the raw values :func:`load_settings` takes.

The sandbox builds its emulated stack from ``Pulumi.dev.yaml`` this way, so its task size, timeouts and
queue settings are the deployed ones rather than a second copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.config import PROJECT_NAME, StackSettings, load_settings


def raw_stack_config(stack_file: Path) -> dict[str, Any]:
    """The project's config keys of ``stack_file`` (namespace removed) plus ``region`` from ``aws:region``."""
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    namespace = f"{PROJECT_NAME}:"
    raw = {key.removeprefix(namespace): value for key, value in config.items() if key.startswith(namespace)}
    if "aws:region" in config:
        raw["region"] = config["aws:region"]
    return raw


def stack_file_settings(stack_file: Path) -> StackSettings:
    """The validated settings of a committed stack file."""
    return load_settings(raw_stack_config(stack_file))
