"""Runs the classifier container for each emulated ECS task.

Fargate is not emulated. Each task's image is resolved to a command: by default the image the
task definition names (the program's image stands for the local ``eeg-classifier:sandbox``) runs
as the same entrypoint the image runs (``python -m fbcsp.container``) in a subprocess; with
``docker=True`` it runs as the real image under ``docker run``. Either way the container gets the
task definition's environment merged with the state machine's overrides, exactly the environment
contract of architecture.md §6, and the credentials of the task role if the task definition names
one, as ECS provides them (the program's names none, so its container runs without credentials).
Its memory is bounded as ECS bounds it: by the task's memory (the run's ``memory`` override, else
the task definition's) and the container's hard limit (its container override's ``memory``, else
its definition's). CPU is not limited; the task's CPU units are only reported. The task stops the
way ECS reports it:

* exit code and ``Essential container in task exited`` when the container ends;
* exit 137 and ``OutOfMemoryError: ...`` when its resident memory goes over that bound
  (the subprocess is watched and killed, ``docker run --memory`` does the same);
* ``TaskFailedToStart`` and ``CannotPullContainerError: ...`` when the image cannot be found;
* ``TaskFailedToStart`` and ``CannotStartContainerError: ...`` when launching it fails otherwise;
* ``UserInitiated`` and ``Task stopped by user`` when the launcher stops it (:meth:`ContainerLauncher.stop_all`,
  SIGTERM and then SIGKILL as ``StopTask`` does), whatever its container's exit code.

At most ``max_running`` containers run at once (a local machine is not a Fargate fleet); later
tasks wait in ``RUNNING`` as they would in ``PROVISIONING``.

What an image runs as is resolved in ``container_images.py``; ``container_process.py`` runs one
container's process and reads how it ended.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.ecs.models import Task

from contracts.environment import ContainerVariable
from contracts.task_size import TaskSize

from .container_images import (
    ENTRYPOINT_COMMAND,
    SANDBOX_IMAGE,
    ImageUnavailable,
    docker_image_present,
    docker_run_command,
    pull_failure_reason,
)
from .container_process import run_container_process
from .moto_patches import mark_task_stopped, task_definition_of
from .task_overrides import container_definition, container_memory_mib, task_environment, task_size

CANNOT_START_REASON = "CannotStartContainerError"
#: ECS's stop code and reason for a task stopped through ``StopTask`` without a reason of its own.
USER_STOP_CODE = "UserInitiated"
USER_STOP_REASON = "Task stopped by user"


@dataclass(frozen=True)
class ContainerRun:
    """One container's run, for the timing table (``time.monotonic`` instants).

    ``queued`` is when ECS asked for the task, ``started`` when a slot freed and it started;
    ``task_size`` is the task's CPU units and memory (:func:`task_size`).
    """

    task_id: str
    user_id: str
    session_id: str
    task_size: TaskSize
    queued: float
    started: float
    ended: float
    exit_code: int | None
    reason: str

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def queued_seconds(self) -> float:
        return self.started - self.queued


@dataclass
class ContainerLauncher:
    """Starts a container per task (subprocess or ``docker run``) and stops the task when it exits.

    Parameters
    ----------
    base_environment : mapping
        Variables every container gets (endpoint, credentials, region).
    log_dir : Path
        Each task's output goes to ``{log_dir}/{task id}.log``.
    max_running : int
        Containers running at once; further tasks wait for a slot.
    docker : bool
        Run the real image with ``docker run`` instead of the entrypoint as a subprocess; an image
        the daemon does not hold cannot be pulled (build it with
        ``docker build -t eeg-classifier:sandbox -f classifier_image/Dockerfile .``).
    images : mapping
        Image reference → command, for the subprocess mode. An image not listed cannot be pulled.
    role_environment : callable, optional
        Role ARN → the credential variables of that role; each container gets those of its task
        definition's task role, as ECS provides them.
    on_exit : callable, optional
        Called with each finished :class:`ContainerRun` (progress output).
    """

    base_environment: Mapping[str, str]
    log_dir: Path
    max_running: int = max(1, os.cpu_count() or 1)
    docker: bool = False
    images: Mapping[str, Sequence[str]] = field(default_factory=lambda: {SANDBOX_IMAGE: ENTRYPOINT_COMMAND})
    role_environment: Callable[[str], Mapping[str, str]] | None = None
    on_exit: Callable[[ContainerRun], None] | None = None
    runs: list[ContainerRun] = field(default_factory=list)
    _slots: threading.Semaphore = field(init=False)
    _threads: list[threading.Thread] = field(default_factory=list)
    _processes: list[subprocess.Popen] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.max_running < 1:
            raise ValueError(f"max_running must be at least 1, got {self.max_running}")
        self._slots = threading.Semaphore(self.max_running)

    def command(
        self,
        image: str,
        environment: Mapping[str, str],
        *,
        memory_mib: int,
        container: Mapping[str, Any] | None = None,
    ) -> Sequence[str]:
        """The command that runs ``image`` as the task's ``container`` definition says, within
        ``memory_mib``; raises :class:`ImageUnavailable` when it cannot be had."""
        if self.docker:
            if not docker_image_present(image):
                raise ImageUnavailable(pull_failure_reason(image))
            return docker_run_command(image, environment, memory_mib, container)
        if image not in self.images:
            raise ImageUnavailable(pull_failure_reason(image))
        return self.images[image]

    def start(self, task: Task, overrides: dict[str, Any]) -> None:
        environment = {**self.base_environment, **task_environment(task, overrides)}
        # moto sets the attribute only for a task definition that names a task role.
        task_role_arn = getattr(task_definition_of(task), "task_role_arn", None)
        if self.role_environment is not None and task_role_arn:
            environment.update(self.role_environment(task_role_arn))
        limits = (task_size(task, overrides), container_memory_mib(task, overrides))
        watcher = threading.Thread(
            target=self._run,
            args=(task, environment, limits, time.monotonic()),
            daemon=True,
            name=f"task-{task.id[:8]}",
        )
        with self._lock:
            self._threads.append(watcher)
        watcher.start()

    def _run(
        self, task: Task, environment: dict[str, str], limits: tuple[TaskSize, int], queued: float
    ) -> None:
        size, memory_mib = limits
        with self._slots:
            started = (queued, time.monotonic())
            container = container_definition(task)
            image = container["image"]
            if self._stopping.is_set():
                reason = "Task stopped before its container started"
                self._finish(task, environment, size, started, None, reason, stop_code=USER_STOP_CODE)
                return
            try:
                command = self.command(image, environment, memory_mib=memory_mib, container=container)
                exit_code, reason = run_container_process(
                    command,
                    environment,
                    log_path=self.log_dir / f"{task.id}.log",
                    memory_mib=memory_mib,
                    docker=self.docker,
                    started=self._remember_process,
                )
            except Exception as error:  # noqa: BLE001 - any fault must stop the task, or its execution waits for ever
                if not isinstance(error, ImageUnavailable):
                    error = f"{CANNOT_START_REASON}: {type(error).__name__}: {error}"
                self._finish(task, environment, size, started, None, str(error), stop_code="TaskFailedToStart")
                return
            if self._stopping.is_set():
                self._finish(task, environment, size, started, exit_code, USER_STOP_REASON, stop_code=USER_STOP_CODE)
                return
            self._finish(task, environment, size, started, exit_code, reason)

    def _remember_process(self, process: subprocess.Popen) -> None:
        """Keep a started container process, for :meth:`stop_all` to stop."""
        with self._lock:
            self._processes.append(process)

    def _finish(
        self,
        task: Task,
        environment: Mapping[str, str],
        size: TaskSize,
        started: tuple[float, float],
        exit_code: int | None,
        reason: str,
        *,
        stop_code: str = "EssentialContainerExited",
    ) -> None:
        run = ContainerRun(
            task_id=task.id,
            user_id=environment.get(ContainerVariable.USER_ID, ""),
            session_id=environment.get(ContainerVariable.SESSION_ID, ""),
            task_size=size,
            queued=started[0],
            started=started[1],
            ended=time.monotonic(),
            exit_code=exit_code,
            reason=reason,
        )
        with self._lock:
            self.runs.append(run)
        mark_task_stopped(task, exit_code, reason, stop_code=stop_code)
        if self.on_exit is not None:
            self.on_exit(run)

    def stop_all(self, grace_seconds: float = 5) -> None:
        """Stop every container still running or waiting and wait until each task is marked stopped."""
        self._stopping.set()
        with self._lock:
            processes, threads = list(self._processes), list(self._threads)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for watcher in threads:
            watcher.join(grace_seconds)
        for process in processes:
            if process.poll() is None:
                process.kill()
        for watcher in threads:
            watcher.join()
