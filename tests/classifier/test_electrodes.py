"""Channel names as exports decorate them, matched to the electrode they name."""

import pytest

from fbcsp.electrodes import electrode_key

pytestmark = pytest.mark.classifier


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("C3", "C3"),
        ("cpz", "CPZ"),
        ("C3..", "C3"),  # EEGMMIDB pads names with dots
        ("Fc3.", "FC3"),
        ("EEG C3-REF", "C3"),  # clinical EDF exports: type prefix and reference
        ("EEG Cz-A1", "CZ"),
        ("eeg_cp4-le", "CP4"),
        ("EEG-FC3", "FC3"),
        (" C4 - M2 ", "C4"),
        ("C3-P3", "C3-P3"),  # a bipolar derivation names two electrodes: no position
        ("EEG1", "EEG1"),  # the assumed names of an upload without ChannelNames stay as they are
        ("EEG_1", "1"),
    ],
)
def test_electrode_key_drops_padding_type_prefix_and_reference(name, key):
    assert electrode_key(name) == key
