"""contracts.documents: the JSON objects and numbers the exchanged documents hold."""

import pytest

from contracts.documents import is_finite_number, json_object

pytestmark = pytest.mark.unit


def test_a_json_object_is_read_with_or_without_a_byte_order_mark():
    assert json_object(b'{"a": 1}', "x.json") == {"a": 1}
    assert json_object(b'\xef\xbb\xbf{"a": 1}', "x.json") == {"a": 1}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{oops", "not valid JSON"),
        (b"\xff", "not valid JSON"),
        (b"[1]", "object"),
        (b"[" * 100_000 + b"]" * 100_000, "too deeply"),
    ],
)
def test_anything_else_is_refused_naming_the_document(raw, message):
    with pytest.raises(ValueError, match=f"x.json .*{message}"):
        json_object(raw, "x.json")


def test_finite_numbers_exclude_booleans_nan_and_infinity():
    assert is_finite_number(3) and is_finite_number(0.5)
    assert not any(is_finite_number(value) for value in (True, float("nan"), float("inf"), "3", None))


def test_an_integer_beyond_the_float_range_is_not_a_finite_number():
    assert is_finite_number(10**308) and not is_finite_number(10**400) and not is_finite_number(-(10**400))
