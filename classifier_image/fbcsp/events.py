"""Cue events from a trigger channel (classifier.md §1, §7.11).

A cue starts where the sign of the trigger rises (``sign(trig[i]) > sign(trig[i-1])``); its class is
the trigger value at that sample. Codes other than 1 (T1) and 2 (T2) are discarded and counted, and a
direct change from one non-zero code to another is not a new cue. A class cue that comes less than
`MIN_CUE_SPACING_S` after the previous one is not a trial: with the same code it is a repeat of that
cue (a bouncing trigger line or a double press, merged and counted); with the other code the
upload cannot say which class was shown, and it is refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import InvalidUpload
from .recording import CLASS_LABELS

#: Class cues closer than this are one cue: no motor-imagery trial is shorter than a window (1 s).
MIN_CUE_SPACING_S = 1.0
#: Trigger values are codes: finite, and below the magnitude up to which a float holds every whole number.
MAX_TRIGGER_MAGNITUDE = 2.0**53


@dataclass(frozen=True)
class CueEvents:
    """The class cues found on a trigger channel.

    Attributes
    ----------
    samples : ndarray of int64
        Onset sample of each T1/T2 cue, increasing.
    codes : ndarray of int64
        Class code of each cue (1 = T1, 2 = T2).
    discarded : dict of int to int
        Onsets whose code is neither 1 nor 2: code -> number of onsets.
    n_repeats : int
        Class onsets merged into the cue before them (see `merge_repeated_cues`).
    """

    samples: np.ndarray
    codes: np.ndarray
    discarded: dict[int, int] = field(default_factory=dict)
    n_repeats: int = 0

    @property
    def n_discarded(self) -> int:
        return sum(self.discarded.values())


def trigger_onsets(trigger: np.ndarray) -> np.ndarray:
    """Sample indices where the sign of ``trigger`` rises (the first sample is never an onset).

    Parameters
    ----------
    trigger : array_like, shape (n_samples,)

    Returns
    -------
    ndarray of int64
        Indices ``i >= 1`` with ``sign(trigger[i]) > sign(trigger[i - 1])``.
    """
    signs = np.sign(np.asarray(trigger, dtype=np.float64))
    return (np.flatnonzero(signs[1:] > signs[:-1]) + 1).astype(np.int64)


def cue_events(trigger: np.ndarray) -> CueEvents:
    """Split the rising edges of ``trigger`` into T1/T2 cues and discarded codes.

    Trigger values are rounded to the nearest integer before they are read as codes, so a code
    written as ``1.0`` in a CSV counts as 1.

    Raises
    ------
    InvalidUpload
        A value that is no code: not finite (NaN at a cue would lose the cue without a word), or of
        magnitude `MAX_TRIGGER_MAGNITUDE` or more (which no integer code can be read from).

    Examples
    --------
    >>> events = cue_events([0, 0, 1, 1, 0, 2, 2, 0, 3, 0])
    >>> events.samples.tolist(), events.codes.tolist(), events.discarded
    ([2, 5], [1, 2], {3: 1})
    """
    values = np.asarray(trigger, dtype=np.float64)
    no_code = ~(np.abs(values) < MAX_TRIGGER_MAGNITUDE)  # NaN compares False
    if no_code.any():
        row = int(np.argmax(no_code))
        raise InvalidUpload(
            f"CSV row {row + 1}: the trigger (the last column) is {values[row]:g}; it must be 0 between cues "
            "and a whole-number code at each cue (1 = T1, 2 = T2)"
        )
    onsets = trigger_onsets(values)
    codes = np.rint(values[onsets]).astype(np.int64)
    is_class = np.isin(codes, list(CLASS_LABELS))
    discarded = Counter(int(code) for code in codes[~is_class])
    return CueEvents(
        samples=onsets[is_class], codes=codes[is_class], discarded=dict(sorted(discarded.items()))
    )


def merge_repeated_cues(events: CueEvents, sfreq: float) -> CueEvents:
    """`events` with each class cue less than `MIN_CUE_SPACING_S` after the previous kept cue merged into it.

    Raises
    ------
    InvalidUpload
        Two cues of different classes closer than `MIN_CUE_SPACING_S`.

    Examples
    --------
    >>> events = merge_repeated_cues(cue_events([0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 2, 0]), sfreq=4.0)
    >>> events.samples.tolist(), events.codes.tolist(), events.n_repeats
    ([1, 10], [1, 2], 1)
    """
    min_gap = MIN_CUE_SPACING_S * sfreq
    keep = np.ones(events.samples.size, dtype=bool)
    last = None
    for index, (sample, code) in enumerate(zip(events.samples, events.codes, strict=True)):
        if last is not None and sample - events.samples[last] < min_gap:
            if code != events.codes[last]:
                raise InvalidUpload(
                    f"the recording marks a {CLASS_LABELS[int(events.codes[last])]} cue and a "
                    f"{CLASS_LABELS[int(code)]} cue {(sample - events.samples[last]) / sfreq:.3g} s apart "
                    f"(at {events.samples[last] / sfreq:.3f} s): cues of one trial must be at least "
                    f"{MIN_CUE_SPACING_S:g} s apart, so which class was shown cannot be told"
                )
            keep[index] = False
            continue
        last = index
    return replace(
        events,
        samples=events.samples[keep],
        codes=events.codes[keep],
        n_repeats=events.n_repeats + int(np.count_nonzero(~keep)),
    )


def describe_discarded(discarded: dict[int, int]) -> str:
    """A sentence naming the discarded cue codes and their counts, or ``""`` when there are none.

    Code 0 can only come from a rise from a negative value back to 0, so it is named as such.
    """
    if not discarded:
        return ""
    parts = ", ".join(
        f"code {code} x{count}" + (" (a rise from a negative value back to 0)" if code == 0 else "")
        for code, count in discarded.items()
    )
    return f"ignored {sum(discarded.values())} cue(s) that are neither T1 (1) nor T2 (2): {parts}"


def describe_trigger_column(trigger: np.ndarray, events: CueEvents) -> str:
    """What a researcher needs to know about an upload's trigger column, or ``""`` when it is as expected.

    A column with no rise at all is most often not the trigger (the app writes its classifier
    output, about -79, just before it), so that case says where the trigger belongs.
    """
    values = np.asarray(trigger, dtype=np.float64)
    if events.samples.size == 0 and events.n_discarded == 0:
        span = f"from {values.min():g} to {values.max():g}" if values.size else "no values"
        return (
            f"the trigger column (the CSV's last column) has no cue: its sign never rises ({span}); "
            "it must hold 0 between cues and 1 (T1) or 2 (T2) at each cue, after the app's classifier column"
        )
    return "; ".join(note for note in (describe_discarded(events.discarded), describe_repeats(events)) if note)


def describe_repeats(events: CueEvents) -> str:
    """A sentence counting the cues `merge_repeated_cues` merged, or ``""`` when there are none."""
    if not events.n_repeats:
        return ""
    return (
        f"merged {events.n_repeats} cue(s) that came less than {MIN_CUE_SPACING_S:g} s after a cue of "
        "the same class into it (a bouncing trigger line?)"
    )
