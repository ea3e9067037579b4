"""The Lambda functions' code: the ``handlers`` and ``contracts`` packages plus the pinned
packages they import.

The runtime provides boto3 and botocore; everything else the handlers import
(aws-lambda-powertools and what its Logger, Tracer, batch processor and event handler need) is
pinned in ``handlers/requirements.txt`` and vendored into the archive from the distributions
installed in the environment that runs the Pulumi program (``make install`` installs them from
the same pins). An installed version that differs from its pin stops the program, so what
``pulumi up`` ships is always what the pins say.

Only Python sources go in: bytecode caches would change the archive on every local run, and
compiled extension modules built for this machine would not load on the arm64 runtime. The one
vendored package with an optional extension (wrapt) falls back to its pure-Python
implementation, which ``tests/infra/test_lambda_archive.py`` checks by importing every handler
from the unpacked archive.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path, PurePosixPath

import pulumi

REPO_ROOT = Path(__file__).resolve().parent.parent
HANDLERS_DIR = REPO_ROOT / "handlers"
CONTRACTS_DIR = REPO_ROOT / "contracts"
REQUIREMENTS_FILE = HANDLERS_DIR / "requirements.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
_EXCLUDED_SUFFIXES = frozenset({".pyc", ".so", ".pyd", ".c"})


class VendoredVersionMismatch(RuntimeError):
    """The environment running the program holds another version of a package the handlers pin."""


def pinned_requirements(text: str) -> dict[str, str]:
    """Package name → version of every ``name==version`` line (comments and blank lines skipped)."""
    pins = {}
    for line in text.splitlines():
        found = _PIN.match(line.strip())
        if found:
            pins[found.group(1)] = found.group(2)
        elif line.strip() and not line.strip().startswith("#"):
            raise ValueError(f"{REQUIREMENTS_FILE.name}: not an exact pin: {line.strip()!r}")
    return pins


def _shipped(relative_path: PurePosixPath) -> bool:
    return (
        relative_path.parts[0] != ".."
        and "__pycache__" not in relative_path.parts
        and relative_path.suffix not in _EXCLUDED_SUFFIXES
    )


def handler_sources() -> dict[str, Path]:
    """Archive path → file of every source of ours the functions run, e.g. ``handlers/common/status.py``
    and ``contracts/keys.py``."""
    return {
        path.relative_to(REPO_ROOT).as_posix(): path
        for package in (HANDLERS_DIR, CONTRACTS_DIR)
        for path in sorted(package.rglob("*.py"))
    }


def vendored_files(name: str, version: str) -> dict[str, Path]:
    """Archive path → installed file of one pinned distribution (its importable files and metadata).

    Raises
    ------
    VendoredVersionMismatch
        When the installed version is not ``version`` (or the distribution is not installed).
    """
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise VendoredVersionMismatch(
            f"{name}=={version} is pinned for the Lambda functions but not installed; run make install"
        ) from None
    if distribution.version != version:
        raise VendoredVersionMismatch(
            f"{name} {distribution.version} is installed but the Lambda functions pin {version}; "
            "run make install"
        )
    files = {}
    for relative in distribution.files or ():
        path = PurePosixPath(relative.as_posix())
        if _shipped(path):
            files[path.as_posix()] = Path(str(distribution.locate_file(relative)))
    return files


def archive_files() -> dict[str, Path]:
    """Archive path → file of everything the functions' code archive holds."""
    files = handler_sources()
    for name, version in pinned_requirements(REQUIREMENTS_FILE.read_text()).items():
        files.update(vendored_files(name, version))
    return dict(sorted(files.items()))


@functools.cache
def handlers_archive() -> pulumi.AssetArchive:
    """The functions' code archive (one for all functions: they share ``handlers.common``), listed
    once per program run rather than once per function."""
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in archive_files().items()})
