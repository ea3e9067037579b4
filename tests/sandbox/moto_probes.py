"""The probe handler, credentials and container stand-in the moto patch tests run the adjusted moto with."""

from __future__ import annotations

import threading

from sandbox import moto_patches
from sandbox.task_overrides import container_memory_mib, task_environment, task_size


class ProbeError(Exception):
    """Raised by the probe handler; its class name must become the state's error name."""


def probe_dispatch(function, event):
    if event.get("fail"):
        raise ProbeError(f"{function.name} was asked to fail")
    return {"handledBy": function.name, "received": event}


def probe_credentials(role_arn):
    """Any keys do while IAM is not enforced."""
    return ("probe-key", f"secret-of-{role_arn}", None)


def adjusted(launcher, denials=None):
    return moto_patches.adjusted_moto(
        probe_dispatch, launcher, probe_credentials, (denials if denials is not None else []).append
    )


#: The ``EXIT_WITH`` of a container that runs until its task is stopped.
UNTIL_STOPPED = "until-stopped"
SIGTERM_EXIT_CODE = 143


class ExitCodeLauncher:
    """Stands in for the container: exits with the code the run's overrides ask for, or runs until its
    task is stopped and then exits as on SIGTERM."""

    def __init__(self):
        self.started = []
        self.limits = []
        self.tasks = []
        self.stopped = []

    def start(self, task, overrides):
        environment = task_environment(task, overrides)
        self.started.append(environment)
        self.tasks.append(task)
        self.limits.append((task_size(task, overrides), container_memory_mib(task, overrides)))
        if environment["EXIT_WITH"] != UNTIL_STOPPED:
            exited = (task, int(environment["EXIT_WITH"]), "Essential container in task exited")
            threading.Timer(0.2, moto_patches.mark_task_stopped, exited).start()

    def stop(self, task, reason):
        self.stopped.append((task.id, reason))
        stopped = (task, SIGTERM_EXIT_CODE, reason or "Task stopped by user")
        threading.Timer(0.2, moto_patches.mark_task_stopped, stopped, {"stop_code": "UserInitiated"}).start()

