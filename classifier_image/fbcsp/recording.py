"""The in-memory form of one recording session, whatever file format it came from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidUpload

CLASS_LABELS = {1: "T1", 2: "T2"}


@dataclass(frozen=True, eq=False)
class Recording:
    """A continuous multichannel recording with its cue events.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        Samples in volts, float64, all finite.
    sfreq : float
        Sampling rate in Hz (the processing rate: nothing is resampled).
    ch_names : tuple of str, length n_channels
    event_samples : ndarray of int, shape (n_events,)
        Sample index of each cue onset, increasing.
    event_codes : ndarray of int, shape (n_events,)
        Class of each cue: 1 = T1, 2 = T2 (other codes are dropped by the readers).
    ch_names_known : bool
        False when the names are an assumed default (an upload without ``ChannelNames``), so
        they must not be taken as electrode positions.
    cue_note : str
        What the reader noticed about the cues, as a sentence for the researcher (codes other than
        1 and 2 it left out, or a trigger column with no cue at all), or ``""``.
    """

    data: np.ndarray
    sfreq: float
    ch_names: tuple[str, ...]
    event_samples: np.ndarray
    event_codes: np.ndarray
    ch_names_known: bool = True
    cue_note: str = ""

    def __post_init__(self) -> None:
        data = np.asarray(self.data)
        if data.ndim != 2:
            raise InvalidUpload(f"samples must form a channels x samples matrix, got {data.ndim} dimension(s)")
        if len(self.ch_names) != data.shape[0]:
            raise InvalidUpload(f"{len(self.ch_names)} channel names for {data.shape[0]} channels")
        if not np.isfinite(self.sfreq) or self.sfreq <= 0:
            raise InvalidUpload(f"sampling rate must be a positive number of Hz, got {self.sfreq!r}")
        bad = ~np.isfinite(data)
        if bad.any():
            channel, sample = np.argwhere(bad)[0]
            raise InvalidUpload(
                f"{int(bad.sum())} non-finite sample(s), first on channel {self.ch_names[channel]} "
                f"at sample {int(sample)}"
            )
        samples = np.asarray(self.event_samples)
        codes = np.asarray(self.event_codes)
        if samples.shape != codes.shape or samples.ndim != 1:
            raise InvalidUpload("event samples and codes must be two vectors of the same length")
        if samples.size and (samples.min() < 0 or samples.max() >= data.shape[1]):
            raise InvalidUpload("an event lies outside the recording")
        if np.any(np.diff(samples) <= 0):
            raise InvalidUpload("event onsets must be strictly increasing")
        unknown = set(np.unique(codes).tolist()) - set(CLASS_LABELS)
        if unknown:
            raise InvalidUpload(f"unknown event codes {sorted(unknown)} (expected 1 = T1, 2 = T2)")
        object.__setattr__(self, "data", data.astype(np.float64, copy=False))
        object.__setattr__(self, "event_samples", samples.astype(np.int64, copy=False))
        object.__setattr__(self, "event_codes", codes.astype(np.int64, copy=False))
        object.__setattr__(self, "ch_names", tuple(str(n) for n in self.ch_names))
        object.__setattr__(self, "sfreq", float(self.sfreq))

    @property
    def n_channels(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])
