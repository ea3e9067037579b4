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
* ``UserInitiated`` and the stop's reason (``Task stopped by user`` unless ``StopTask`` gave one) when
  it is stopped, whatever its container's exit code: one task through :meth:`ContainerLauncher.stop`
  (``StopTask``, which Step Functions calls for the task of a stopped execution), every task through
  :meth:`ContainerLauncher.stop_all` (the sandbox's exit). As ECS does, the container gets SIGTERM and,
  if it is still running after the stop timeout, SIGKILL; a task still waiting for a slot never starts.

At most ``max_running`` containers run at once (a local machine is not a Fargate fleet); later
tasks wait in ``RUNNING`` as they would in ``PROVISIONING``.

What an image runs as is resolved in ``container_images.py``; ``container_process.py`` runs one
container's process and reads how it ended.
"""

from __future__ import annotations

import functools
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
from .container_process import run_container_process, terminate
from .moto_patches import mark_task_stopped, task_definition_of
from .task_overrides import (
    container_definition,
    container_memory_mib,
    stop_timeout_seconds,
    task_environment,
    task_size,
)

CANNOT_START_REASON = "CannotStartContainerError"
#: ECS's stop code and reason for a task stopped through ``StopTask`` without a reason of its own.
USER_STOP_CODE = "UserInitiated"
USER_STOP_REASON = "Task stopped by user"
UNSTARTED_STOP_REASON = "Task stopped before its container started"


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
    _threads: list[threading.Thread] = field(default_factory=list)
    # Task id → its container's process, and → the reason of a stop asked for it (StopTask).
    _processes: dict[str, subprocess.Popen] = field(default_factory=dict, init=False)
    _stop_reasons: dict[str, str] = field(default_factory=dict, init=False)
    _stopping_all: bool = field(default=False, init=False)
    _running: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Notified when a slot frees or a stop is asked, which a task waiting for a slot must see.
    _changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        if self.max_running < 1:
            raise ValueError(f"max_running must be at least 1, got {self.max_running}")
        self._changed = threading.Condition(self._lock)

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
        unstarted_reason = self._take_slot(task.id)
        if unstarted_reason is not None:
            stopped = (queued, time.monotonic())
            self._finish(task, environment, size, stopped, None, unstarted_reason, stop_code=USER_STOP_CODE)
            return
        try:
            started = (queued, time.monotonic())
            container = container_definition(task)
            try:
                command = self.command(container["image"], environment, memory_mib=memory_mib, container=container)
                exit_code, reason = run_container_process(
                    command,
                    environment,
                    log_path=self.log_dir / f"{task.id}.log",
                    memory_mib=memory_mib,
                    docker=self.docker,
                    started=functools.partial(self._remember_process, task),
                )
            except Exception as error:  # noqa: BLE001 - any fault must stop the task, or its execution waits for ever
                if not isinstance(error, ImageUnavailable):
                    error = f"{CANNOT_START_REASON}: {type(error).__name__}: {error}"
                self._finish(task, environment, size, started, None, str(error), stop_code="TaskFailedToStart")
                return
            with self._lock:
                stop_reason = self._stop_reasons.get(task.id, USER_STOP_REASON if self._stopping_all else None)
            if stop_reason is not None:
                self._finish(task, environment, size, started, exit_code, stop_reason, stop_code=USER_STOP_CODE)
                return
            self._finish(task, environment, size, started, exit_code, reason)
        finally:
            self._free_slot()

    def _stop_asked(self, task_id: str) -> bool:
        """Whether the task is to stop (call with the lock held)."""
        return self._stopping_all or task_id in self._stop_reasons

    def _take_slot(self, task_id: str) -> str | None:
        """Wait for a free slot and take it (``None``); if the task is stopped first, the stop's reason."""
        with self._changed:
            self._changed.wait_for(lambda: self._running < self.max_running or self._stop_asked(task_id))
            if self._stop_asked(task_id):
                return self._stop_reasons.get(task_id, UNSTARTED_STOP_REASON)
            self._running += 1
            return None

    def _free_slot(self) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    def _remember_process(self, task: Task, process: subprocess.Popen) -> None:
        """Keep a started container process, to stop it; stop it now if its task was stopped meanwhile."""
        with self._lock:
            self._processes[task.id] = process
            stop_now = self._stop_asked(task.id)
        if stop_now:
            terminate(process, stop_timeout_seconds(task))

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

    def stop(self, task: Task, reason: str | None = None) -> None:
        """Stop one task as ``StopTask`` does, without waiting for it: its container gets SIGTERM now and
        SIGKILL after its stop timeout (a task still waiting for a slot never starts), and the task is
        marked stopped (``UserInitiated``, ``reason``, else ECS's default reason) once its container has
        ended. A task asked to stop already is left as it is."""
        with self._changed:
            if task.id in self._stop_reasons:
                return
            self._stop_reasons[task.id] = reason or USER_STOP_REASON
            process = self._processes.get(task.id)
            self._changed.notify_all()
        if process is not None:
            terminate(process, stop_timeout_seconds(task))

    def stop_all(self, grace_seconds: float = 5) -> None:
        """Stop every container still running or waiting and wait until each task is marked stopped."""
        with self._changed:
            self._stopping_all = True
            processes, threads = list(self._processes.values()), list(self._threads)
            self._changed.notify_all()
        for process in processes:
            terminate(process, grace_seconds)
        for watcher in threads:
            watcher.join()
