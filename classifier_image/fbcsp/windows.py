"""Epoch and window geometry, and per-window second moments of the filtered epochs.

Geometry (spec section 3 with the fix of section 7.13): an epoch runs from ``pre = fix(-3 fs)``
to ``post = fix(7 fs)`` samples around the cue, inclusive; window ``k`` covers epoch samples
``[k*S, k*S + W)`` with ``W = round(1.0 fs)`` and ``S = round(0.04 fs)`` (MATLAB rounding).
Every window is labelled by its real end time relative to the cue,
``end_ms[k] = 1000 * (k*S + W + pre) / fs`` (the end is exclusive, so the window ending at the
cue sample has ``end_ms == 0``).

Window sets: reference windows are those with ``-1000 <= end_ms <= 0``, task windows those with
``400 <= end_ms <= 7000`` (bounds inclusive, compared with a 1e-6 ms tolerance). At 125, 250 and
500 Hz this reproduces the original's window IDs 26..51 and 61..226 (0-based 25..50 and 60..225).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .budget import trials_per_pass
from .folds import matlab_round

EPOCH_START_S = -3.0
EPOCH_END_S = 7.0
WINDOW_S = 1.0
STEP_S = 0.04
REFERENCE_INTERVAL_MS = (-1000.0, 0.0)
TASK_INTERVAL_MS = (400.0, 7000.0)
SMOOTHING_DISTANCE_MS = 100.0
_MS_TOLERANCE = 1e-6


def _windows_ending_in(end_ms: np.ndarray, interval: tuple[float, float]) -> np.ndarray:
    low, high = interval
    inside = (end_ms >= low - _MS_TOLERANCE) & (end_ms <= high + _MS_TOLERANCE)
    return np.flatnonzero(inside)


@dataclass(frozen=True, eq=False)
class WindowGrid:
    """Where the classifier windows lie inside an epoch.

    Attributes
    ----------
    sfreq : float
        Sampling rate in Hz.
    pre, post : int
        First and last epoch sample relative to the cue (``pre < 0``), inclusive.
    window, step : int
        Window length W and step S in samples.
    n_windows : int
        ``floor((L - W) / S) + 1`` with epoch length ``L = post - pre + 1``.
    end_ms : ndarray, shape (n_windows,)
        Real end time of each window relative to the cue, in ms.
    ref_windows, task_windows : ndarray of int
        Indices of the reference (rest) and task windows.
    """

    sfreq: float
    pre: int
    post: int
    window: int
    step: int
    n_windows: int
    end_ms: np.ndarray
    ref_windows: np.ndarray
    task_windows: np.ndarray

    @classmethod
    def for_rate(cls, sfreq: float) -> WindowGrid:
        """Build the grid for a sampling rate in Hz."""
        pre = int(np.fix(EPOCH_START_S * sfreq))
        post = int(np.fix(EPOCH_END_S * sfreq))
        window = int(matlab_round(WINDOW_S * sfreq))
        step = int(matlab_round(STEP_S * sfreq))
        if step < 1 or window < 2:
            raise ValueError(f"a sampling rate of {sfreq} Hz is too low for 40 ms steps and 1 s windows")
        length = post - pre + 1
        n_windows = (length - window) // step + 1
        end_ms = 1000.0 * (np.arange(n_windows) * step + window + pre) / sfreq
        return cls(
            sfreq=float(sfreq),
            pre=pre,
            post=post,
            window=window,
            step=step,
            n_windows=n_windows,
            end_ms=end_ms,
            ref_windows=_windows_ending_in(end_ms, REFERENCE_INTERVAL_MS),
            task_windows=_windows_ending_in(end_ms, TASK_INTERVAL_MS),
        )

    @property
    def epoch_length(self) -> int:
        """Samples per epoch, ``post - pre + 1``."""
        return self.post - self.pre + 1

    @property
    def cue_index(self) -> int:
        """Index of the cue sample inside an epoch."""
        return -self.pre

    @property
    def step_ms(self) -> float:
        """Real window step in ms."""
        return 1000.0 * self.step / self.sfreq

    @property
    def smoothing_half_width(self) -> int:
        """Smoothing half-width h in windows: ``fix(100 ms / step_ms)`` (2 at 125-500 Hz and 160 Hz)."""
        return int(np.fix(SMOOTHING_DISTANCE_MS / self.step_ms + 1e-9))

    def end_sample(self, k: int) -> int:
        """End of window k (exclusive) in samples after the cue: ``k*S + W + pre``."""
        return int(k * self.step + self.window + self.pre)

    def window_slice(self, k: int) -> slice:
        """Epoch samples of window k."""
        if not 0 <= k < self.n_windows:
            raise IndexError(f"window {k} outside 0..{self.n_windows - 1}")
        start = k * self.step
        return slice(start, start + self.window)

    def complete_epochs(self, cue_samples: np.ndarray, n_samples: int) -> np.ndarray:
        """Boolean mask of the cues whose whole epoch lies inside a recording of `n_samples`."""
        cues = np.asarray(cue_samples)
        return (cues + self.pre >= 0) & (cues + self.post <= n_samples - 1)


def extract_epochs(filtered: np.ndarray, cue_samples: np.ndarray, grid: WindowGrid) -> np.ndarray:
    """Cut epochs out of filtered continuous data.

    Parameters
    ----------
    filtered : ndarray, shape (n_bands, n_channels, n_samples)
    cue_samples : ndarray of int, shape (n_trials,)
        Cues whose epochs lie completely inside the recording.
    grid : WindowGrid

    Returns
    -------
    ndarray, shape (n_trials, n_bands, n_channels, epoch_length)
    """
    offsets = np.asarray(cue_samples)[:, None] + grid.pre + np.arange(grid.epoch_length)[None, :]
    return np.moveaxis(filtered[:, :, offsets], 2, 0)


def window_moments(
    epochs: np.ndarray, grid: WindowGrid, start: int = 0, stop: int | None = None, centred: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-window sums of ``x x^T`` and of ``x`` for every trial and band, windows ``start..stop-1``.

    The samples the windows span are cut into blocks of S samples, each split at
    ``r = W mod S`` into a head and a tail. A window ``[kS, kS + W)`` is then blocks
    ``k .. k+q-1`` (``q = W // S``) plus the head of block ``k+q``, so all windows come from one
    cumulative sum over blocks. Trials are accumulated a few at a time (`fbcsp.budget`), so the
    block temporaries stay bounded; the result does not depend on how many go together.

    Parameters
    ----------
    epochs : ndarray, shape (n_trials, n_bands, n_channels, epoch_length)
    grid : WindowGrid
    start, stop : int
        Window range (default: every window).
    centred : bool
        Give the moments of each window about its own mean (`centre_moments`).

    Returns
    -------
    second : ndarray, shape (n_trials, stop - start, n_bands, n_channels, n_channels)
        ``sum_t x_t x_t^T`` over each window.
    first : ndarray, shape (n_trials, stop - start, n_bands, n_channels)
        ``sum_t x_t`` over each window.
    """
    stop = grid.n_windows if stop is None else stop
    n_trials, n_bands, n_channels, _ = epochs.shape
    n_windows = stop - start
    span = epochs[..., start * grid.step : (stop - 1) * grid.step + grid.window]
    n_blocks = span.shape[-1] // grid.step + 2
    second = np.empty((n_trials, n_windows, n_bands, n_channels, n_channels))
    first = np.empty((n_trials, n_windows, n_bands, n_channels))
    per_pass = trials_per_pass(n_windows, n_blocks, n_bands, n_channels)
    for trial in range(0, n_trials, per_pass):
        trials = slice(trial, trial + per_pass)
        second[trials], first[trials] = _block_window_sums(span[trials], grid, n_windows, n_blocks)
    return centre_moments(second, first, grid.window) if centred else (second, first)


