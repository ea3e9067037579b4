"""Electrodes a researcher should check: one much noisier or much quieter than the others, or clipped.

A loose electrode is the commonest fault of a real session, and CSP trains on it without
complaint: 300 µV of white noise added to one channel of the S001 and S002 uploads cost 4.2 and
4.9 points of nested accuracy, and the online model 6.7 and 26.4 (S003 lost nothing). Nothing here
changes the training:
the report names the channel so that the next session can be fixed.

The noise measure is the standard deviation of a channel's sample-to-sample differences, which
ignores offsets and slow drift, relative to the median channel's. On the 64-channel EEGMMIDB
runs of S001-S003 it lies between 0.6 and 3.3 (temporal channels, with muscle activity, highest).
The median channel's own figure, about 1.4e-5 to 2.6e-5 V on those runs, also tells EEG written in
millivolts, which passes the volts check of `fbcsp.samples_csv` (it refuses microvolts).
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
#: The median channel's sample-to-sample SD from which the EEG looks like millivolts: 40 times the
#: EEGMMIDB runs' in volts, and a fourteenth of the same EEG in millivolts.
MILLIVOLTS_STEP = 1e-3


@dataclass(frozen=True)
class ChannelQuality:
    """Per-channel figures of a recording, in channel order.

    Attributes
    ----------
    noise_ratio : ndarray, shape (n_channels,)
        SD of the sample-to-sample differences over the median channel's (constant channels left
        out of the median).
    clipped_fraction : ndarray, shape (n_channels,)
        Fraction of samples equal to the channel's maximum or minimum.
    constant : ndarray of bool, shape (n_channels,)
        Channels whose samples all have the same value; the training leaves them out
        (`fbcsp.csp_channels`).
    median_step : float
        The median varying channel's SD of sample-to-sample differences, in the recording's unit.
    """

    noise_ratio: np.ndarray
    clipped_fraction: np.ndarray
    constant: np.ndarray
    median_step: float

    @classmethod
    def of(cls, data: np.ndarray) -> ChannelQuality:
        """The figures of ``data`` (n_channels, n_samples), one channel at a time (no copy of the recording)."""
        spread, clipped = np.empty(data.shape[0]), np.empty(data.shape[0])
        constant = np.empty(data.shape[0], dtype=bool)
        for index, row in enumerate(data):
            high, low = row.max(), row.min()
            spread[index] = np.std(np.diff(row))
            clipped[index] = np.mean((row == high) | (row == low))
            constant[index] = high == low
        median = np.median(spread[~constant]) if not constant.all() else 0.0
        return cls(
            noise_ratio=spread / median if median > 0 else np.ones_like(spread),
            clipped_fraction=clipped,
            constant=constant,
            median_step=float(median),
        )

    def constant_names(self, ch_names: tuple[str, ...]) -> list[str]:
        """The names of the constant channels, in channel order."""
        return [name for name, constant in zip(ch_names, self.constant, strict=True) if constant]


def channel_warnings(quality: ChannelQuality, ch_names: tuple[str, ...]) -> list[str]:
    """A sentence for each kind of suspect channel, naming them and their figures, and one for EEG
    that looks like millivolts."""
    warnings = []
    if quality.median_step >= MILLIVOLTS_STEP:
        warnings.append(
            f"The EEG looks like millivolts, not volts: the median channel varies by {quality.median_step:.2g} from "
            "one sample to the next, where scalp EEG in volts varies by about 0.00001. A model trained on "
            "millivolts is wrong for the app, which streams volts: write the columns in volts (divide "
            "millivolts by 1,000) and train again."
        )
    if quality.constant.any():
        warnings.append(
            f"Constant channel(s): {', '.join(quality.constant_names(ch_names))} kept one value "
            "throughout, so they carry no signal. The training left them out and the exported filters give "
            "them zero weight. Check that these electrodes are connected."
        )
    varying = ~quality.constant
    if len(ch_names) >= MIN_CHANNELS:
        noisy = _listed(ch_names, quality.noise_ratio, varying & (quality.noise_ratio >= NOISY_RATIO), "{:.0f}x")
        if noisy:
            warnings.append(
                f"Noisy channel(s): {noisy} the median channel's sample-to-sample variation. Check these "
                "electrodes' contact; CSP trained on them as they are."
            )
        quiet = _listed(ch_names, quality.noise_ratio, varying & (quality.noise_ratio <= QUIET_RATIO), "{:.2f}x")
        if quiet:
            warnings.append(
                f"Almost silent channel(s): {quiet} the median channel's sample-to-sample variation. "
                "Check that these electrodes are connected."
            )
    clipped_percent = 100 * quality.clipped_fraction
    clipped = _listed(ch_names, clipped_percent, varying & (quality.clipped_fraction >= CLIPPED_FRACTION), "{:.1f} %")
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
