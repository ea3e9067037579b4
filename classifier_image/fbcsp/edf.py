"""EDF / BDF / GDF recordings (read with MNE) as a :class:`Recording`.

Cues come from the files' annotations: an annotation whose description is a key of the event map
becomes a cue of that class at the sample nearest its onset; other annotations (e.g. EEGMMIDB's
``T0`` rest marks) are ignored and counted. Several files are concatenated in the order given,
as if recorded back to back; they must share the sampling rate and the selected channels.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from contracts.upload_metadata import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ

from .electrodes import electrode_key
from .errors import InvalidUpload
from .events import CueEvents, describe_repeats, merge_repeated_cues
from .recording import CLASS_LABELS, Recording
from .samples_csv import first_sample_beyond_volts

if TYPE_CHECKING:
    import mne

log = logging.getLogger(__name__)

#: Annotation description -> class code used when no event map is given.
DEFAULT_EVENT_MAP: dict[str, int] = {"T1": 1, "T2": 2}
SIGNAL_FILE_SUFFIXES = (".edf", ".bdf", ".gdf")


def normalise_channel_name(name: str) -> str:
    """Drop padding dots as in EEGMMIDB names (``"C3.."`` -> ``"C3"``, ``"Fc3."`` -> ``"Fc3"``)."""
    return name.strip().rstrip(".").strip()


def parse_event_map(text: str) -> dict[str, int]:
    """Parse ``"T1=1,T2=2"`` into an event map and check it.

    Raises
    ------
    ValueError
        An item without ``=``, an empty description, or a code that is not 1 or 2.
    """
    mapping: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        description, separator, code = item.partition("=")
        if not separator or not description.strip():
            raise ValueError(f"event map item {item!r} is not DESCRIPTION=CODE")
        try:
            mapping[description.strip()] = int(code)
        except ValueError:
            raise ValueError(f"event map item {item!r}: {code!r} is not a whole number") from None
    return check_event_map(mapping)


def check_event_map(event_map: Mapping[str, int]) -> dict[str, int]:
    """Return ``event_map`` as a dict after checking it maps to both classes 1 (T1) and 2 (T2) only."""
    mapping = dict(event_map)
    bad = {description: code for description, code in mapping.items() if code not in CLASS_LABELS}
    if bad:
        raise ValueError(f"event codes must be 1 (T1) or 2 (T2); got {bad}")
    if set(mapping.values()) != set(CLASS_LABELS):
        raise ValueError(f"the event map must name both classes 1 (T1) and 2 (T2); got {mapping}")
    return mapping


def select_channels(available: Sequence[str], wanted: Sequence[str] | None) -> tuple[list[int], list[str]]:
    """Indices and names of the wanted channels, matched by `electrode_key` (``"C3"`` finds ``"C3.."``).

    Parameters
    ----------
    available : sequence of str
        Channel names as stored in a file.
    wanted : sequence of str or None
        Names to keep, in the order wanted; None keeps every channel.

    Returns
    -------
    indices : list of int
    names : list of str
        The wanted names as given, or the normalised file names when ``wanted`` is None.

    Raises
    ------
    InvalidUpload
        A wanted channel is missing, named twice, or matches two file channels.
    """
    normalised = [normalise_channel_name(name) for name in available]
    if wanted is None:
        return list(range(len(available))), normalised
    lookup: dict[str, list[int]] = {}
    for index, name in enumerate(normalised):
        lookup.setdefault(electrode_key(name), []).append(index)
    indices, missing = [], []
    for name in wanted:
        matches = lookup.get(electrode_key(name), [])
        if not matches:
            missing.append(name)
        elif len(matches) > 1:
            raise InvalidUpload(
                f"channel {name!r} matches several channels: {[available[i] for i in matches]}"
            )
        else:
            indices.append(matches[0])
    if missing:
        raise InvalidUpload(
            f"channel(s) {', '.join(missing)} not found; the file has {', '.join(normalised)}"
        )
    if len(set(indices)) != len(indices):
        raise InvalidUpload(f"a channel is selected twice in {list(wanted)}")
    return indices, [normalise_channel_name(name) for name in wanted]


def read_signal_files(
    paths: Sequence[str | Path],
    channels: Sequence[str] | None = None,
    event_map: Mapping[str, int] = DEFAULT_EVENT_MAP,
) -> Recording:
    """Read one or more EDF/BDF/GDF files into one :class:`Recording`.

    Parameters
    ----------
    paths : sequence of path
        Files in recording order; they are concatenated.
    channels : sequence of str, optional
        Channels to keep, in this order (matched by `electrode_key`). Default: every
        data channel (stimulus/status channels are left out).
    event_map : mapping of str to int
        Annotation description -> class code (1 = T1, 2 = T2). Default ``{"T1": 1, "T2": 2}``.

    Raises
    ------
    InvalidUpload
        A file that cannot be read, a sample rate outside the uploads' bounds, a sample of 1 V or more,
        mismatched rates or channels between files, a missing channel.
    """
    if not paths:
        raise InvalidUpload("no recording file given")
    mapping = check_event_map(event_map)
    blocks, cue_samples, cue_codes, ignored = [], [], [], Counter()
    sfreq, names, offset = None, None, 0
    for path in paths:
        raw = _open_raw(Path(path))
        indices, file_names = select_channels(raw.ch_names, channels)
        if sfreq is None:
            sfreq, names = float(raw.info["sfreq"]), file_names
            if not MIN_SAMPLE_RATE_HZ <= sfreq <= MAX_SAMPLE_RATE_HZ:
                raise InvalidUpload(
                    f"{Path(path).name} is sampled at {sfreq:g} Hz; the classifier needs "
                    f"{MIN_SAMPLE_RATE_HZ:g} to {MAX_SAMPLE_RATE_HZ:g} samples per second, as for uploads"
                )
        elif float(raw.info["sfreq"]) != sfreq:
            raise InvalidUpload(
                f"{Path(path).name} is sampled at {raw.info['sfreq']:g} Hz, the first file at {sfreq:g} Hz"
            )
        elif [electrode_key(name) for name in file_names] != [electrode_key(name) for name in names]:
            raise InvalidUpload(f"{Path(path).name} has other channels than the first file")
        samples, codes, skipped = _annotation_cues(raw, mapping)
        blocks.append(_volts(raw, indices, file_names, Path(path).name))
        cue_samples.append(samples + offset)
        cue_codes.append(codes)
        ignored.update(skipped)
        offset += raw.n_times
    if ignored:
        log.info("ignored annotations not in the event map: %s", dict(sorted(ignored.items())))
    events = merge_repeated_cues(CueEvents(np.concatenate(cue_samples), np.concatenate(cue_codes)), sfreq)
    cue_note = describe_repeats(events)
    if cue_note:
        log.warning(cue_note)
    return Recording(
        data=np.concatenate(blocks, axis=1),
        sfreq=sfreq,
        ch_names=tuple(names),
        event_samples=events.samples,
        event_codes=events.codes,
        cue_note=cue_note,
    )


def _open_raw(path: Path) -> mne.io.BaseRaw:
    if path.suffix.lower() not in SIGNAL_FILE_SUFFIXES:
        raise InvalidUpload(f"{path.name}: expected an .edf, .bdf or .gdf file")
    if not path.is_file():
        raise InvalidUpload(f"{path}: no such file")
    # imported here, not with the module: a CSV upload's run never needs MNE (about 50 ms of its start)
    import mne  # noqa: PLC0415

    try:
        raw = mne.io.read_raw(path, preload=False, verbose="error")
    # MNE's parsers fail on malformed headers with many exception types (even AssertionError);
    # each means the same thing here: the file is not a readable recording.
    except Exception as exc:  # noqa: BLE001
        raise InvalidUpload(f"{path.name} cannot be read as EDF/BDF/GDF ({exc})") from exc
    data_channels = mne.pick_types(
        raw.info, eeg=True, eog=True, emg=True, ecg=True, misc=True, seeg=True, stim=False, exclude=[]
    )
    return raw.pick(data_channels)


def _volts(raw: mne.io.BaseRaw, indices: list[int], names: list[str], file_name: str) -> np.ndarray:
    """The selected channels in volts; a sample of 1 V or more (no amplifier reaches it) is refused."""
    data = raw.get_data(picks=indices)
    beyond = first_sample_beyond_volts(data)
    if beyond:
        channel, sample = beyond
        raise InvalidUpload(
            f"{file_name}: channel {names[channel]} reads {data[channel, sample]:g} V at sample {sample} "
            f"({sample / raw.info['sfreq']:.3f} s): no amplifier's input range reaches 1 V (a glitch, or a "
            "header that gives the channel's unit or range wrong)"
        )
    return data


def _annotation_cues(raw: mne.io.BaseRaw, mapping: dict[str, int]) -> tuple[np.ndarray, np.ndarray, Counter]:
    """Cue samples (relative to the file start) and codes from annotations, plus ignored descriptions."""
    descriptions = Counter(str(description) for description in raw.annotations.description)
    ignored = Counter({text: count for text, count in descriptions.items() if text not in mapping})
    if not any(text in mapping for text in descriptions):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), ignored
    import mne  # noqa: PLC0415 - see _open_raw

    # MNE converts onsets to samples whatever the annotations' time origin; it counts from first_samp.
    events, _ = mne.events_from_annotations(raw, event_id=mapping, verbose="error")
    samples = events[:, 0].astype(np.int64) - raw.first_samp
    inside = (samples >= 0) & (samples < raw.n_times)
    return samples[inside], events[inside, 2].astype(np.int64), ignored
