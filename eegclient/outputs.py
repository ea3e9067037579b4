"""Stack outputs in the shape ``pulumi stack output --json`` prints: one JSON object, name → value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

API_URL_OUTPUT = "apiUrl"


class OutputsError(Exception):
    """The stack outputs file is missing, not JSON, or lacks what the client needs."""


def parse_outputs(text: str, source: str) -> dict[str, Any]:
    """The outputs object in ``text``; ``source`` names it in error messages."""
    try:
        outputs = json.loads(text)
    except ValueError as error:
        raise OutputsError(
            f"{source} is not JSON ({error}); write it with `pulumi stack output --json`"
        ) from error
    if not isinstance(outputs, dict):
        raise OutputsError(
            f"{source} must hold a JSON object of stack outputs, as `pulumi stack output --json`"
        )
    return outputs


def load_outputs(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as error:
        raise OutputsError(f"cannot read the stack outputs {path}: {error.strerror or error}") from error
    return parse_outputs(text, str(path))


def api_url(outputs: dict[str, Any]) -> str:
    """The Status API's base URL (no trailing slash)."""
    url = outputs.get(API_URL_OUTPUT)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise OutputsError(f"the stack outputs have no usable {API_URL_OUTPUT!r} (got {url!r})")
    return url.rstrip("/")
