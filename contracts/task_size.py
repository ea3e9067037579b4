"""Fargate task sizes and the size each classifier run gets.

A stack configures a default task size (``taskCpu`` / ``taskMemory``) and the most memory one run
may be given (``taskMemoryMax``). Validate sizes each run with :func:`size_for` from the run's
predicted peak memory (:mod:`contracts.task_memory`, margin included); the state machine hands
that size to ``RunTask`` as task-level ``Cpu``/``Memory`` overrides and as the classifier
container's memory; the status record keeps it under ``SessionAttribute.TASK_SIZE``. A run is
refused only when its need exceeds the maximum.

The prediction can fall short (denser cues than it assumes), so Validate also gives the size of one
retry (:func:`retry_size_for`): when the first task runs out of memory, the state machine runs the
classifier once more in that size (``RETRY_TASK_SIZE_KEY``), if the maximum leaves room for one.
An execution retries once at most, in that bigger size or, after a task that failed to start, in the
same size: either way the state machine then makes ``retryTaskSize`` equal to ``taskSize``, which
Validate never gives (its retry size is bigger, or ``None``), and RecordFailure reads that as the retry
spent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Fargate task sizes: memory (MiB) accepted for each cpu value (CPU units).
FARGATE_MEMORY_BY_CPU: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

#: CPU units of one vCPU.
CPU_UNITS_PER_VCPU = 1024

LARGEST_FARGATE_MEMORY_MIB = max(max(memories) for memories in FARGATE_MEMORY_BY_CPU.values())

#: The state's field holding Validate's output: the upload's facts and the run's task sizes.
VALIDATION_FIELD = "validation"
VALIDATION_PATH = f"$.{VALIDATION_FIELD}"
#: Key of the size in Validate's output (``$.validation``) and in the status record.
TASK_SIZE_KEY = "taskSize"
#: Key in Validate's output of the size of the one retry after running out of memory, or ``None``; equal to
#: ``taskSize`` once the execution's retry is spent.
RETRY_TASK_SIZE_KEY = "retryTaskSize"
#: How much more memory the retry asks for than the task that ran out of it.
RETRY_MEMORY_FACTOR = 2
#: :class:`TaskSize` field → its name in JSON.
TASK_SIZE_JSON_NAMES = {"cpu": "cpu", "memory_mib": "memoryMiB"}


@dataclass(frozen=True)
class TaskSize:
    """A Fargate task size: CPU units and memory in MiB."""

    cpu: int
    memory_mib: int

    def to_dict(self) -> dict[str, int]:
        return {json_name: getattr(self, field_name) for field_name, json_name in TASK_SIZE_JSON_NAMES.items()}

    @property
    def is_fargate_size(self) -> bool:
        return self.memory_mib in FARGATE_MEMORY_BY_CPU.get(self.cpu, ())

    def __str__(self) -> str:
        return f"{self.cpu} CPU units, {self.memory_mib} MiB"


def task_size_path(result_path: str, field_name: str) -> str:
    """JSONPath of a :class:`TaskSize` field in a state whose Validate result is at ``result_path``
    (``task_size_path("$.validation", "memory_mib")`` → ``$.validation.taskSize.memoryMiB``)."""
    return f"{result_path}.{TASK_SIZE_KEY}.{TASK_SIZE_JSON_NAMES[field_name]}"


def fargate_sizes(default: TaskSize, maximum_memory_mib: int) -> list[TaskSize]:
    """Every Fargate size with at least the default's CPU and memory and at most
    ``maximum_memory_mib``, smallest first (by memory, then CPU)."""
    sizes = [
        TaskSize(cpu, memory)
        for cpu, memories in FARGATE_MEMORY_BY_CPU.items()
        for memory in memories
        if cpu >= default.cpu and default.memory_mib <= memory <= maximum_memory_mib
    ]
    return sorted(sizes, key=lambda size: (size.memory_mib, size.cpu))


def maximum_size(default: TaskSize, maximum_memory_mib: int) -> TaskSize:
    """The largest size a run may get: ``maximum_memory_mib`` with the least CPU Fargate allows
    for it (and at least the default's).

    Raises
    ------
    ValueError
        The default is not a Fargate size, or no Fargate size with at least the default's CPU has
        exactly ``maximum_memory_mib``, or that is less than the default's memory.
    """
    if not default.is_fargate_size:
        raise ValueError(f"the default task size ({default}) is not a Fargate size")
    if maximum_memory_mib < default.memory_mib:
        raise ValueError(
            f"the maximum task memory {maximum_memory_mib} MiB is below the default task's {default.memory_mib} MiB"
        )
    allowed = fargate_sizes(default, LARGEST_FARGATE_MEMORY_MIB)
    at_maximum = [size for size in allowed if size.memory_mib == maximum_memory_mib]
    if not at_maximum:
        below = [size.memory_mib for size in allowed if size.memory_mib < maximum_memory_mib]
        above = [size.memory_mib for size in allowed if size.memory_mib > maximum_memory_mib]
        nearest = " and ".join(str(memory) for memory in (below[-1:] + above[:1]))
        raise ValueError(
            f"no Fargate task with at least {default.cpu} CPU units has {maximum_memory_mib} MiB "
            f"(the nearest sizes are {nearest} MiB)"
        )
    return at_maximum[0]


def size_for(need_mib: float, default: TaskSize, maximum_memory_mib: int) -> TaskSize | None:
    """The smallest Fargate size holding ``need_mib`` (the prediction, margin included), at least
    ``default`` and at most :func:`maximum_size`; ``None`` when the need exceeds the maximum."""
    maximum = maximum_size(default, maximum_memory_mib)
    fitting = [
        size
        for size in fargate_sizes(default, maximum_memory_mib)
        if size.memory_mib >= need_mib and size.cpu <= maximum.cpu
    ]
    return fitting[0] if fitting else None


def retry_size_for(first: TaskSize, default: TaskSize, maximum_memory_mib: int) -> TaskSize | None:
    """The size of the retry of a run whose task of size ``first`` ran out of memory:
    :func:`size_for` :data:`RETRY_MEMORY_FACTOR` times its memory, capped at the maximum; ``None``
    when that is no more memory than ``first`` (the run already had the maximum)."""
    need_mib = min(RETRY_MEMORY_FACTOR * first.memory_mib, maximum_memory_mib)
    retry = size_for(need_mib, default, maximum_memory_mib)
    return retry if retry is not None and retry.memory_mib > first.memory_mib else None
