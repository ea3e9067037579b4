"""The trials a training run can use (`usable_trials`) and their filter-bank epochs, reduced to the
dimensions CSP works in (`filtered_epochs`)."""

from __future__ import annotations

import numpy as np

from .channel_reduction import MAX_CSP_DIMENSIONS, reduce_channels
from .errors import InsufficientData
from .filterbank import BandDesign, filter_continuous
from .recording import CLASS_LABELS, Recording
from .windows import WindowGrid, extract_epochs


def usable_trials(recording: Recording, grid: WindowGrid, n_folds: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Cues with a complete epoch, their labels and the number dropped; raise if too few to train.

    Raises
    ------
    InsufficientData
        Fewer than two channels, a class without trials, or a class with fewer than `n_folds`
        trials with a complete epoch.
    """
    if recording.n_channels < 2:
        raise InsufficientData(f"CSP needs at least 2 channels, the recording has {recording.n_channels}")
    complete = grid.complete_epochs(recording.event_samples, recording.n_samples)
    samples, labels = recording.event_samples[complete], recording.event_codes[complete]
    dropped = int(np.count_nonzero(~complete))
    notes = [f"{dropped} cue(s) dropped: their -3..+7 s epoch is not inside the recording"] if dropped else []
    if recording.cue_note:
        notes.append(recording.cue_note)
    note = f" ({'; '.join(notes)})" if notes else ""
    for code, name in CLASS_LABELS.items():
        count = int(np.count_nonzero(labels == code))
        if count < n_folds:
            raise InsufficientData(
                f"class {name} has {count} trial(s) with a complete epoch; at least {n_folds} are needed "
                f"for {n_folds}-fold cross-validation{note}"
            )
    return samples, labels, dropped


def filtered_epochs(
    data: np.ndarray,
    bands: tuple[BandDesign, ...],
    samples: np.ndarray,
    grid: WindowGrid,
    max_dimensions: int = MAX_CSP_DIMENSIONS,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Epochs of every band in at most `max_dimensions` dimensions, and the projection used.

    Bands are filtered, cut and reduced (`fbcsp.channel_reduction`) one at a time, so only one
    filtered copy of the recording and one band's epochs on every channel are alive at once.

    Returns
    -------
    epochs : ndarray, shape (n_trials, n_bands, min(n_channels, max_dimensions), epoch_length)
    projection : ndarray, shape (n_bands, max_dimensions, n_channels), or None
        None when the recording has at most `max_dimensions` channels.
    """
    epochs = np.empty((samples.size, len(bands), min(data.shape[0], max_dimensions), grid.epoch_length))
    projections = []
    for index, band in enumerate(bands):
        band_epochs = extract_epochs(filter_continuous(data, band)[None], samples, grid)[:, 0]
        epochs[:, index], projection = reduce_channels(band_epochs, max_dimensions)
        projections.append(projection)
    return epochs, (None if projections[0] is None else np.stack(projections))
