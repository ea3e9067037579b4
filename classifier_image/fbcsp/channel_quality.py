"""Electrodes a researcher should check: one much noisier or much quieter than the others, or clipped.

A loose electrode is the commonest fault of a real session, and CSP trains on it without
complaint: 300 µV of white noise added to one channel of the S001 and S002 uploads cost 4.2 and
4.9 points of nested accuracy, and the online model 6.7 and 26.4 (S003 lost nothing). Nothing here
changes the training:
the report names the channel so that the next session can be fixed.

The noise measure is the standard deviation of a channel's sample-to-sample differences, which
ignores offsets and slow drift, relative to the median channel's. On the 64-channel EEGMMIDB
runs of S001-S003 it lies between 0.6 and 3.3 (temporal channels, with muscle activity, highest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A channel whose difference SD is this many times the median channel's is called noisy ...
NOISY_RATIO = 5.0
#: ... and one at this fraction of it or less almost silent.
QUIET_RATIO = 0.2
#: A channel with this fraction of its samples at its own extreme values is called clipped.
CLIPPED_FRACTION = 0.01
#: The median needs channels to compare with.
MIN_CHANNELS = 3


@dataclass(frozen=True)
class ChannelQuality:
    """Per-channel figures of a recording, in channel order.

    Attributes
    ----------
    noise_ratio : ndarray, shape (n_channels,)
        SD of the sample-to-sample differences over the median channel's.
    clipped_fraction : ndarray, shape (n_channels,)
        Fraction of samples equal to the channel's maximum or minimum.
    """

    noise_ratio: np.ndarray
    clipped_fraction: np.ndarray

    @classmethod
    def of(cls, data: np.ndarray) -> ChannelQuality:
        """The figures of ``data`` (n_channels, n_samples), one channel at a time (no copy of the recording)."""
        spread = np.array([np.std(np.diff(row)) for row in data])
        median = np.median(spread)
        clipped = np.array([np.mean((row == row.max()) | (row == row.min())) for row in data])
        return cls(noise_ratio=spread / median if median > 0 else np.ones_like(spread), clipped_fraction=clipped)


def channel_warnings(quality: ChannelQuality, ch_names: tuple[str, ...]) -> list[str]:
    """A sentence for each kind of suspect channel, naming them and their figures."""
    warnings = []
    if len(ch_names) >= MIN_CHANNELS:
        noisy = _listed(ch_names, quality.noise_ratio, quality.noise_ratio >= NOISY_RATIO, "{:.0f}x")
        if noisy:
            warnings.append(
                f"Noisy channel(s): {noisy} the median channel's sample-to-sample variation. Check these "
                "electrodes' contact; CSP trained on them as they are."
            )
        quiet = _listed(ch_names, quality.noise_ratio, quality.noise_ratio <= QUIET_RATIO, "{:.2f}x")
        if quiet:
            warnings.append(
                f"Almost silent channel(s): {quiet} the median channel's sample-to-sample variation. "
                "Check that these electrodes are connected."
            )
    clipped_percent = 100 * quality.clipped_fraction
    clipped = _listed(ch_names, clipped_percent, quality.clipped_fraction >= CLIPPED_FRACTION, "{:.1f} %")
    if clipped:
        warnings.append(
            f"Clipped channel(s): {clipped} of the samples at the channel's largest or smallest value. The "
            "amplifier's range was exceeded (an electrode offset?)."
        )
    return warnings


def _listed(ch_names: tuple[str, ...], values: np.ndarray, flagged: np.ndarray, form: str) -> str:
    """``"C3 (12x), Cz (7x)"``: the flagged channels with their figure, or ``""``."""
    return ", ".join(
        f"{name} ({form.format(value)})" for name, value, hit in zip(ch_names, values, flagged, strict=True) if hit
    )
