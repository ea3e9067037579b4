"""The upload reader: the real sample, the strict CSV parser, and what extraction adds to the upload rules.

The rules themselves (zip members, sizes, metadata) are tested for the container and Validate
together in tests/contracts/test_upload_rules.py.
"""

import io
import json
import re
import zipfile

import numpy as np
import pytest
from zip_builders import (
    GOOD_METADATA,
    csv_text,
    synthetic_session,
    write_bomb_zip,
    write_lying_size_zip,
    write_upload,
    write_zip,
)

from contracts.upload_memory import max_csv_line_length
from fbcsp import samples_csv
from fbcsp.errors import InvalidUpload
from fbcsp.samples_csv import parse_samples_csv
from fbcsp.upload import read_upload

pytestmark = pytest.mark.classifier


def test_sample_upload_gives_the_documented_session(sample_recording):
    assert sample_recording.data.shape == (8, 60000)
    assert sample_recording.sfreq == 160.0
    assert sample_recording.ch_names == ("C3", "CZ", "C4", "P3", "O1", "P7", "OZ", "PZ")
    assert np.count_nonzero(sample_recording.event_codes == 1) == 23
    assert np.count_nonzero(sample_recording.event_codes == 2) == 22
    # volts, roughly 1e-4 at most for scalp EEG
    assert 1e-6 < np.abs(sample_recording.data).max() < 1e-2


def test_synthetic_upload_round_trips_samples_and_cues(tmp_path):
    samples, trigger = synthetic_session()
    recording = read_upload(write_upload(tmp_path / "u.zip", csv=csv_text(samples, trigger)))

    np.testing.assert_array_equal(recording.data, samples)
    assert recording.event_samples.tolist() == np.flatnonzero(trigger).tolist()
    assert recording.event_codes.tolist() == trigger[trigger > 0].astype(int).tolist()
    assert recording.ch_names == ("C3", "CZ", "C4")


def test_channel_names_from_metadata_are_used(tmp_path):
    metadata = {**GOOD_METADATA, "ChannelNames": ["FC3", "Cz", "CP4"]}

    recording = read_upload(write_upload(tmp_path / "u.zip", metadata=metadata))

    assert recording.ch_names == ("FC3", "Cz", "CP4")


def test_other_channel_counts_get_numbered_names(tmp_path):
    samples, trigger = synthetic_session(n_channels=5)
    metadata = {**GOOD_METADATA, "EEGChannels": 5}

    recording = read_upload(
        write_upload(tmp_path / "u.zip", metadata=metadata, csv=csv_text(samples, trigger))
    )

    assert recording.ch_names == ("EEG1", "EEG2", "EEG3", "EEG4", "EEG5")


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("1,2,3,0,0,\n1,2,0,0,\n", "CSV row 2 has 4 column(s); expected 5"),
        ("1,2,3,0,0,\n1,2,3,0,0,7,\n", "CSV row 2 has 6 column(s)"),
        ("1,2,3,0,0,\n1,abc,3,0,0,\n", "CSV row 2, column 2: 'abc' is not a number"),
        ("1,2,3,0,0,\n1,,3,0,0,\n", "CSV row 2, column 2: '' is not a number"),
        ("1,1_0,3,0,0,\n", "CSV row 1, column 2: '1_0' is not a number"),
        ("EEG_1,EEG_2,EEG_3,cl,trig,\n1,2,3,0,0,\n", "'EEG_1' is not a number (the CSV has no header row"),
        ("1;2;3;0;0;\n", "has 1 column(s); expected 5 (3 EEG channels from metadata.json, the classifier column and "
         "the trigger); the row is separated by semicolons: the CSV needs commas, and '.' as the decimal point"),
        ("1\t2\t3\t0\t0\n", "the row is separated by tabs"),
        ("\n\n", "the CSV file has no rows"),
    ],
)
def test_strict_csv_parser_names_the_first_bad_row(csv, message):
    with pytest.raises(InvalidUpload, match=re.escape(message)):
        parse_samples_csv(csv, n_channels=3)


