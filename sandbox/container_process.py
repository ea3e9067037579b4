"""One emulated task's container process: its environment (never the sandbox's own credentials), its
memory watched as ECS bounds it, the exit code and stopped reason ECS reports when it ends, and its
stop as ECS stops a container."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from contracts.failures import ExitCode

REPO_ROOT = Path(__file__).resolve().parent.parent
#: fbcsp and the contracts package it imports, as the image holds them under /app.
CLASSIFIER_PYTHON_PATH = os.pathsep.join((str(REPO_ROOT / "classifier_image"), str(REPO_ROOT)))
#: What the sandbox's own process holds (the administrator's keys) and a container never inherits:
#: it gets its task role's credentials, or none when the task definition names no task role.
CREDENTIAL_VARIABLES = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"})
OOM_EXIT_CODE = ExitCode.KILLED
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
_POLL_SECONDS = 0.05


def resident_mebibytes(pid: int) -> float:
    """Resident set size of a live process in MiB (0 once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_container_process(
    command: Sequence[str],
    environment: Mapping[str, str],
    *,
    log_path: Path,
    memory_mib: int,
    docker: bool,
    started: Callable[[subprocess.Popen], None],
) -> tuple[int, str]:
    """Run one container's ``command`` with ``environment`` (output to ``log_path``) until it ends; its exit
    code and the reason ECS gives. ``started`` gets the process as soon as it runs (to stop it early). A
    subprocess is killed when its resident memory goes over ``memory_mib``; ``docker run`` enforces that
    itself."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    inherited = {name: value for name, value in os.environ.items() if name not in CREDENTIAL_VARIABLES}
    process_environment = {**inherited, "PYTHONPATH": CLASSIFIER_PYTHON_PATH, **environment}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
            command, env=process_environment, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
        )
    started(process)
    killed_for_memory = False
    while process.poll() is None:
        if not docker and resident_mebibytes(process.pid) > memory_mib:
            process.send_signal(signal.SIGKILL)
            killed_for_memory = True
            process.wait()
            break
        time.sleep(_POLL_SECONDS)
    if killed_for_memory or (docker and process.returncode == OOM_EXIT_CODE):
        return OOM_EXIT_CODE, OOM_REASON
    if process.returncode < 0:
        return 128 - process.returncode, f"Container killed by signal {-process.returncode}"
    return process.returncode, "Essential container in task exited"


def _kill_if_running(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()


def terminate(process: subprocess.Popen, stop_timeout_seconds: float) -> None:
    """Stop a container's process as ECS stops a container: SIGTERM now, and SIGKILL after
    ``stop_timeout_seconds`` if it is still running then. Does not wait."""
    process.terminate()
    killer = threading.Timer(stop_timeout_seconds, _kill_if_running, (process,))
    killer.daemon = True
    killer.start()
