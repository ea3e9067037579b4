"""The classifier image's stored filter designs, for the sandbox's containers run as local processes.

The image stores the used bands' filter designs at its build (``python -m fbcsp.filter_designs``,
named by ``FBCSP_FILTER_DESIGNS``), so its runs neither design their filters nor import
``scipy.signal``, which imports ``scipy.stats`` too: about 1.2 s of a run on the sample. A local
process gets the same file, made once per machine in the user's cache folder. Its name holds a hash
of the code that designs the filters and of the SciPy version, so a change of either makes a new
file (fbcsp also refuses a file made under another band table, rule or SciPy version).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from contracts.environment import ContainerVariable

from .container_process import CLASSIFIER_PYTHON_PATH, REPO_ROOT

#: The modules whose code decides the designs.
DESIGN_SOURCES = tuple(
    REPO_ROOT / "classifier_image" / "fbcsp" / name for name in ("filterbank.py", "filter_designs.py")
)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/eeg-pipeline-sandbox``, or ``~/.cache/eeg-pipeline-sandbox``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "eeg-pipeline-sandbox"


def designs_file_name() -> str:
    digest = hashlib.sha256(metadata.version("scipy").encode())
    for source in DESIGN_SOURCES:
        digest.update(source.read_bytes())
    return f"filter_designs-{digest.hexdigest()[:16]}.json"


def designs_environment(cache_dir: Path | None = None) -> dict[str, str]:
    """``FBCSP_FILTER_DESIGNS`` naming the designs file in ``cache_dir``, made first if missing;
    nothing when it cannot be made there (the containers then design their filters, with the same
    result, about 1.2 s slower).

    Made in a fresh interpreter as the image's build makes it, under a temporary name and renamed
    into place, so concurrent sandboxes never read half a file.
    """
    cache_dir = cache_dir or default_cache_dir()
    path = cache_dir / designs_file_name()
    if not path.exists():
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
                [sys.executable, "-m", "fbcsp.filter_designs", str(partial)],
                env={**os.environ, "PYTHONPATH": CLASSIFIER_PYTHON_PATH},
                capture_output=True,
                check=True,
            )
            os.replace(partial, path)
        except (OSError, subprocess.CalledProcessError):
            with contextlib.suppress(OSError):  # there may be no partial file, or no folder for it
                partial.unlink()
            return {}
    return {ContainerVariable.FILTER_DESIGNS.value: str(path)}
