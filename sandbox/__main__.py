"""``python -m sandbox``: see :mod:`sandbox.cli`."""

import gc
import sys

from .heap import built_without_collection
from .signals import run_stoppable


def _load_main():
    # Imports build most of the process's long-lived heap (moto, botocore, the Pulumi SDK); collecting
    # while they run only traverses it again and again.
    with built_without_collection():
        from .cli import main  # noqa: PLC0415 - loaded once stop signals are handled
    return main


exit_code = run_stoppable(_load_main)
# The interpreter's teardown would run full collections over the whole heap the run built: seconds
# spent on memory the process is about to give back anyway.
gc.freeze()
sys.exit(exit_code)
