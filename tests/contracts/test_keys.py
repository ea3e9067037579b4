"""contracts.keys: upload key parsing and building, ids, run ids, results prefixes, execution ARNs."""

import re
from datetime import UTC, datetime

import pytest

from contracts.keys import (
    RejectedKey,
    UnrecognisedKey,
    UploadKey,
    execution_arn_for,
    is_valid_id,
    is_valid_upload_file_name,
    new_session_id,
    parse_upload_key,
    results_prefix_for,
    run_id_for,
)

pytestmark = pytest.mark.unit


def test_a_well_formed_key_is_split_into_user_session_and_file():
    parsed = parse_upload_key("uploads/user-1/session.2_b/S001_imagery.zip")
    assert (parsed.user_id, parsed.session_id, parsed.file_name) == (
        "user-1",
        "session.2_b",
        "S001_imagery.zip",
    )
    assert parsed.key == "uploads/user-1/session.2_b/S001_imagery.zip"


@pytest.mark.parametrize(
    "key",
    [
        "results/u/s/x.zip",
        "uploads/u/x.zip",
        "uploads/../s/x.zip",
        "uploads/u/./x.zip",
        "uploads/u s/s/x.zip",
        f"uploads/{'u' * 129}/s/x.zip",
        "uploads//s/x.zip",
    ],
)
def test_keys_without_a_valid_user_and_session_are_unrecognised(key):
    with pytest.raises(UnrecognisedKey):
        parse_upload_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "uploads/u/s/x.csv",
        "uploads/u/s/deeper/x.zip",
        "uploads/u/s/.zip",
        "uploads/u/s/",
        "uploads/u/s/a\x01.zip",
    ],
)
def test_keys_of_a_known_session_that_are_not_flat_zips_are_rejected_with_the_ids(key):
    with pytest.raises(RejectedKey) as raised:
        parse_upload_key(key)
    assert (raised.value.user_id, raised.value.session_id) == ("u", "s")


def test_ids_and_api_file_names_follow_the_contract_pattern():
    assert is_valid_id("a" * 128) and not is_valid_id("a" * 129)
    assert not any(is_valid_id(value) for value in (".", "..", "", "a/b", "a b", None, 3))
    assert is_valid_upload_file_name("S001_imagery.zip")
    assert not any(
        is_valid_upload_file_name(v) for v in ("x.csv", ".zip", "..zip", "a/b.zip", "a b.zip", None)
    )


def test_run_ids_are_deterministic_per_upload_version():
    first = run_id_for("bucket", "uploads/u/s/x.zip", "v1")
    assert re.fullmatch(r"run-[0-9a-f]{32}", first)
    assert first == run_id_for("bucket", "uploads/u/s/x.zip", "v1")
    assert first != run_id_for("bucket", "uploads/u/s/x.zip", "v2")
    assert results_prefix_for("u", "s", first) == f"results/u/s/{first}/"


def test_session_ids_sort_by_creation_time():
    early = new_session_id(datetime(2026, 11, 23, 22, 0, 0, tzinfo=UTC), "0a1b2c3d4e5f")
    later = new_session_id(datetime(2026, 11, 23, 22, 0, 1, tzinfo=UTC))
    assert early == "20261123T220000Z-0a1b2c3d4e5f"
    assert re.fullmatch(r"20261123T220001Z-[0-9a-f]{12}", later) and early < later and is_valid_id(later)


def test_execution_arns_are_known_before_the_execution_starts():
    machine = "arn:aws:states:eu-west-2:123456789012:stateMachine:eeg-dev-pipeline"
    assert (
        execution_arn_for(machine, "run-1")
        == "arn:aws:states:eu-west-2:123456789012:execution:eeg-dev-pipeline:run-1"
    )
    with pytest.raises(ValueError):
        execution_arn_for("arn:aws:lambda:eu-west-2:123456789012:function:f", "run-1")


def test_an_upload_key_is_built_from_its_parts_and_parses_back():
    key = UploadKey("u1", "s1", "rec.zip")
    assert key.key == "uploads/u1/s1/rec.zip"
    assert parse_upload_key(key.key) == key


def test_session_ids_need_a_timezone():
    with pytest.raises(ValueError):
        new_session_id(datetime(2026, 11, 23))
