"""What a newcomer's first commands (README.md) do before anything is installed, and where their outputs go."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eegclient.cli import build_parser as eegclient_parser

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parent.parent


def fake_python(folder: Path, version: tuple[int, int]) -> Path:
    """An interpreter that reports ``version`` to ``-c`` code and refuses anything else (so no
    virtualenv is ever made)."""
    script = folder / f"python{version[0]}.{version[1]}"
    script.write_text(
        "#!/bin/sh\n"
        '[ "$1" = -c ] || { echo "fake python: refused $*" >&2; exit 3; }\n'
        f'exec "{sys.executable}" -c "import sys; sys.version_info = {version + (0,)}\n$2"\n'
    )
    script.chmod(0o755)
    return script


@pytest.fixture
def checkout_without_venv(tmp_path: Path) -> Path:
    """The Makefile and the files its virtualenv is built from, nothing installed."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    shutil.copy(REPO_ROOT / "Makefile", tmp_path)
    prerequisites = re.search(r"^\$\(STAMP\): (.+)$", makefile, re.MULTILINE).group(1).split()
    for name in prerequisites:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    return tmp_path


def make_local(checkout: Path, python: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - make on our own Makefile
        ["make", "--no-print-directory", "local", f"PYTHON={python}"],  # noqa: S607
        cwd=checkout, capture_output=True, text=True, timeout=60, check=False,
    )


def test_make_local_with_an_older_python_says_which_version_is_needed_and_makes_no_venv(
    checkout_without_venv, tmp_path
):
    result = make_local(checkout_without_venv, fake_python(tmp_path, (3, 10)))

    assert result.returncode != 0
    assert "older than Python 3.11" in result.stderr
    assert "make local PYTHON=python3.11" in result.stderr
    assert not (checkout_without_venv / ".venv").exists()


def test_make_local_with_python_3_11_goes_on_to_make_the_venv(checkout_without_venv, tmp_path):
    result = make_local(checkout_without_venv, fake_python(tmp_path, (3, 11)))

    assert "fake python: refused -m venv .venv" in result.stderr
    assert "older than Python 3.11" not in result.stderr


def test_what_the_readme_commands_write_into_the_checkout_is_ignored_by_git():
    makefile = (REPO_ROOT / "Makefile").read_text()
    sample_out = re.search(r"^SAMPLE_OUT \?= (.+)$", makefile, re.MULTILINE).group(1)
    # Read from the Makefile, not sandbox.cli: importing that loads moto (about 1.5 s of CPU per make check worker).
    local_out = re.search(r"-m sandbox run \S+ --out (\S+)$", makefile, re.MULTILINE).group(1)
    downloads = eegclient_parser().parse_args(["download", "S001_imagery", "--outputs", "x.json"]).out
    written = [
        Path(local_out) / "stack-outputs.json",  # make local, sandbox serve
        Path(sample_out) / "report.html",  # make sample
        downloads / "S001_imagery" / "classifier.json",  # eegclient download
        Path("stack-outputs.json"),  # pulumi stack output --json > stack-outputs.json
    ]

    checked = subprocess.run(  # noqa: S603 - git on fixed paths
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *map(str, written)],  # noqa: S607
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False,
    )

    not_ignored = [line.split("\t")[1] for line in checked.stdout.splitlines() if line.startswith("::")]
    assert checked.returncode in (0, 1), checked.stderr
    assert not_ignored == []
