"""Synthetic recordings with class-dependent band power, small enough for fast tests."""

from __future__ import annotations

import numpy as np

from fbcsp.recording import Recording

TRIAL_SPACING_S = 11.0
LEAD_IN_S = 3.5


def synthetic_recording(
    *,
    n_channels: int = 4,
    sfreq: float = 125.0,
    trials_per_class: tuple[int, int] = (12, 12),
    effect: float = 3.0,
    seed: int = 0,
    rhythm_hz: float = 11.0,
) -> Recording:
    """A recording where, 0.5-4 s after each cue, a rhythm grows on a class-specific spatial pattern.

    Parameters
    ----------
    n_channels : int
    sfreq : float
    trials_per_class : (int, int)
        T1 and T2 trial counts; cues alternate in a seeded random order.
    effect : float
        Amplitude of the task rhythm relative to the background (0 = no class information).
    seed : int
    rhythm_hz : float
        Frequency of the task rhythm (inside bands 3 and 4 by default).

    Returns
    -------
    Recording
        Volts-scale data (about 1e-5), channels ``EEG1..EEGn``, cues 11 s apart.
    """
    rng = np.random.default_rng(seed)
    codes = np.array([1] * trials_per_class[0] + [2] * trials_per_class[1])
    rng.shuffle(codes)
    n_samples = int((LEAD_IN_S + TRIAL_SPACING_S * codes.size + 4.0) * sfreq)
    cues = (np.round((LEAD_IN_S + TRIAL_SPACING_S * np.arange(codes.size)) * sfreq)).astype(np.int64)
    mixing = rng.normal(size=(n_channels, n_channels))
    data = mixing @ rng.normal(size=(n_channels, n_samples))
    patterns = rng.normal(size=(2, n_channels))
    burst = np.arange(int(0.5 * sfreq), int(4.0 * sfreq))
    rhythm = np.sin(2 * np.pi * rhythm_hz * burst / sfreq)
    for cue, code in zip(cues, codes, strict=True):
        amplitude = effect * (1.0 + 0.3 * rng.normal())
        data[:, cue + burst] += amplitude * np.outer(patterns[code - 1], rhythm * rng.uniform(0.5, 1.5))
    return Recording(
        data=1e-5 * data,
        sfreq=sfreq,
        ch_names=tuple(f"EEG{i + 1}" for i in range(n_channels)),
        event_samples=cues,
        event_codes=codes,
    )