@pytest.mark.parametrize(
    "row_end",
    [",", ", ,\t,", " ,", ",\u00a0", ",\u3000,"],
    ids=["comma", "blank-fields", "space", "nbsp", "ideographic-space"],
)
def test_empty_trailing_fields_are_dropped_whatever_their_whitespace(row_end):
    data, trigger = parse_samples_csv(f"1,2,3,9,1{row_end}\n4,5,6,9,2{row_end}\n", n_channels=3)
    assert data.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert trigger.tolist() == [1, 2]

    with pytest.raises(InvalidUpload, match=re.escape("CSV row 2 has 4 column(s)")):
        parse_samples_csv(f"1,2,3,9,1{row_end}\n4,5,6,2{row_end}\n", n_channels=3)


def test_rows_are_converted_in_blocks_with_row_numbers_kept(monkeypatch):
    monkeypatch.setattr(samples_csv, "CSV_BLOCK_ROWS", 2)
    rows = [f"{i},{i},{i},0,{i % 2}," for i in range(5)]

    data, trigger = parse_samples_csv("\n".join(rows), n_channels=3)
    assert data[0].tolist() == [0, 1, 2, 3, 4]
    assert trigger.tolist() == [0, 1, 0, 1, 0]
    rows[3] = "1,2,x,0,0,"
    with pytest.raises(InvalidUpload, match="CSV row 4, column 3: 'x' is not a number"):
        parse_samples_csv(rows, n_channels=3)


def test_blank_line_inside_the_csv_is_an_error_but_trailing_ones_are_not():
    with pytest.raises(InvalidUpload, match="CSV row 2 is empty"):
        parse_samples_csv("1,2,3,0,0,\n\n1,2,3,0,0,\n", n_channels=3)
    data, _ = parse_samples_csv("1,2,3,0,0,\n\n \n", n_channels=3)
    assert data.shape == (3, 1)


def test_csv_that_is_not_utf8_is_rejected(tmp_path):
    path = write_upload(tmp_path / "u.zip", csv=b"1,2,3,0,0,\n\xff\xfe,0,0,0,0,\n")

    with pytest.raises(InvalidUpload, match="not UTF-8 text"):
        read_upload(path)


def test_csv_without_trailing_comma_and_with_crlf_is_accepted():
    data, trigger = parse_samples_csv("1,2,3,9,0\r\n4,5,6,9,2\r\n", n_channels=3)

    assert data.tolist() == [[1, 4], [2, 5], [3, 6]]
    assert trigger.tolist() == [0, 2]


def test_nan_samples_are_rejected_with_their_position(tmp_path):
    samples, trigger = synthetic_session()
    samples[1, 17] = np.nan

    with pytest.raises(InvalidUpload, match=r"non-finite sample\(s\), first on channel CZ at sample 17"):
        read_upload(write_upload(tmp_path / "u.zip", csv=csv_text(samples, trigger)))


@pytest.mark.parametrize("value", [1.0, -1e4, 1e154, -1.7976931348623157e308])
def test_one_sample_of_1_volt_or_more_is_refused_naming_its_row_and_column(tmp_path, value):
    # a single glitch passed the median units check and read as copies of one signal, or overflowed CSP
    samples, trigger = synthetic_session()
    samples[2, 300] = value

    with pytest.raises(InvalidUpload, match=rf"CSV row 301, column 3: {re.escape(f'{value:g}')} is not an EEG sample"):
        read_upload(write_upload(tmp_path / "u.zip", csv=csv_text(samples, trigger)))


def test_a_nan_trigger_at_a_cue_is_refused_rather_than_losing_the_cue(tmp_path):
    samples, trigger = synthetic_session()
    rows = csv_text(samples, trigger).splitlines()
    rows[200] = rows[200].replace(",1,", ",nan,")  # the first cue (sample 200, code 1)

    with pytest.raises(InvalidUpload, match=r"CSV row 201: the trigger \(the last column\) is nan"):
        read_upload(write_upload(tmp_path / "u.zip", csv="\n".join(rows) + "\n"))