def _block_window_sums(
    span: np.ndarray, grid: WindowGrid, n_windows: int, n_blocks: int
) -> tuple[np.ndarray, np.ndarray]:
    step = grid.step
    full_blocks, head_length = divmod(grid.window, step)
    padded = np.zeros(span.shape[:-1] + (n_blocks * step,))
    padded[..., : span.shape[-1]] = span
    blocks = np.swapaxes(padded.reshape(span.shape[:-1] + (n_blocks, step)), 2, 3)  # (T, B, J, C, S)
    heads, tails = blocks[..., :head_length], blocks[..., head_length:]
    head_second = heads @ np.swapaxes(heads, -1, -2)
    head_first = heads.sum(axis=-1)

    def window_sums(head_part: np.ndarray, whole_blocks: np.ndarray) -> np.ndarray:
        prefix = np.zeros(whole_blocks.shape[:2] + (n_blocks + 1,) + whole_blocks.shape[3:])
        np.cumsum(whole_blocks, axis=2, out=prefix[:, :, 1:])
        ends = slice(full_blocks, full_blocks + n_windows)
        sums = prefix[:, :, ends] - prefix[:, :, :n_windows]
        sums += head_part[:, :, ends]
        return np.swapaxes(sums, 1, 2)

    second = window_sums(head_second, head_second + tails @ np.swapaxes(tails, -1, -2))
    first = window_sums(head_first, head_first + tails.sum(axis=-1))
    return second, first


def moments_of_windows(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Second and first moment sums of already cut windows.

    Parameters
    ----------
    windows : ndarray, shape (..., n_channels, n_times)

    Returns
    -------
    second : ndarray, shape (..., n_channels, n_channels)
    first : ndarray, shape (..., n_channels)
    """
    return windows @ np.swapaxes(windows, -1, -2), windows.sum(axis=-1)


def centre_moments(second: np.ndarray, first: np.ndarray, n_times: int) -> tuple[np.ndarray, np.ndarray]:
    """The moments of the same windows with each window's own mean removed: a zero sum.

    The spec's CSP covariance ``E E^T`` takes no mean out, so a DC offset or a slow drift that
    leaks through the band-pass filters (60 dB stopband: a 0.2 V electrode offset leaks about
    0.2 mV, ten times the EEG) steers the filters. About each window's mean it cannot; the
    log-variance features are already taken about the mean and do not change. ``second`` is
    updated in place, one window at a time.

    Parameters
    ----------
    second : ndarray, shape (n_trials, n_windows, ..., n_channels, n_channels)
    first : ndarray, shape (n_trials, n_windows, ..., n_channels)
    n_times : int
        Samples per window.
    """
    for window in range(second.shape[1]):
        sums = first[:, window]
        second[:, window] -= sums[..., :, None] * sums[..., None, :] / n_times
    return second, np.zeros_like(first)
