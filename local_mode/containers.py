"""Runs the classifier container's entrypoint for each emulated ECS task.

Fargate is not emulated: the same entrypoint the image runs (``python -m fbcsp.container``)
starts as a subprocess with the task definition's environment merged with the state machine's
overrides, exactly the environment contract of architecture.md §6. The task's memory size is
enforced the way Fargate does it: a container whose resident memory exceeds it is killed and
reported with exit code 137 and an ``OutOfMemoryError`` stop reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.ecs.models import Task

from .moto_patches import mark_task_stopped

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTAINER_COMMAND = (sys.executable, "-m", "fbcsp.container")
OOM_EXIT_CODE = 137
_POLL_SECONDS = 0.1


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


def task_environment(task: Task, overrides: Mapping[str, Any]) -> dict[str, str]:
    """The container definition's environment with the run's container overrides applied on top."""
    definition = task._backend.describe_task_definition(task.task_definition_arn)
    container = definition.container_definitions[0]
    environment = {item["name"]: item["value"] for item in container.get("environment") or []}
    for container_override in overrides.get("containerOverrides", []):
        if container_override.get("name") == container["name"]:
            environment.update({item["name"]: item["value"] for item in container_override.get("environment", [])})
    return environment


@dataclass
class SubprocessLauncher:
    """Starts one entrypoint subprocess per task and stops the task when it exits.

    Parameters
    ----------
    base_environment : mapping
        Variables every container gets (endpoint, credentials, region, ``PYTHONPATH``).
    memory_limit_mib : int
        Resident memory above which a container is killed as out of memory.
    log_dir : Path
        Each task's stdout/stderr go to ``{log_dir}/{task id}.log``.
    on_exit : callable, optional
        Called with ``(task, exit_code, reason)`` after a task stops (progress output).
    """

    base_environment: Mapping[str, str]
    memory_limit_mib: int
    log_dir: Path
    on_exit: Callable[[Task, int, str], None] | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, task: Task, overrides: dict[str, Any]) -> None:
        environment = {**os.environ, **self.base_environment, **task_environment(task, overrides)}
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{task.id}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
                CONTAINER_COMMAND, env=environment, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        self._processes.append(process)
        watcher = threading.Thread(target=self._watch, args=(task, process), daemon=True, name=f"task-{task.id}")
        self._threads.append(watcher)
        watcher.start()

    def _watch(self, task: Task, process: subprocess.Popen) -> None:
        killed_for_memory = False
        while process.poll() is None:
            if resident_mebibytes(process.pid) > self.memory_limit_mib:
                process.send_signal(signal.SIGKILL)
                killed_for_memory = True
            time.sleep(_POLL_SECONDS)
        if killed_for_memory:
            exit_code, reason = OOM_EXIT_CODE, "OutOfMemoryError: Container killed due to memory usage"
        elif process.returncode < 0:
            exit_code, reason = 128 - process.returncode, f"Container killed by signal {-process.returncode}"
        else:
            exit_code, reason = process.returncode, "Essential container in task exited"
        mark_task_stopped(task, exit_code, reason)
        if self.on_exit is not None:
            self.on_exit(task, exit_code, reason)

    def stop_all(self, grace_seconds: float = 5) -> None:
        """Stop every container still running and wait until each task is marked stopped."""
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for watcher in self._threads:
            watcher.join(grace_seconds)
        for process in self._processes:
            if process.poll() is None:
                process.kill()
        for watcher in self._threads:
            watcher.join()