def test_wrong_channel_count_in_metadata_is_reported_as_a_width_mismatch(tmp_path):
    metadata = {**GOOD_METADATA, "EEGChannels": 8}

    with pytest.raises(InvalidUpload, match=r"CSV row 1 has 5 column\(s\); expected 10 \(8 EEG channels"):
        read_upload(write_upload(tmp_path / "u.zip", metadata=metadata))


def test_not_a_zip_is_rejected(tmp_path):
    path = tmp_path / "u.zip"
    path.write_text("EEG,data\n")

    with pytest.raises(InvalidUpload, match="not a readable zip"):
        read_upload(path)


def test_zip_bomb_is_rejected_from_the_central_directory(tmp_path):
    with pytest.raises(InvalidUpload, match="'data.csv' expands"):
        read_upload(write_bomb_zip(tmp_path / "u.zip"))


def test_member_that_understates_its_size_is_stopped(tmp_path):
    with pytest.raises(InvalidUpload, match="data.csv"):
        read_upload(write_lying_size_zip(tmp_path / "u.zip"))


def test_other_cue_codes_are_dropped_and_logged(tmp_path, caplog):
    samples, trigger = synthetic_session()
    trigger[1500] = 3

    recording = read_upload(write_upload(tmp_path / "u.zip", csv=csv_text(samples, trigger)))

    assert 1500 not in recording.event_samples
    assert "code 3 x1" in caplog.text


def test_a_csv_line_longer_than_a_row_can_be_is_rejected_without_reading_it_whole(tmp_path):
    # GIVEN a 3-channel upload whose CSV is one line of 1 MB (stored: it deflates beyond the ratio limit)
    path = write_zip(
        tmp_path / "one-line.zip",
        {"metadata.json": json.dumps(GOOD_METADATA), "data.csv": "0.5," * 250_000},
        compression=zipfile.ZIP_STORED,
    )
    limit = max_csv_line_length(GOOD_METADATA["EEGChannels"])
    # WHEN the container reads it THEN it is an invalid upload naming the line limit
    with pytest.raises(InvalidUpload, match=f"CSV row 1 is longer than {limit} characters"):
        read_upload(path)


def test_lines_are_read_up_to_the_limit_and_the_first_longer_one_is_named():
    limit = max_csv_line_length(3)
    longest = "1," * ((limit - 1) // 2) + "\n"
    text = io.StringIO(longest + "0" * limit + "\n")
    lines = samples_csv.bounded_lines(text, 3)
    assert next(lines) == longest and len(longest) <= limit
    with pytest.raises(InvalidUpload, match="CSV row 2 is longer"):
        next(lines)


def test_the_sample_is_volts_and_passes_the_units_check(sample_recording):
    spread = float(np.median(np.std(sample_recording.data, axis=1)))

    assert 1e-6 < spread < 1e-3
    samples_csv.check_volts(sample_recording.data)


@pytest.mark.parametrize("spread", [samples_csv.MIN_NOT_VOLTS, 35.0])
def test_eeg_that_cannot_be_volts_is_rejected_with_how_to_fix_it(spread):
    channels = np.random.default_rng(0).normal(size=(4, 2000))
    channels *= spread / channels.std(axis=1, keepdims=True)

    with pytest.raises(InvalidUpload, match="not in volts") as rejected:
        samples_csv.check_volts(channels)
    assert "divide microvolts by 1,000,000" in str(rejected.value)


def test_one_channel_far_off_does_not_decide_the_units():
    channels = np.full((3, 100), 1e-5) * np.random.default_rng(1).normal(size=(3, 100))
    channels[0] *= 1e4  # a spread of 0.1, under the 1 V no single sample may reach

    samples_csv.check_volts(channels)


def test_a_bouncing_trigger_line_gives_one_cue_per_trial_and_says_so(tmp_path):
    samples, trigger = synthetic_session()
    bounced = trigger.copy()
    bounced[np.flatnonzero(trigger) + 3] = trigger[trigger > 0]  # each cue again 24 ms later

    recording = read_upload(write_upload(tmp_path / "u.zip", csv=csv_text(samples, bounced)))

    assert recording.event_samples.tolist() == np.flatnonzero(trigger).tolist()
    assert recording.cue_note.startswith(f"merged {np.count_nonzero(trigger)} cue(s) that came less than 1 s")
