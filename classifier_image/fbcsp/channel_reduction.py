"""Channel reduction ahead of CSP for research montages.

CSP fitted on many channels from some 37 training trials overfits (issue 14: 64 channels gave
60 % nested accuracy where the 8 motor channels gave 73 %), and its cost grows with the cube of
the channel count. Montages are therefore reduced before CSP, without looking at the labels, so
the reduction is fitted once on every trial and leaks nothing into the cross-validation:

* when the channel names are known and the montage holds every `MOTOR_AREA_CHANNELS` electrode
  and more, CSP uses those channels only (a prior on where hand motor imagery shows, not learnt
  from the data). On EEGMMIDB S001-S003 it is the only reduction tried that matches the 8 motor
  channels, and CSP on all of 12 or 16 channels lost 2-20 points against them;
* otherwise a montage with more channels than `MAX_CSP_DIMENSIONS` has each band projected onto
  the leading principal components of the band's trace-normalised epoch covariance averaged
  over all trials.

Everything after the reduction (CSP, features, MI, RLDA, folds, nested CV) runs unchanged on the
kept dimensions. The exported filters are mapped back to the recorded channels (zero weight on
channels the motor-area prior leaves out), so a consumer applies them to raw channels as
before. Other montages (unnamed, or without every motor-area electrode, and with at most
`MAX_CSP_DIMENSIONS` channels) are not touched.
"""

from __future__ import annotations

import numpy as np

from .electrodes import electrode_key

#: Dimensions CSP works in; larger montages are reduced to this many principal components per band.
MAX_CSP_DIMENSIONS = 16
#: 10-10 electrodes over both hands' motor cortex: the sample upload's montage (upper case).
MOTOR_AREA_CHANNELS = ("FC3", "FC4", "C3", "CZ", "C4", "CP3", "CPZ", "CP4")


def motor_area_rows(ch_names: tuple[str, ...], names_known: bool) -> np.ndarray | None:
    """Rows of the `MOTOR_AREA_CHANNELS` in a named montage that holds them and more, or None.

    None when the montage has no more channels than the prior, its names are not known, or one
    of the motor-area electrodes is missing. Names match by `electrode_key` (``"EEG C3-REF"`` is C3);
    an electrode named twice is taken from its first channel.
    """
    if len(ch_names) <= len(MOTOR_AREA_CHANNELS) or not names_known:
        return None
    if missing_motor_area_channels(ch_names):
        return None
    rows: dict[str, int] = {}
    for row, name in enumerate(ch_names):
        rows.setdefault(electrode_key(name), row)
    return np.array([rows[name] for name in MOTOR_AREA_CHANNELS])


def missing_motor_area_channels(ch_names: tuple[str, ...]) -> tuple[str, ...]:
    """The `MOTOR_AREA_CHANNELS` a montage lacks (names match by `electrode_key`)."""
    present = {electrode_key(name) for name in ch_names}
    return tuple(name for name in MOTOR_AREA_CHANNELS if name not in present)


def selection_projection(rows: np.ndarray, n_channels: int, n_bands: int) -> np.ndarray:
    """The projection keeping `rows` of `n_channels`, per band: shape (n_bands, rows.size, n_channels)."""
    return np.broadcast_to(np.eye(n_channels)[rows], (n_bands, rows.size, n_channels)).copy()


def principal_projections(epochs: np.ndarray, n_components: int) -> np.ndarray:
    """The leading principal axes of the mean trace-normalised epoch covariance, per band.

    Each epoch's covariance is taken about its own mean, so a DC offset that leaks through the
    band-pass filters does not become the leading component.

    Parameters
    ----------
    epochs : ndarray, shape (n_trials, ..., n_channels, epoch_length)
        Any band axes between trials and channels (none for a single band).
    n_components : int
        Components kept (at most n_channels).

    Returns
    -------
    ndarray, shape (..., n_components, n_channels)
        Orthonormal rows, by decreasing variance.
    """
    n_channels = epochs.shape[-2]
    covariance = np.zeros(epochs.shape[1:-2] + (n_channels, n_channels))
    for trial in epochs:
        trial = trial - trial.mean(axis=-1, keepdims=True)
        second = trial @ np.swapaxes(trial, -1, -2)
        covariance += second / np.trace(second, axis1=-2, axis2=-1)[..., None, None]
    _, axes = np.linalg.eigh(covariance)
    return np.swapaxes(axes[..., ::-1][..., :n_components], -1, -2)


def reduce_channels(
    epochs: np.ndarray, max_dimensions: int = MAX_CSP_DIMENSIONS
) -> tuple[np.ndarray, np.ndarray | None]:
    """Epochs in at most `max_dimensions` dimensions per band, and the projection used.

    Parameters
    ----------
    epochs : ndarray, shape (n_trials, ..., n_channels, epoch_length)
        Any band axes between trials and channels (none for a single band).
    max_dimensions : int

    Returns
    -------
    reduced : ndarray, shape (n_trials, ..., min(n_channels, max_dimensions), epoch_length)
        `epochs` itself when no reduction is needed.
    projection : ndarray, shape (..., max_dimensions, n_channels), or None
        None when the montage has at most `max_dimensions` channels.
    """
    if epochs.shape[-2] <= max_dimensions:
        return epochs, None
    projection = principal_projections(epochs, max_dimensions)
    return projection @ epochs, projection


def to_channel_space(matrices: np.ndarray, projection: np.ndarray | None) -> np.ndarray:
    """Spatial filters (rows, per band) on the components mapped to filters on the recorded channels.

    Parameters
    ----------
    matrices : ndarray, shape (n_bands, n_rows, n_components)
    projection : ndarray, shape (n_bands, n_components, n_channels), or None (returns `matrices`)
    """
    return matrices if projection is None else matrices @ projection
