"""docs/contracts.md's states table ("States and what each reads/writes") describes the definition
``components.asl`` builds: a row per state and no other, each with the state's ResultPath and where its
Catch goes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

CONTRACTS_DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
STATES_HEADING = "## States and what each reads/writes"


def documented_states(text: str) -> dict[str, list[str]]:
    """State name -> the other cells of its row (type / resource, ResultPath, on error)."""
    section = text.split(STATES_HEADING, 1)[1].split("\n", 1)[1].lstrip("\n").splitlines()
    table = section[: next(index for index, line in enumerate(section) if not line.startswith("|"))]
    rows = {}
    for line in table[2:]:  # past the header and its rule
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 4, f"a states row of {len(cells)} cells: {line[:80]}"
        name = re.fullmatch(r"`(\w+)`", cells[0])
        assert name, f"a states row not named by one state: {cells[0]!r}"
        rows[name.group(1)] = cells[1:]
    return rows


def first_code(cell: str) -> str | None:
    found = re.search(r"`([^`]+)`", cell)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def rows():
    return documented_states(CONTRACTS_DOC.read_text())


def test_the_table_has_a_row_for_every_state_and_no_other(definition, rows):
    assert sorted(rows) == sorted(definition["States"])


def test_each_row_gives_its_states_result_path(definition, rows):
    for name, state in definition["States"].items():
        _, result_path, _ = rows[name]
        if "ResultPath" not in state:
            assert result_path == "", name
        else:
            assert first_code(result_path) == (state["ResultPath"] or "null"), name


def test_each_row_says_where_its_state_is_caught_and_that_it_retries(definition, rows):
    for name, state in definition["States"].items():
        _, _, on_error = rows[name]
        for catch in state.get("Catch", []):
            assert re.search(rf"Catch[^;]* → `{catch['Next']}`", on_error), name
        assert ("Retry" in state) == bool(re.search(r"\bretr", on_error, re.IGNORECASE)), name
