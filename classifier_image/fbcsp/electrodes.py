"""Electrode names as recording systems decorate them, reduced to the 10-05 position they name.

Exports label the same electrode in many ways: EEGMMIDB pads names with dots (``"Fc3."``,
``"C3.."``), clinical EDF exports add a type prefix and the reference (``"EEG C3-REF"``,
``"EEG C3-A2"``). Comparing raw names would leave such montages without the motor-area prior
and without scalp maps, so every comparison of channel names goes through `electrode_key`. A
bipolar derivation (``"C3-P3"``) names two electrodes and keeps its name, so it matches no
position.
"""

from __future__ import annotations

import re

#: References written after a referential channel's electrode (``"C3-REF"``, ``"C3-A2"``).
REFERENCE_SUFFIXES = ("REF", "LE", "RE", "AR", "AVG", "CAR", "A1", "A2", "M1", "M2")

_DECORATED = re.compile(
    rf"^(?:EEG[\s_-]+)?(?P<electrode>.+?)(?:\s*-\s*(?:{'|'.join(REFERENCE_SUFFIXES)}))?$", re.IGNORECASE
)


def electrode_key(name: str) -> str:
    """The upper-case electrode a channel name refers to.

    Examples
    --------
    >>> [electrode_key(name) for name in ("C3..", "Fc3.", "EEG C3-REF", "eeg_cz-a1", "C3-P3", "EEG1")]
    ['C3', 'FC3', 'C3', 'CZ', 'C3-P3', 'EEG1']
    """
    bare = name.strip().rstrip(".").strip()
    match = _DECORATED.match(bare)
    return (match.group("electrode") if match else bare).strip().upper()
