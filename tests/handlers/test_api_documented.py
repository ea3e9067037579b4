"""docs/contracts.md describes every route of the Status API and every error code its function answers with."""

import ast
from pathlib import Path

import pytest

from contracts.api import Route

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS_DOC = ROOT / "docs" / "contracts.md"


def _request_error_codes() -> set[str]:
    """The ``code`` of every ``RequestError(status, code, ...)`` written in the handlers."""
    codes = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "RequestError"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                codes.add(node.args[1].value)
    return codes


def test_every_route_and_error_code_of_the_api_is_documented():
    text = CONTRACTS_DOC.read_text()
    codes = _request_error_codes()

    assert {"NOT_FOUND", "INVALID_FILE_NAME", "TOO_MANY_REQUESTS"} <= codes
    assert [route.value for route in Route if f"`{route.value}`" not in text] == []
    assert sorted(code for code in codes if f"`{code}`" not in text) == []
