"""contracts.subjects: every non-empty ``sub`` gets a key-safe user id, and no two subjects share one."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.keys import MAX_ID_LENGTH, UploadKey, is_valid_id, parse_upload_key
from contracts.subjects import HASHED_PREFIX, subject_for_user_id, user_id_for_subject

pytestmark = pytest.mark.unit

# Subjects built from the characters the encoding treats specially, so collisions would show.
_tricky_subjects = st.text(alphabet=st.sampled_from("_|.-aZ9/%é\x00 5F7C2E"), min_size=1, max_size=70)


@pytest.mark.parametrize(
    ("subject", "user_id"),
    [
        ("3f9c2b1a-6d5e-4f70-8a9b-0c1d2e3f4a5b", "3f9c2b1a-6d5e-4f70-8a9b-0c1d2e3f4a5b"),
        ("auth0|123", "auth0_7C123"),
        ("google-oauth2|1098", "google-oauth2_7C1098"),
        ("a_b", "a_5Fb"),
        ("a_5Fb", "a_5F5Fb"),
        ("../bob", ".._2Fbob"),
        (".", "_2E"),
        ("..", "_2E_2E"),
        ("é", "_C3_A9"),
    ],
)
def test_documented_examples(subject, user_id):
    assert user_id_for_subject(subject) == user_id
    assert subject_for_user_id(user_id) == subject


def test_an_empty_subject_is_refused():
    with pytest.raises(ValueError, match="empty"):
        user_id_for_subject("")


@given(_tricky_subjects | st.text(min_size=1, max_size=200))
def test_every_subject_gets_a_valid_id_that_makes_a_parseable_key(subject):
    user_id = user_id_for_subject(subject)
    assert is_valid_id(user_id)
    assert parse_upload_key(UploadKey(user_id, "s1", "rec.zip").key).user_id == user_id


@given(_tricky_subjects | st.text(min_size=1, max_size=42))
def test_readable_ids_decode_to_their_subject(subject):
    user_id = user_id_for_subject(subject)
    if not user_id.startswith(HASHED_PREFIX):
        assert subject_for_user_id(user_id) == subject


@given(_tricky_subjects, _tricky_subjects)
def test_different_subjects_never_share_a_user_id(first, second):
    if first != second:
        assert user_id_for_subject(first) != user_id_for_subject(second)


def test_overlong_subjects_are_hashed_apart_from_every_readable_id():
    long_ids = {user_id_for_subject("|" * n) for n in range(43, 63)}
    assert len(long_ids) == 20
    assert all(user_id.startswith(HASHED_PREFIX) and len(user_id) <= MAX_ID_LENGTH for user_id in long_ids)
    longest_readable = "a" * MAX_ID_LENGTH
    assert user_id_for_subject(longest_readable) == longest_readable
    assert user_id_for_subject(longest_readable + "a").startswith(HASHED_PREFIX)
    with pytest.raises(ValueError, match="recovered"):
        subject_for_user_id(user_id_for_subject("|" * 50))


@pytest.mark.parametrize("user_id", ["alice_1", "a_7c", "a_2D", "a b", "", "_h00"])
def test_ids_no_subject_maps_to_are_refused(user_id):
    with pytest.raises(ValueError):
        subject_for_user_id(user_id)
