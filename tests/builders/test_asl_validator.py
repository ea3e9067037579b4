"""The built definition against the real asl-validator (tools/asl-validator), which must also reject a
broken one."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = REPO_ROOT / "tools" / "asl-validator" / "node_modules" / ".bin" / "asl-validator"


@pytest.fixture
def validator():
    if not ASL_VALIDATOR.exists():
        pytest.fail(f"{ASL_VALIDATOR.relative_to(REPO_ROOT)} is missing: run `make install` first")
    return ASL_VALIDATOR


def run_validator(validator: Path, definition: dict, directory: Path) -> subprocess.CompletedProcess[str]:
    path = directory / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(  # noqa: S603 - fixed local binary, our own file
        [str(validator), "--json-path", str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_asl_validator_accepts_the_definition(definition, validator, tmp_path):
    result = run_validator(validator, definition, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_rejects_a_dangling_next(definition, validator, tmp_path):
    broken = copy.deepcopy(definition)
    broken["States"]["ProcessResults"]["Next"] = "Notify"

    result = run_validator(validator, broken, tmp_path)

    assert result.returncode != 0
    assert "MISSING_TRANSITION_TARGET" in result.stdout + result.stderr
