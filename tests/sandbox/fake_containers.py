"""Containers that misbehave or wait on purpose, run by the sandbox in place of the classifier image.

``python fake_containers.py MODE COMMAND...`` with the classifier's environment contract (architecture.md
§6); ``COMMAND`` is what the image would run:

* ``crash``: exits 1 without writing anything, like an unexpected error before the manifest;
* ``hog-memory``: allocates until the task's memory limit kills it;
* ``no-manifest``: exits 0 without writing a manifest;
* ``bad-manifest``: writes a ``manifest.json`` that is not the contract's, then exits 0;
* ``hang``: never finishes, until the task is stopped;
* ``gated``: waits at its run's gate (:func:`gate`) until the test opens it, then runs ``COMMAND``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

from contracts.manifest import MANIFEST_NAME, RESULT_FILES
from contracts.run_access import RunAccess


def crash() -> int:
    print("classifier: unexpected failure while loading", file=sys.stderr)
    return 1


def hog_memory() -> int:
    chunks = []
    while True:
        chunks.append(b"x" * 32 * 1024 * 1024)


def no_manifest() -> int:
    return 0


def bad_manifest() -> int:
    # Through the run's URL, as the real container writes: it has no credentials.
    request = urllib.request.Request(  # noqa: S310 - the emulator's URL the run was given
        RunAccess.decode(os.environ["RUN_ACCESS"]).results[MANIFEST_NAME],
        data=b'{"status": "succeeded", "outputs": "everything went fine"}',
        method="PUT",
        headers={"Content-Type": RESULT_FILES[MANIFEST_NAME]},
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310
        return 0


def hang() -> int:
    threading.Event().wait()
    return 0


#: The container variable naming the folder where gated containers and the test meet.
GATES_VARIABLE = "SANDBOX_TEST_GATES"
# Longer than a test waits before it opens a gate: the gate only ends a container whose test has gone.
GATE_TIMEOUT_SECONDS = 900
GATE_CLOSED_EXIT_CODE = 3


def gate(gates: Path, run_id: str) -> tuple[Path, Path]:
    """The file a gated run's container creates once it waits, and the one that lets it go on."""
    return gates / f"{run_id}.waiting", gates / f"{run_id}.open"


def gated() -> int:
    waiting, opened = gate(Path(os.environ[GATES_VARIABLE]), os.environ["RUN_ID"])
    waiting.touch()
    deadline = time.monotonic() + GATE_TIMEOUT_SECONDS
    while not opened.exists():
        if time.monotonic() > deadline:
            print(f"gate {opened} not opened within {GATE_TIMEOUT_SECONDS} s", file=sys.stderr)
            return GATE_CLOSED_EXIT_CODE
        time.sleep(0.1)
    command = sys.argv[2:]
    os.execv(command[0], command)  # noqa: S606 - the image's own command, with this environment


MODES = {
    "crash": crash,
    "hog-memory": hog_memory,
    "no-manifest": no_manifest,
    "bad-manifest": bad_manifest,
    "hang": hang,
    "gated": gated,
}

if __name__ == "__main__":
    sys.exit(MODES[sys.argv[1]]())
