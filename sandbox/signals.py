"""SIGINT and SIGTERM stop a sandbox command cleanly, whatever signal disposition it inherited.

A background job of a non-interactive shell (``serve &`` in a script) starts with SIGINT ignored, and
Python keeps an inherited ``SIG_IGN``, so relying on ``KeyboardInterrupt`` would leave such a
process deaf to Ctrl-C; SIGTERM would end it without stopping its containers. Both signals raise
:class:`Stopped` in the main thread instead, so ``with`` blocks unwind: the Status API server, the
emulator and every running container are stopped.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(BaseException):  # noqa: N818 - a request to stop, not an error
    """A stop signal arrived; ``signum`` says which.

    A ``BaseException``, as ``KeyboardInterrupt`` is: the signal can arrive in the middle of library
    code that catches ``Exception`` (botocore does so around every HTTP request and retries it), which
    would swallow the request to stop while the handler has already ignored any further signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    # Only the first signal interrupts: another one during the shutdown must not cut it short and
    # leave containers running.
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    raise Stopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Stopped`; the previous handlers come back after it."""
    previous = {stop_signal: signal.signal(stop_signal, _raise_stopped) for stop_signal in STOP_SIGNALS}
    try:
        yield
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)


def report_stopped(stopped: Stopped) -> int:
    """Say that the command stopped, and return its exit code (128 + the signal's number, as a shell's)."""
    print(f"{stopped}: stopped before the end", file=sys.stderr, flush=True)
    return 128 + stopped.signum


def run_stoppable(load_command: Callable[[], Callable[[], int]]) -> int:
    """Load a command and run it, both with stop signals raising :class:`Stopped`; its exit code.

    Loading (the imports) takes about a second: a signal then, before the command installs its own
    handlers, was lost where SIGINT is inherited ignored, leaving the command to run on, and ended in a
    ``KeyboardInterrupt`` traceback elsewhere.
    """
    with stop_on_signals():
        try:
            return load_command()()
        except Stopped as stopped:
            return report_stopped(stopped)


@contextmanager
def stop_deferred() -> Iterator[None]:
    """Within the block, a stop signal waits for the block's end, and is then raised again for the handler
    in place before it.

    For code that runs its own event loop (Pulumi's runtime while the program is deployed): a
    :class:`Stopped` raised inside one of the loop's callbacks breaks the loop and prints asyncio's
    traceback before the command stops. Outside the main thread (where no handler can be set) the
    block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {stop_signal: signal.signal(stop_signal, _hold(received)) for stop_signal in STOP_SIGNALS}
    try:
        yield
    finally:
        for stop_signal, handler in previous.items():
            signal.signal(stop_signal, handler)
    if received:
        signal.raise_signal(received[0])


def _hold(received: list[int]) -> Callable[[int, FrameType | None], None]:
    def hold(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)

    return hold
