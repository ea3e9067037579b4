"""Keeping the garbage collector off the sandbox process's long-lived heap.

moto, botocore's models and the Pulumi SDK make a heap of millions of objects that live as long
as the process (or the pipeline), and every full collection traverses all of it: before the stack
was up, such collections took about as long as the rest of the deploy, and the interpreter's
teardown took seconds more. Objects built with the collector off and then frozen
(:func:`gc.freeze`) are out of its reach; :func:`gc.unfreeze` hands them back.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def built_without_collection() -> Iterator[None]:
    """Run the block with the garbage collector off, then freeze everything that exists."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
