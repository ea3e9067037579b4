"""Validate's early check of the EEG unit on the CSV's first rows, against the classifier's own."""

import numpy as np
import pytest

from contracts.sample_units import MIN_NOT_VOLTS, check_sample_units, first_sample_beyond_volts
from contracts.upload_metadata import UploadRejected

pytestmark = pytest.mark.unit

VOLTS = b"1e-05,-2e-05,0,0,\n3e-05,4e-05,0,0,\n"


def test_eeg_in_volts_passes():
    assert first_sample_beyond_volts(VOLTS * 100, 2, whole=True) is None


@pytest.mark.parametrize(
    ("csv", "found"),
    [
        (VOLTS + b"-1.5e-05,12.5,0,0,\n", (3, 2, 12.5)),
        (VOLTS + b"-1.0,0,0,0,\n", (3, 1, -1.0)),
        # any line ending the container reads, and a byte-order mark
        (b"\xef\xbb\xbf1e-05,0,0,0,\r30,0,0,0,\r", (2, 1, 30.0)),
        (b"1e-05,0,0,0,\r\n1e-05,2,0,0,\r\n", (2, 2, 2.0)),
        # the classifier column and the trigger are not EEG
        (b"1e-05,0,7,1,\n", None),
    ],
)
def test_the_first_sample_of_a_volt_or_more_is_found_with_its_row_and_column(csv, found):
    assert first_sample_beyond_volts(csv, 2, whole=True) == found


def test_the_partial_last_row_of_a_prefix_is_left_out():
    assert first_sample_beyond_volts(VOLTS + b"5,0,0", 2, whole=False) is None
    assert first_sample_beyond_volts(VOLTS + b"5,0,0,0,", 2, whole=True) == (3, 1, 5.0)


@pytest.mark.parametrize(
    "before",
    [
        b"\n",  # a blank row
        b"1e-05,0,0,\n",  # another number of columns
        b"1e-05;0;0;0\n",  # a spreadsheet's separator
        b"1,5e-05,0,0,0,\n",  # a decimal comma
        b"1_0,0,0,0,\n",  # read as 10 by Python, refused by the classifier's parser
        b"\xff,0,0,0,\n",  # not UTF-8
    ],
)
def test_the_scan_stops_at_a_row_the_classifier_refuses_for_its_form(before):
    assert first_sample_beyond_volts(before + b"12.5,0,0,0,\n", 2, whole=True) is None


def test_samples_that_are_not_finite_are_left_to_the_classifier():
    assert first_sample_beyond_volts(b"nan,inf,0,0,\n-inf,1e-05,0,0,\n", 2, whole=True) is None


def test_check_refuses_with_the_classifiers_message():
    with pytest.raises(UploadRejected, match=r"CSV row 1, column 2: 12.5 is not an EEG sample in volts"):
        check_sample_units(b"0,12.5,0,0,\n", 12, 2)


def test_the_container_names_the_same_sample(tmp_path):
    from fbcsp.errors import InvalidUpload
    from fbcsp.samples_csv import check_volts, parse_samples_csv

    csv = VOLTS * 50 + b"-1.5e-05,12.5,0,0,\n" + VOLTS * 50
    data, _ = parse_samples_csv(csv.decode(), 2)
    with pytest.raises(InvalidUpload) as container:
        check_volts(data)
    with pytest.raises(UploadRejected) as validate:
        check_sample_units(csv, len(csv), 2)

    assert str(container.value) == validate.value.message
    assert np.abs(data).max() >= MIN_NOT_VOLTS
