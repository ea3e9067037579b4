"""The FIR filter bank: band table, minimum-order equiripple designs and causal filtering.

Each band is a highpass FIR followed by a lowpass FIR (the original Simulink "Bandpass" block),
both equiripple (Parks-McClellan) designs with 1 dB passband ripple and 60 dB stopband
attenuation, applied causally with zero initial state (spec section 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InvalidUpload

#: Band id -> (low1, low2, high1, high2) in Hz: highpass stop/pass edges, lowpass pass/stop edges.
BAND_TABLE: dict[int, tuple[float, float, float, float]] = {
    1: (0.01, 0.5, 4.0, 8.0),
    2: (2.0, 4.0, 8.0, 14.0),
    3: (4.0, 8.0, 12.0, 18.0),
    4: (6.0, 12.0, 18.0, 26.0),
    5: (12.0, 18.0, 28.0, 36.0),
    6: (22.0, 28.0, 40.0, 48.0),
    11: (0.01, 0.5, 2.0, 6.0),
    12: (0.5, 2.0, 4.0, 8.0),
}

#: The bands the classifier uses, in feature order.
USED_BAND_IDS: tuple[int, ...] = (3, 4, 5, 6)

PASSBAND_RIPPLE_DB = 1.0
STOPBAND_ATTENUATION_DB = 60.0
PASSBAND_DEVIATION = (10 ** (PASSBAND_RIPPLE_DB / 20) - 1) / (10 ** (PASSBAND_RIPPLE_DB / 20) + 1)
STOPBAND_DEVIATION = 10 ** (-STOPBAND_ATTENUATION_DB / 20)

MAX_TAPS = 8001
#: The highest sample rate at which every used band was shown to design (SciPy 1.17.1: at 6,000 Hz all
#: eight filters, band 3's highpass the longest at 3,547 taps, in about 100 s of CPU; at 8,000 Hz remez
#: fails to converge on band 5, at 8,192 Hz and above already on band 3's highpass, long before
#: `MAX_TAPS`). `contracts.upload_metadata.MAX_SAMPLE_RATE_HZ` must not exceed it.
HIGHEST_DESIGNED_SAMPLE_RATE_HZ = 6000.0
RESPONSE_GRID_POINTS = 16384
# Relative slack when checking the achieved response, so that a design sitting exactly on the
# specified deviation (which is what equiripple designs do) is not rejected for rounding noise.
SPEC_TOLERANCE = 1e-6


@dataclass(frozen=True)
class BandDesign:
    """The two FIR filters of one band.

    Attributes
    ----------
    band_id : int
        Key into `BAND_TABLE`.
    edges_hz : tuple of 4 float
        (low1, low2, high1, high2) in Hz.
    highpass : ndarray, shape (n_highpass_taps,)
        Highpass taps (odd length, linear phase).
    lowpass : ndarray, shape (n_lowpass_taps,)
        Lowpass taps.
    """

    band_id: int
    edges_hz: tuple[float, float, float, float]
    highpass: np.ndarray
    lowpass: np.ndarray


def herrmann_tap_estimate(
    transition_hz: float, sfreq: float, passband_dev: float, stopband_dev: float
) -> int:
    """Estimate the taps of a two-band equiripple FIR with Herrmann's formula (as ``firpmord`` does).

    Parameters
    ----------
    transition_hz : float
        Width of the transition band in Hz.
    sfreq : float
        Sampling rate in Hz.
    passband_dev, stopband_dev : float
        Linear passband and stopband deviations.

    Returns
    -------
    int
        Estimated number of taps (filter order + 1).
    """
    log_dp = math.log10(passband_dev)
    log_ds = math.log10(stopband_dev)
    d_infinity = log_ds * (5.309e-3 * log_dp**2 + 7.114e-2 * log_dp - 4.761e-1) + (
        -2.66e-3 * log_dp**2 - 5.941e-1 * log_dp - 4.278e-1
    )
    correction = 11.01217 + 0.51244 * (log_dp - log_ds)
    width = transition_hz / sfreq
    return max(3, math.ceil(d_infinity / width - correction * width + 1))


def _remez(numtaps: int, stop_hz: float, pass_hz: float, sfreq: float, highpass: bool) -> np.ndarray:
    # scipy.signal only where a filter is designed: a run reading stored designs never imports it
    from scipy import signal  # noqa: PLC0415 - see fbcsp.filter_designs

    weight_ratio = PASSBAND_DEVIATION / STOPBAND_DEVIATION
    if highpass:
        return signal.remez(
            numtaps, [0, stop_hz, pass_hz, sfreq / 2], [0, 1], weight=[weight_ratio, 1], fs=sfreq, maxiter=100
        )
    return signal.remez(
        numtaps, [0, pass_hz, stop_hz, sfreq / 2], [1, 0], weight=[1, weight_ratio], fs=sfreq, maxiter=100
    )


def meets_specification(taps: np.ndarray, stop_hz: float, pass_hz: float, sfreq: float) -> bool:
    """Whether a filter keeps 1 dB passband ripple and 60 dB stopband attenuation.

    The passband is the side of `pass_hz` away from `stop_hz`; the response is evaluated on a
    dense grid up to Nyquist.

    Parameters
    ----------
    taps : ndarray, shape (n_taps,)
    stop_hz, pass_hz : float
        Stopband and passband edges in Hz (stop < pass for a highpass, stop > pass for a lowpass).
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    bool
    """
    from scipy import signal  # noqa: PLC0415 - see _remez

    freqs, response = signal.freqz(taps, worN=RESPONSE_GRID_POINTS, fs=sfreq)
    magnitude = np.abs(response)
    if stop_hz < pass_hz:
        passband, stopband = freqs >= pass_hz, freqs <= stop_hz
    else:
        passband, stopband = freqs <= pass_hz, freqs >= stop_hz
    slack = 1 + SPEC_TOLERANCE
    return bool(
        np.all(np.abs(magnitude[passband] - 1) <= PASSBAND_DEVIATION * slack)
        and np.all(magnitude[stopband] <= STOPBAND_DEVIATION * slack)
    )


def minimum_order_taps(stop_hz: float, pass_hz: float, sfreq: float) -> np.ndarray:
    """Design the shortest equiripple highpass or lowpass found by the project's search rule.

    Rule: start at Herrmann's estimate (``firpmord``), rounded up to an odd count for a
    highpass (an even-length linear-phase FIR has a zero at Nyquist), then grow by one tap
    (two for a highpass) until the design meets 1 dB / 60 dB on a dense grid. MATLAB's own
    search is not reproducible exactly (spec section 2); the taps are exported, so consumers
    never redesign them.

    Parameters
    ----------
    stop_hz, pass_hz : float
        Edges in Hz; ``stop_hz < pass_hz`` designs a highpass, otherwise a lowpass.
    sfreq : float
        Sampling rate in Hz.

    Returns
    -------
    ndarray, shape (n_taps,)
    """
    highpass = stop_hz < pass_hz
    numtaps = herrmann_tap_estimate(abs(pass_hz - stop_hz), sfreq, PASSBAND_DEVIATION, STOPBAND_DEVIATION)
    increment = 2 if highpass else 1
    if highpass and numtaps % 2 == 0:
        numtaps += 1
    while numtaps <= MAX_TAPS:
        try:
            taps = _remez(numtaps, stop_hz, pass_hz, sfreq, highpass)
        except ValueError as exc:  # remez's "Failure to converge": the filter is too long for it
            raise InvalidUpload(
                f"no FIR filter with the band edges {stop_hz:g} and {pass_hz:g} Hz can be designed at {sfreq:g} Hz "
                f"({exc}): resample the recording to {HIGHEST_DESIGNED_SAMPLE_RATE_HZ:g} Hz or less, where "
                "every band designs"
            ) from exc
        if meets_specification(taps, stop_hz, pass_hz, sfreq):
            return taps
        numtaps += increment
    raise InvalidUpload(f"no FIR filter of at most {MAX_TAPS} taps meets the band edges at {sfreq} Hz")


def below_nyquist(band_id: int, sfreq: float) -> bool:
    """Whether a band's top (stopband) edge lies below the Nyquist frequency of `sfreq`."""
    return BAND_TABLE[band_id][3] < sfreq / 2


