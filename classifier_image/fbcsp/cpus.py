"""How many CPUs the analysis may use, and so how many threads fit its models at once.

The time-resolved analysis fits chunks of models on worker threads (`fbcsp.time_resolved`);
numpy releases the GIL in its array loops and linear algebra, so each thread can keep one CPU
busy. More threads than CPUs only make the analysis slower and its peak memory higher.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

#: Most threads fitting models at once (the memory budget, `fbcsp.budget`, is shared among them).
MAX_WORKER_THREADS = 2
#: cgroup v2's CPU limit file, then cgroup v1's quota and period files.
CGROUP_V2_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_CPU_QUOTA = (Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))

_cpu_limit: ContextVar[float | None] = ContextVar("fbcsp_cpu_limit", default=None)


def quota_cpus(quota: str, period: str) -> float | None:
    """CPUs a cgroup CPU quota allows (``"150000", "100000"`` -> 1.5); None without a quota
    (cgroup v2 writes ``max``, v1 ``-1``)."""
    if quota.strip() in ("max", "-1"):
        return None
    return int(quota) / int(period)


def cgroup_cpus() -> float | None:
    """CPUs this process's cgroup may use, from its CPU quota; None when it has none or the files
    cannot be read."""
    try:
        if CGROUP_V2_CPU_MAX.exists():
            return quota_cpus(*CGROUP_V2_CPU_MAX.read_text().split()[:2])
        quota_file, period_file = CGROUP_V1_CPU_QUOTA
        return quota_cpus(quota_file.read_text(), period_file.read_text())
    except (OSError, ValueError, TypeError, ZeroDivisionError):
        return None


@functools.cache
def machine_cpus() -> float:
    """CPUs this process may be scheduled on (as ``taskset`` sets them), limited by its cgroup's
    CPU quota (as ``docker run --cpus`` sets it). Read once per process: the analysis asks about
    a thousand times per run, and each reading is a system call and a file or two."""
    schedulable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = cgroup_cpus()
    return schedulable if quota is None else min(schedulable, quota)


def usable_cpus() -> float:
    """`machine_cpus`, limited by `limit_cpus`."""
    limit = _cpu_limit.get()
    return machine_cpus() if limit is None else min(machine_cpus(), limit)


@contextmanager
def limit_cpus(cpus: float | None) -> Iterator[None]:
    """Let the analysis inside the block use at most ``cpus`` CPUs (None: no limit).

    For a platform that does not show a process its CPU allowance: Fargate shows a task its
    host's CPUs, not its size.
    """
    token = _cpu_limit.set(cpus)
    try:
        yield
    finally:
        _cpu_limit.reset(token)


def worker_threads() -> int:
    """Threads fitting models concurrently: one per usable CPU (`usable_cpus`), at least one and
    at most `MAX_WORKER_THREADS`. More threads than CPUs only slow the analysis and raise its
    peak memory."""
    return max(1, min(MAX_WORKER_THREADS, int(usable_cpus())))
