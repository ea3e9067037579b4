"""Polling a session until it is final, with backoff, reporting each status change."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from .api import TERMINAL_STATUSES

FIRST_DELAY_SECONDS = 0.5
BACKOFF_FACTOR = 1.5
LONGEST_DELAY_SECONDS = 10.0


class SessionTimeout(Exception):
    """The session was not final when the time ran out."""

    def __init__(self, session_id: str, waited_seconds: float, last_status: str | None) -> None:
        where = last_status or "not yet registered by the pipeline (upload event not processed)"
        super().__init__(
            f"timed out after {waited_seconds:.0f} s waiting for session {session_id}: it was {where}"
        )
        self.session_id = session_id
        self.last_status = last_status


def backoff_delays(
    first: float = FIRST_DELAY_SECONDS, factor: float = BACKOFF_FACTOR, longest: float = LONGEST_DELAY_SECONDS
) -> Iterator[float]:
    """Waits between polls: ``first``, then ``factor`` times longer each time, never above ``longest``."""
    delay = first
    while True:
        yield delay
        delay = min(delay * factor, longest)


def follow_session(
    session_id: str,
    read_view: Callable[[], dict[str, Any] | None],
    *,
    timeout_seconds: float,
    on_change: Callable[[dict[str, Any] | None], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll ``read_view`` until the session is final and return its view, or raise :class:`SessionTimeout`.

    ``on_change(view)`` is called for the first answer and at each status change.
    """
    started = clock()
    delays = backoff_delays()
    last_status: object = object()
    while True:
        view = read_view()
        status = view.get("status") if view else None
        elapsed = clock() - started
        if status != last_status:
            on_change(view)
            last_status = status
        if status in TERMINAL_STATUSES:
            return view
        remaining = timeout_seconds - elapsed
        if remaining <= 0:
            raise SessionTimeout(session_id, elapsed, status)
        sleep(min(next(delays), remaining))
