"""Text from an upload or a container as the status keeps it: one printable line.

A failure message or a report warning can quote an upload (its channel names, its file's words),
and every client shows it: a terminal client prints it, where an escape character would move the
cursor or retitle the window and a bidirectional override would reverse what follows.
"""


def printable_line(text: str) -> str:
    """``text`` with every character that is not printable (controls, line breaks, bidirectional
    and other format characters) made a space, and each run of spaces made one."""
    return " ".join("".join(character if character.isprintable() else " " for character in text).split())
