"""Cue detection on a trigger channel (classifier.md §1 and the §8 examples)."""

import re

import numpy as np
import pytest

from fbcsp.errors import InvalidUpload
from fbcsp.events import (
    cue_events,
    describe_discarded,
    describe_trigger_column,
    merge_repeated_cues,
    trigger_onsets,
)

pytestmark = pytest.mark.classifier


def test_spec_example_keeps_t1_and_t2_and_counts_the_other_code():
    events = cue_events([0, 0, 1, 1, 0, 2, 2, 0, 3, 0])

    assert events.samples.tolist() == [2, 5]
    assert events.codes.tolist() == [1, 2]
    assert events.discarded == {3: 1}
    assert events.n_discarded == 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf"), (1e300, "1e+300"), (2.0**53, "9.0072e+15")],
)
def test_a_trigger_value_that_is_no_code_is_refused_naming_its_row(value, shown):
    # NaN at a cue lost the cue without a word; inf or 1e300 became the cue code -9223372036854775808
    trigger = np.array([0, 0, 1, 0, 0, 2, 0], dtype=float)
    trigger[5] = value

    with pytest.raises(InvalidUpload, match=rf"CSV row 6: the trigger \(the last column\) is {re.escape(shown)}; "):
        cue_events(trigger)


def test_the_largest_trigger_magnitude_still_read_as_a_code_is_an_ignored_code():
    events = cue_events([0, 2.0**53 - 1, 0, 1, 0])

    assert events.codes.tolist() == [1]
    assert events.discarded == {2**53 - 1: 1}


def test_spec_example_direct_change_from_one_code_to_another_is_not_an_onset():
    events = cue_events([0, 1, 2, 0])

    assert events.samples.tolist() == [1]
    assert events.codes.tolist() == [1]


def test_onsets_are_rising_edges_of_the_sign_and_never_the_first_sample():
    assert trigger_onsets([1, 1, 0, -1, 0, 2]).tolist() == [4, 5]


def test_float_codes_as_read_from_a_csv_are_rounded():
    events = cue_events(np.array([0.0, 1.0, 0.0, 2.0000001, 0.0]))

    assert events.codes.tolist() == [1, 2]


def test_no_events_gives_empty_vectors():
    events = cue_events(np.zeros(10))

    assert events.samples.size == 0
    assert events.codes.size == 0
    assert describe_discarded(events.discarded) == ""


def test_discarded_description_names_codes_and_counts():
    text = describe_discarded(cue_events([0, 3, 0, 3, 0, 7]).discarded)

    assert "code 3 x2" in text
    assert "code 7 x1" in text
    assert text.startswith("ignored 3 cue(s)")


def test_a_rise_from_a_negative_value_to_zero_is_named_as_such():
    text = describe_discarded(cue_events([0, -1, 0, -2, 0]).discarded)

    assert text == (
        "ignored 2 cue(s) that are neither T1 (1) nor T2 (2): code 0 x2 (a rise from a negative value back to 0)"
    )


def test_a_trigger_column_without_any_rise_says_where_the_trigger_belongs():
    trigger = np.full(50, -79.0)

    text = describe_trigger_column(trigger, cue_events(trigger))

    assert text.startswith(
        "the trigger column (the CSV's last column) has no cue: its sign never rises (from -79 to -79)"
    )
    assert "after the app's classifier column" in text


def test_a_trigger_column_with_cues_is_described_by_its_discarded_codes_only():
    with_cues = np.array([0, 1, 0, 2, 0])
    with_other_codes = np.array([0, 1, 0, 3, 0])

    assert describe_trigger_column(with_cues, cue_events(with_cues)) == ""
    assert describe_trigger_column(with_other_codes, cue_events(with_other_codes)).startswith("ignored 1 cue(s)")


def test_a_cue_repeated_within_a_second_is_merged_into_the_first_and_counted():
    # 10 Hz: a bouncing T1 line (samples 5, 7 and 14) and a T2 cue 1 s after the last kept cue
    trigger = np.zeros(40)
    trigger[[5, 7, 14, 15, 24, 35]] = [1, 1, 1, 1, 2, 2]

    events = merge_repeated_cues(cue_events(trigger), sfreq=10.0)

    assert events.samples.tolist() == [5, 24, 35]
    assert events.codes.tolist() == [1, 2, 2]
    assert events.n_repeats == 2
    assert describe_trigger_column(trigger, events) == (
        "merged 2 cue(s) that came less than 1 s after a cue of the same class into it (a bouncing trigger line?)"
    )


def test_cues_of_both_classes_within_a_second_are_refused():
    trigger = np.zeros(40)
    trigger[[12, 16]] = [1, 2]

    with pytest.raises(InvalidUpload, match=r"a T1 cue and a T2 cue 0\.4 s apart \(at 1\.200 s\)"):
        merge_repeated_cues(cue_events(trigger), sfreq=10.0)


def test_the_note_joins_discarded_codes_and_repeats():
    trigger = np.zeros(40)
    trigger[[5, 7, 20]] = [1, 1, 3]

    text = describe_trigger_column(trigger, merge_repeated_cues(cue_events(trigger), sfreq=10.0))

    assert text.startswith("ignored 1 cue(s) that are neither T1 (1) nor T2 (2): code 3 x1; merged 1 cue(s)")
