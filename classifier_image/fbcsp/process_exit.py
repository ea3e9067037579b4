"""Ending the command-line and container processes once their work is written."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def exit_without_teardown(code: int) -> NoReturn:
    """Flush the log and the standard streams, then end the process with ``code`` at once.

    The interpreter's normal exit would deallocate every module, array and object one by one
    (about half a second of CPU after a training run on the sample upload) although the operating
    system reclaims the whole process anyway. Only for the end of ``__main__``: every output file
    is closed and every upload finished by then.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
