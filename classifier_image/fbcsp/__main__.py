"""``python -m fbcsp``: see `fbcsp.cli`."""

import sys

from .cli import main

sys.exit(main())
