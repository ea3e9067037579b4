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


class ExitCodeLauncher:
    """Stands in for the container: exits with the code the run's overrides ask for."""

    def __init__(self):
        self.started = []
        self.limits = []

    def start(self, task, overrides):
        environment = task_environment(task, overrides)
        self.started.append(environment)
        self.limits.append((task_size(task, overrides), container_memory_mib(task, overrides)))
        code = int(environment["EXIT_WITH"])
        threading.Timer(0.2, moto_patches.mark_task_stopped, (task, code, "Essential container in task exited")).start()

