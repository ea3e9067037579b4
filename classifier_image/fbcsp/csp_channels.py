"""Which recorded channels CSP's input comes from, and in how many dimensions CSP works.

Real recordings are not always full rank, and CSP's whitening needs them to be. Two faults are
common and neither should cost the researcher the session:

* a **constant channel** (an unconnected input written as zeros, a reference electrode recorded
  as a channel) carries nothing, so it is left out: the exported filters give it zero weight and
  the report names it (`fbcsp.channel_quality`). Fewer than two channels with signal are refused;
* **linearly dependent channels** (re-referenced to their common average in software, a channel
  recorded twice) span fewer dimensions than there are channels. CSP then works in the
  principal components of that many dimensions (`fbcsp.channel_reduction`), which leave the
  redundant directions out. On the S001-S003 uploads re-referenced to their average, this trains
  at 86.5 / 88.2 / 66.0 % nested where the package used to refuse them.

The rank is taken from the channels' sample-to-sample differences, so electrode offsets and slow
drift do not count, and it uses no label, so nothing leaks into the cross-validation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .channel_reduction import motor_area_rows
from .errors import InvalidUpload

#: An eigenvalue of the channels' difference covariance under this fraction of the largest counts
#: as zero. Exact dependence leaves at most 2e-15 (float32 rounding included); the smallest on the
#: 8- and 64-channel EEGMMIDB recordings is 2.6e-5, and an average reference rounded to the app's
#: 1 µV steps leaves 2.7e-3 (which trains as it is).
RANK_TOLERANCE = 1e-10
#: Samples per block of the rank's covariance, so no copy of a whole long recording is made.
_RANK_BLOCK = 16384


@dataclass(frozen=True, eq=False)
class CspChannels:
    """The recorded channels CSP's input comes from and the dimensions it works in.

    Attributes
    ----------
    rows : ndarray of int
        Recorded channels whose signals CSP's input is made of, in recording order (or in the
        motor-area prior's order).
    dimensions : int
        Dimensions CSP works in: ``rows.size``, or fewer principal components (see `reduced`).
    motor_area : bool
        Whether `rows` are the motor-area prior's channels (`fbcsp.channel_reduction`).
    rank : int
        How many linearly independent signals the `rows` carry.
    """

    rows: np.ndarray
    dimensions: int
    motor_area: bool
    rank: int

    def names(self, ch_names: tuple[str, ...]) -> list[str]:
        """The names of the `rows` among the recording's `ch_names`."""
        return [ch_names[row] for row in self.rows]

    @property
    def reduced(self) -> bool:
        """Whether CSP works in principal components rather than on the channels themselves."""
        return self.dimensions < self.rows.size

    @property
    def rank_deficient(self) -> bool:
        """Whether linear dependence, not the montage's size, set the dimensions."""
        return self.dimensions == self.rank < self.rows.size


def linear_rank(data: np.ndarray, rows: np.ndarray) -> int:
    """How many linearly independent signals the channels `rows` of ``data`` (n_channels, n_samples) carry."""
    covariance = np.zeros((rows.size, rows.size))
    for start in range(0, data.shape[1] - 1, _RANK_BLOCK):
        steps = np.diff(data[rows, start : start + _RANK_BLOCK + 1], axis=1)
        covariance += steps @ steps.T
    eigenvalues = np.linalg.eigvalsh(covariance)
    return int(np.count_nonzero(eigenvalues > RANK_TOLERANCE * eigenvalues[-1]))


def csp_channels(
    data: np.ndarray,
    ch_names: tuple[str, ...],
    names_known: bool,
    constant: np.ndarray,
    max_dimensions: int,
) -> CspChannels:
    """Leave out the `constant` channels, apply the motor-area prior, and size CSP by the rank.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    ch_names : tuple of str
    names_known : bool
        See `Recording.ch_names_known`.
    constant : ndarray of bool, shape (n_channels,)
        Channels whose samples are all equal (`fbcsp.channel_quality.ChannelQuality.constant`).
    max_dimensions : int
        `TrainingOptions.max_csp_dimensions`.

    Raises
    ------
    InvalidUpload
        Fewer than two channels with signal, or fewer than two linearly independent ones.
    """
    live = np.flatnonzero(~constant)
    if live.size < 2:
        raise InvalidUpload(
            f"channel(s) {', '.join(np.asarray(ch_names)[constant])} are constant, which leaves "
            f"{live.size} channel(s) with signal; CSP needs at least 2"
        )
    motor_rows = motor_area_rows(tuple(ch_names[row] for row in live), names_known)
    rows = live if motor_rows is None else live[motor_rows]
    rank = linear_rank(data, rows)
    if rank < 2:
        raise InvalidUpload(
            f"the {rows.size} channels with signal are copies or multiples of one signal; CSP needs at "
            "least 2 independent channels"
        )
    return CspChannels(
        rows=rows,
        dimensions=min(rows.size, max_dimensions, rank),
        motor_area=motor_rows is not None,
        rank=rank,
    )
