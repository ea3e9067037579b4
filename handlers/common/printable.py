"""Text from an upload or a container as the status keeps it, and the API answers it: one printable line.

A failure message or a report warning can quote an upload (its channel names, its file's words),
and every client shows it: a terminal client prints it, where an escape character would move the
cursor or retitle the window and a bidirectional override would reverse what follows.
"""

from typing import Any


def printable_line(text: str) -> str:
    """``text`` with every character that is not printable (controls, line breaks, bidirectional
    and other format characters) made a space, and each run of spaces made one."""
    return " ".join("".join(character if character.isprintable() else " " for character in text).split())


def printable_texts(value: Any) -> Any:
    """``value`` with every text in it, through lists and objects, made a :func:`printable_line` (the
    objects' keys are kept): for a status item that code older than :func:`printable_line` wrote."""
    if isinstance(value, str):
        return printable_line(value)
    if isinstance(value, list):
        return [printable_texts(entry) for entry in value]
    if isinstance(value, dict):
        return {key: printable_texts(entry) for key, entry in value.items()}
    return value
