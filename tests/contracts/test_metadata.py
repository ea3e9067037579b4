"""contracts.upload_metadata.parse_metadata: what metadata.json must give, and the channel names it yields."""

import json

import pytest

from contracts.upload_metadata import DEFAULT_CHANNEL_NAMES, MAX_EEG_CHANNELS, UploadRejected, parse_metadata

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"Frequency": 125.0}, "lacks the required key.* EEGChannels"),
        ({"EEGChannels": 3}, "lacks the required key.* Frequency"),
        ({}, "EEGChannels, Frequency"),
        ({"EEGChannels": 1, "Frequency": 125.0}, "from 2 to"),
        ({"EEGChannels": MAX_EEG_CHANNELS + 1, "Frequency": 125.0}, f"whole number from 2 to {MAX_EEG_CHANNELS}$"),
        ({"EEGChannels": 1_000_000_000, "Frequency": 125.0}, f"from 2 to {MAX_EEG_CHANNELS}"),
        ({"EEGChannels": 10**400, "Frequency": 125.0}, f"from 2 to {MAX_EEG_CHANNELS}"),
        ({"EEGChannels": 3, "Frequency": 10**400}, "positive number"),
        ({"EEGChannels": 2.5, "Frequency": 125.0}, "whole number"),
        ({"EEGChannels": True, "Frequency": 125.0}, "whole number"),
        ({"EEGChannels": 3, "Frequency": 0}, "positive number"),
        ({"EEGChannels": 3, "Frequency": "fast"}, "positive number"),
        ({"EEGChannels": 3, "Frequency": 0.001}, r"0\.001 Hz; the classifier needs 100 to 6000"),
        ({"EEGChannels": 3, "Frequency": 1}, "1 Hz; the classifier needs"),
        ({"EEGChannels": 3, "Frequency": 99.99}, "99.99 Hz"),
        ({"EEGChannels": 3, "Frequency": 6_000.5}, "6000.5 Hz"),
        ({"EEGChannels": 3, "Frequency": 125.0, "ChannelNames": ["C3", "C4"]}, "names 2 channel"),
        ({"EEGChannels": 2, "Frequency": 125.0, "ChannelNames": ["C3", "c3"]}, "repeats"),
        ({"EEGChannels": 2, "Frequency": 125.0, "ChannelNames": "C3,C4"}, "list of non-empty strings"),
        (
            {"EEGChannels": 2, "Frequency": 125.0, "ChannelNames": ["C3", "\ud800"]},
            r"ChannelNames holds a name that is not Unicode text \('\\ud800'",
        ),
    ],
)
def test_metadata_rules(metadata, message):
    with pytest.raises(UploadRejected, match=message):
        parse_metadata(json.dumps(metadata).encode())


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_metadata_must_be_a_json_object(raw):
    with pytest.raises(UploadRejected, match="metadata.json"):
        parse_metadata(raw)


def test_channel_names_come_from_the_metadata_or_the_apps_montage():
    named = parse_metadata(b'{"EEGChannels": 2, "Frequency": 160, "ChannelNames": [" C3 ", "C4"]}')
    assert (named.n_channels, named.sfreq, named.ch_names) == (2, 160.0, ("C3", "C4"))
    montage = parse_metadata(b'\xef\xbb\xbf{"EEGChannels": 8, "Frequency": 160}')
    assert montage.ch_names == DEFAULT_CHANNEL_NAMES[8]
    unnamed = parse_metadata(b'{"EEGChannels": 4, "Frequency": 100}')
    assert unnamed.ch_names == ("EEG1", "EEG2", "EEG3", "EEG4")
    most = parse_metadata(f'{{"EEGChannels": {MAX_EEG_CHANNELS}, "Frequency": 100}}'.encode())
    assert most.ch_names[-1] == f"EEG{MAX_EEG_CHANNELS}"


def test_metadata_nested_deeper_than_the_parser_goes_is_refused():
    nested = b'{"EEGChannels": 3, "Frequency": 125, "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    with pytest.raises(UploadRejected, match="metadata.json nests arrays or objects too deeply"):
        parse_metadata(nested)
