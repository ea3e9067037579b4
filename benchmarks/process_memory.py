"""Resident memory of the current process, for the benchmarks' memory figures."""

from __future__ import annotations

import multiprocessing
import resource
import sys
from pathlib import Path


def _proc_status_bytes(field: str) -> int | None:
    """A memory field of /proc/self/status (Linux) in bytes, or None where there is no /proc."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return None


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far.

    ``VmHWM`` where /proc exists: it belongs to the process image and starts afresh at exec,
    whereas ``ru_maxrss`` survives exec, so a spawned child would report the RSS of the parent
    it was forked from. Elsewhere ``ru_maxrss`` (kB on Linux, bytes on macOS).
    """
    high_water = _proc_status_bytes("VmHWM")
    if high_water is not None:
        return high_water
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss_bytes() -> int:
    """Resident set size now (``VmRSS``); the peak so far where /proc is missing."""
    current = _proc_status_bytes("VmRSS")
    return peak_rss_bytes() if current is None else current


def run_in_spawned_process(target, *args):
    """Call ``target(*args, results)`` in a fresh ``spawn`` process and return what it puts on ``results``.

    A fresh process has its own peak RSS, so one measurement never hides behind another's.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=target, args=(*args, results))
    child.start()
    figures = results.get()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"the measured run exited with status {child.exitcode}")
    return figures
