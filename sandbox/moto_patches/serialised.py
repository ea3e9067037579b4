"""Making some of a moto backend's operations take turns across the server's request threads."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable


def serialise_operations(owner: type, names: Iterable[str], lock: threading.RLock) -> None:
    """Wrap each operation `names` of `owner` so that it runs holding `lock` (once: a wrapped one is kept).

    The lock is re-entrant, as an operation may call another of the same set (a transaction its updates).
    """
    for name in names:
        operation = getattr(owner, name)
        if getattr(operation, "_serialised", False):
            continue

        def serialised(self, *args, _operation=operation, **kwargs):
            with lock:
                return _operation(self, *args, **kwargs)

        functools.update_wrapper(serialised, operation)
        serialised._serialised = True
        setattr(owner, name, serialised)
