"""matplotlib's font list, stored at the image's build and put into each run's empty cache.

matplotlib lists the fonts it can use in ``fontlist-v<version>.json`` in its cache folder and builds
the list, reading every font file, when the folder has none. The task's cache folder
(``MPLCONFIGDIR`` on the ephemeral ``/tmp`` volume; the root filesystem is read-only) starts empty in
every run, so every session built it again: about 0.1 s in the image, and matplotlib prints a plain
line (not a JSON log line) on stderr when building takes over 5 s.

The image's build stores the list (``python -m fbcsp.font_list FOLDER``, FOLDER named by
``FBCSP_FONT_LIST``); `seed_font_cache` copies it into matplotlib's cache folder before
matplotlib loads its fonts. A list made by another matplotlib version has another name, so that
version ignores it and builds its own, as before.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from contracts.environment import ContainerVariable

FONT_LIST_VARIABLE = ContainerVariable.FONT_LIST
#: matplotlib's name for its font list, any version.
FONT_LIST_PATTERN = "fontlist-v*.json"


def seed_font_cache(stored_folder: str | os.PathLike[str] | None, cache_folder: str | os.PathLike[str]) -> list[Path]:
    """Copy the stored font lists that `cache_folder` lacks into it; the copies made.

    Nothing when no folder is stored, it holds no list, or a copy fails (a full or read-only
    folder, say): matplotlib then builds its own, as without the stored list. A list is copied
    under a temporary name and renamed, so matplotlib never reads half of one.
    """
    if not stored_folder:
        return []
    cache = Path(cache_folder)
    copied = []
    for stored in sorted(Path(stored_folder).glob(FONT_LIST_PATTERN)):
        target = cache / stored.name
        if target.exists():
            continue
        partial = cache / f".{stored.name}.{os.getpid()}"
        try:
            shutil.copyfile(stored, partial)
            os.replace(partial, target)
        except OSError:
            with contextlib.suppress(OSError):  # there may be no partial file to remove
                partial.unlink()
            continue
        copied.append(target)
    return copied


def main(argv: list[str] | None = None) -> int:
    """``python -m fbcsp.font_list FOLDER``: store matplotlib's font list, built afresh, in FOLDER."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m fbcsp.font_list FOLDER", file=sys.stderr)
        return 2
    folder = Path(arguments[0]).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # a fresh interpreter whose cache folder is FOLDER: matplotlib builds the list there
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env={**os.environ, "MPLCONFIGDIR": str(folder)},
        check=True,
    )
    stored = sorted(path.name for path in folder.glob(FONT_LIST_PATTERN))
    if not stored:
        print(f"fbcsp: matplotlib wrote no font list to {folder}", file=sys.stderr)
        return 1
    print(f"fbcsp: stored matplotlib's font list {', '.join(stored)} in {folder}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
