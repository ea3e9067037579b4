"""EDF reading: the three EEGMMIDB runs give the same session as the upload zip made from them."""

import numpy as np
import pytest

from fbcsp import edf
from fbcsp.edf import (
    DEFAULT_EVENT_MAP,
    normalise_channel_name,
    parse_event_map,
    read_signal_files,
    select_channels,
)
from fbcsp.errors import InvalidUpload

pytestmark = pytest.mark.classifier

UPLOAD_CHANNELS = ("FC3", "FC4", "C3", "Cz", "C4", "CP3", "CPz", "CP4")


@pytest.fixture(scope="module")
def edf_recording(edf_paths):
    return read_signal_files(edf_paths, channels=UPLOAD_CHANNELS)


def test_three_runs_match_the_upload_zip(edf_recording, sample_recording):
    assert edf_recording.ch_names == UPLOAD_CHANNELS
    assert edf_recording.sfreq == sample_recording.sfreq
    np.testing.assert_array_equal(edf_recording.event_samples, sample_recording.event_samples)
    np.testing.assert_array_equal(edf_recording.event_codes, sample_recording.event_codes)
    # the zip holds the EDF's 1 uV steps written in volts
    np.testing.assert_allclose(edf_recording.data, sample_recording.data, rtol=0, atol=1e-9)


def test_an_annotation_repeated_within_a_second_is_one_cue(edf_paths, edf_recording, monkeypatch):
    read_cues = edf._annotation_cues

    def twice(raw, mapping):
        samples, codes, ignored = read_cues(raw, mapping)
        return np.sort(np.r_[samples, samples + 8]), np.repeat(codes, 2), ignored

    monkeypatch.setattr(edf, "_annotation_cues", twice)
    doubled = read_signal_files(edf_paths, channels=UPLOAD_CHANNELS)

    np.testing.assert_array_equal(doubled.event_samples, edf_recording.event_samples)
    assert doubled.cue_note.startswith(f"merged {edf_recording.event_samples.size} cue(s)")
    assert edf_recording.cue_note == ""


def test_runs_are_concatenated_in_order_with_cue_offsets(edf_paths, edf_recording):
    second_run = read_signal_files(edf_paths[1:2], channels=UPLOAD_CHANNELS)

    np.testing.assert_array_equal(edf_recording.data[:, 20000:40000], second_run.data)
    in_second = (edf_recording.event_samples >= 20000) & (edf_recording.event_samples < 40000)
    np.testing.assert_array_equal(edf_recording.event_samples[in_second] - 20000, second_run.event_samples)
    assert edf_recording.event_codes.size == 45


def test_all_channels_by_default_with_padding_dots_removed(edf_paths):
    recording = read_signal_files(edf_paths[:1])

    assert recording.n_channels == 64
    assert "C3" in recording.ch_names
    assert "Fc3" in recording.ch_names
    assert not any(name.endswith(".") for name in recording.ch_names)


def test_event_map_chooses_which_annotations_are_cues(edf_paths):
    swapped = read_signal_files(edf_paths[:1], channels=["C3", "C4"], event_map={"T1": 2, "T2": 1})
    default = read_signal_files(edf_paths[:1], channels=["C3", "C4"])

    np.testing.assert_array_equal(swapped.event_codes, 3 - default.event_codes)


def test_missing_channel_is_reported_with_the_available_names(edf_paths):
    with pytest.raises(InvalidUpload, match=r"channel\(s\) XYZ not found; the file has Fc5, Fc3"):
        read_signal_files(edf_paths[:1], channels=["C3", "XYZ"])


def test_unreadable_or_wrong_type_file_is_rejected(tmp_path):
    broken = tmp_path / "broken.edf"
    broken.write_bytes(b"0" * 300)
    with pytest.raises(InvalidUpload, match="broken.edf cannot be read"):
        read_signal_files([broken])
    with pytest.raises(InvalidUpload, match="expected an .edf, .bdf or .gdf"):
        read_signal_files([tmp_path / "notes.txt"])


@pytest.mark.parametrize(("record_seconds", "rate"), [(b"16", "10 Hz"), (b"0.01", "16000 Hz")])
def test_a_file_sampled_outside_the_uploads_bounds_is_rejected(edf_paths, tmp_path, record_seconds, rate):
    # GIVEN the first run with its data records stretched or squeezed: 160 samples in 16 s or 10 ms
    header = bytearray(edf_paths[0].read_bytes())
    header[244:252] = record_seconds.ljust(8)
    path = tmp_path / "rate.edf"
    path.write_bytes(header)
    # WHEN it is read THEN it is refused as an upload at that rate is
    with pytest.raises(InvalidUpload, match=f"rate.edf is sampled at {rate}; the classifier needs 100 to "):
        read_signal_files([path])


def test_a_sample_of_1_volt_or_more_is_refused_naming_file_and_channel(edf_paths, tmp_path):
    # GIVEN the first run with its first channel (Fc5, recorded in uV, up to a few hundred) declared in volts
    content = bytearray(edf_paths[0].read_bytes())
    n_signals = int(content[252:256])
    units = 256 + n_signals * (16 + 80)
    assert content[units : units + 8] == b"uV      "
    content[units : units + 8] = b"V       "
    path = tmp_path / "volts.edf"
    path.write_bytes(content)
    # WHEN it is read THEN the first sample of 1 V or more is named
    with pytest.raises(InvalidUpload, match=r"volts.edf: channel Fc5 reads -?\d+ V at sample \d+ .*reaches 1 V"):
        read_signal_files([path])


@pytest.mark.parametrize(
    ("name", "expected"), [("C3..", "C3"), ("Fc3.", "Fc3"), ("Cpz.", "Cpz"), ("T10.", "T10"), (" Oz ", "Oz")]
)
def test_channel_names_are_normalised(name, expected):
    assert normalise_channel_name(name) == expected


def test_channel_selection_is_case_insensitive_and_keeps_the_wanted_order():
    indices, names = select_channels(["Fc3.", "C3..", "Cz.."], ["cz", "FC3"])

    assert indices == [2, 0]
    assert names == ["cz", "FC3"]


def test_event_map_parsing():
    assert parse_event_map("T1=1,T2=2") == DEFAULT_EVENT_MAP
    assert parse_event_map(" left = 1 , right=2 ") == {"left": 1, "right": 2}
    with pytest.raises(ValueError, match="DESCRIPTION=CODE"):
        parse_event_map("T1")
    with pytest.raises(ValueError, match="must be 1 \\(T1\\) or 2"):
        parse_event_map("T1=1,T2=3")
    with pytest.raises(ValueError, match="both classes"):
        parse_event_map("T1=1,T0=1")
