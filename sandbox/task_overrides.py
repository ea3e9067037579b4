"""What an emulated ECS task runs: its container definition with the run's overrides applied, as
ECS applies them (environment, task size, the container's memory limit), and how long ECS lets it
take to stop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.ecs.models import Task

from contracts.task_size import TaskSize

from .moto_patches import task_definition_of

#: ECS's stop timeout for a Fargate container whose definition sets no ``stopTimeout``.
DEFAULT_STOP_TIMEOUT_SECONDS = 30


def container_definition(task: Task) -> dict[str, Any]:
    return task_definition_of(task).container_definitions[0]


def _container_overrides(task: Task, overrides: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    name = container_definition(task)["name"]
    return [item for item in overrides.get("containerOverrides", []) if item.get("name") == name]


def task_environment(task: Task, overrides: Mapping[str, Any]) -> dict[str, str]:
    """The container definition's environment with the run's container overrides applied on top."""
    environment = {item["name"]: item["value"] for item in container_definition(task).get("environment") or []}
    for container_override in _container_overrides(task, overrides):
        environment.update({item["name"]: item["value"] for item in container_override.get("environment", [])})
    return environment


def task_size(task: Task, overrides: Mapping[str, Any]) -> TaskSize:
    """The task's CPU units and memory: the run's task-level overrides, else the task definition's."""
    definition = task_definition_of(task)
    return TaskSize(int(overrides.get("cpu") or definition.cpu), int(overrides.get("memory") or definition.memory))


def container_memory_mib(task: Task, overrides: Mapping[str, Any]) -> int:
    """The most memory the task's container may use: the task's memory, or the container's hard
    limit (its override's, else its definition's) when that is lower."""
    overridden = [item["memory"] for item in _container_overrides(task, overrides) if item.get("memory")]
    container_limit = overridden[-1] if overridden else container_definition(task).get("memory")
    task_memory = task_size(task, overrides).memory_mib
    return min(task_memory, int(container_limit)) if container_limit else task_memory


def stop_timeout_seconds(task: Task) -> int:
    """Seconds from the SIGTERM of a stopped task's container to its SIGKILL: the container definition's
    ``stopTimeout``, else ECS's default."""
    return int(container_definition(task).get("stopTimeout") or DEFAULT_STOP_TIMEOUT_SECONDS)
