"""Open a page in headless Chromium and read what loaded, over the DevTools protocol on a pipe.

Chromium's ``--remote-debugging-pipe`` reads NUL-terminated JSON commands on fd 3 and writes
answers and events on fd 4, so no port and no websocket library are needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from typing import Any

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
#: How long Chromium gets to close itself before what is left of it is killed.
_CLOSE_SECONDS = 10.0


def browser_path() -> str | None:
    """The first headless-capable Chromium on PATH, or ``None``."""
    return next((path for path in map(shutil.which, BROWSER_NAMES) if path), None)


class HeadlessChromium:
    """One browser process; use as a context manager."""

    def __init__(self, executable: str, timeout_seconds: float = 60) -> None:
        self._timeout = timeout_seconds
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()

        def use_pipe_fds() -> None:
            # Copies first: either pipe end may itself be fd 3 or 4 and be overwritten by the other.
            commands_copy, answers_copy = os.dup(commands_read), os.dup(answers_write)
            os.dup2(commands_copy, 3)
            os.dup2(answers_copy, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self._process = subprocess.Popen(  # noqa: S603 - a browser found on PATH, fixed arguments
            [
                executable,
                "--headless",
                "--no-sandbox",  # the tests run as root
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Fds 3 and 4 are made inheritable; every other descriptor Python opened is not
            # (PEP 446), so keeping the open ones passes on just these two.
            preexec_fn=use_pipe_fds,  # noqa: PLW1509 - only dup2, before exec
            close_fds=False,
            # its own process group, so that its helper processes can be stopped with it
            start_new_session=True,
        )
        os.close(commands_read)
        os.close(answers_write)
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> HeadlessChromium:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Killing only the browser process left its helpers writing into the profile while it was
        # removed ("Directory not empty: 'Default'"). Closed over DevTools, Chromium stops them and
        # exits; whatever of its process group is left is killed before the profile goes.
        with contextlib.suppress(TimeoutError, ConnectionError, OSError, RuntimeError):
            self._timeout = min(self._timeout, _CLOSE_SECONDS)
            self.send("Browser.close")
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=_CLOSE_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=30)
        os.close(self._commands)
        os.close(self._answers)
        self._profile.cleanup()

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._answers], [], [], remaining)[0]:
                raise TimeoutError("headless Chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise ConnectionError("headless Chromium closed its DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, session_id: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events met meanwhile are kept)."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session_id:
            command["sessionId"] = session_id
        os.write(self._commands, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + self._timeout
        while True:
            message = self._message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for_event(self, method: str, session_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        while True:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session_id:
                    self._events.remove(event)
                    return event.get("params", {})
            self._events.append(self._message(deadline))

    def blank_page(self) -> str:
        """Open a new tab on ``about:blank``; returns the tab's session id."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        return self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def open_page(self, url: str) -> str:
        """Open ``url`` in a new tab, wait for its load event; returns the tab's session id."""
        session_id = self.blank_page()
        self.send("Page.enable", session_id)
        navigation = self.send("Page.navigate", session_id, url=url)
        if navigation.get("errorText"):
            raise RuntimeError(f"could not open {url}: {navigation['errorText']}")
        self.wait_for_event("Page.loadEventFired", session_id)
        return session_id

    def evaluate(self, session_id: str, expression: str) -> Any:
        """The JSON value of ``expression`` in the page (promises awaited)."""
        result = self.send(
            "Runtime.evaluate", session_id, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"the page's script failed: {result['exceptionDetails']}")
        return result["result"].get("value")