def design_band(band_id: int, sfreq: float) -> BandDesign:
    """Design the highpass and lowpass filters of one band at one sampling rate.

    Parameters
    ----------
    band_id : int
        Key into `BAND_TABLE`.
    sfreq : float
        Sampling rate in Hz; the band's top edge must lie below Nyquist.

    Returns
    -------
    BandDesign
    """
    if band_id not in BAND_TABLE:
        raise ValueError(f"unknown band id {band_id}; defined ids are {sorted(BAND_TABLE)}")
    low1, low2, high1, high2 = BAND_TABLE[band_id]
    if not below_nyquist(band_id, sfreq):
        raise InvalidUpload(
            f"band {band_id} needs a stopband edge at {high2} Hz, above the Nyquist frequency "
            f"{sfreq / 2} Hz of a {sfreq} Hz recording"
        )
    return BandDesign(
        band_id=band_id,
        edges_hz=(low1, low2, high1, high2),
        highpass=minimum_order_taps(low1, low2, sfreq),
        lowpass=minimum_order_taps(high2, high1, sfreq),
    )


def filter_continuous(data: np.ndarray, band: BandDesign) -> np.ndarray:
    """Filter a continuous recording causally: highpass then lowpass, zero initial state.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    band : BandDesign

    Returns
    -------
    ndarray, shape (n_channels, n_samples)
    """
    return causal_fir(causal_fir(data, band.highpass), band.lowpass)


def causal_fir(data: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """``scipy.signal.lfilter(taps, 1.0, data, axis=-1)`` of a 2-D array, row by row.

    The same direct-form sums in the same order (the results are bit-identical), without
    importing scipy.signal.
    """
    n_samples = data.shape[-1]
    filtered = np.empty(data.shape, dtype=np.result_type(data, taps, float))
    for row, series in zip(filtered, data, strict=True):
        row[:] = np.convolve(series, taps)[:n_samples]
    return filtered


def group_delay_samples(band: BandDesign) -> float:
    """Delay of a band's causal filtering in samples: half of each linear-phase FIR's length minus one."""
    return (band.highpass.size - 1) / 2 + (band.lowpass.size - 1) / 2
