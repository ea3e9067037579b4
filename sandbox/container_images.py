"""What an emulated task's image runs as: the sandbox's image and the classifier entrypoint that stands
for it, ``docker run`` of a real image, and the stopped reason ECS gives for an image it cannot pull."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

#: The image reference the sandbox's task definition names.
SANDBOX_IMAGE = "eeg-classifier:sandbox"
ENTRYPOINT_COMMAND = (sys.executable, "-m", "fbcsp.container")


class ImageUnavailable(Exception):
    """The task's image cannot be pulled; the message is the stopped reason ECS would give."""


def pull_failure_reason(image: str) -> str:
    return (
        f"CannotPullContainerError: pull image manifest has been retried 1 time(s): "
        f"failed to resolve ref {image}: not found"
    )


def docker_available() -> bool:
    """Whether a Docker CLI is installed and its daemon answers."""
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False)  # noqa: S603, S607
    return probe.returncode == 0


def docker_image_present(image: str) -> bool:
    """Whether the Docker daemon holds ``image`` (the sandbox never pulls: it is offline)."""
    probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True, check=False)  # noqa: S603, S607
    return probe.returncode == 0


def docker_run_command(
    image: str, environment: Mapping[str, str], memory_mib: int, container: Mapping[str, Any] | None = None
) -> list[str]:
    """``docker run`` of ``image`` with the task's environment and memory, on the host network.

    The host network lets the container reach the emulator on 127.0.0.1, as a Fargate task
    reaches AWS endpoints. From the task's ``container`` definition: a read-only root filesystem, an init
    process (``initProcessEnabled`` is ``--init``), and each mount point as a fresh volume (a Fargate task
    volume starts empty and ends with the task).
    """
    command = ["docker", "run", "--rm", "--pull", "never", "--network", "host", "--memory", f"{memory_mib}m"]
    container = container or {}
    if container.get("readonlyRootFilesystem"):
        command.append("--read-only")
    if (container.get("linuxParameters") or {}).get("initProcessEnabled"):
        command.append("--init")
    for mount in container.get("mountPoints") or []:
        command += ["--volume", mount["containerPath"]]
    for name, value in sorted(environment.items()):
        command += ["--env", f"{name}={value}"]
    return [*command, image]
