"""Train the FBCSP classifier on one recording: the whole of spec sections 2-5 with the section 7 fixes.

`train` filters the continuous recording with the band FIRs, epochs every cue whose -3..+7 s
epoch lies inside the recording, runs the time-resolved analysis for the outer folds and the
nested inner folds, selects the option and window by the original's rule and fits its merged
(all-trials) model at the selected option's raw task peak. With ``selection="default"`` it also
cross-validates and fits the window ensemble of `fbcsp.ensemble`, which is then the exported
model; with ``selection="original"`` the original's model is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .channel_reduction import MAX_CSP_DIMENSIONS, motor_area_rows, reduce_channels, selection_projection
from .csp import csp_pairs_for_channels
from .ensemble import EnsembleWindows, ensemble_moments, ensemble_permutation_accuracies, fit_ensemble
from .errors import InsufficientData, InvalidUpload
from .evaluation import (
    chance_level,
    nested_fold_accuracies,
    outer_and_inner_masks,
    permutation_p_value,
    permutation_statistics,
)
from .filter_designs import band_design
from .filterbank import USED_BAND_IDS, BandDesign, filter_continuous
from .model import fit_merged_models
from .recording import CLASS_LABELS, Recording
from .rlda import predict_labels
from .selection import best_smoothed_accuracy, select_model
from .time_resolved import grid_accuracies
from .training_result import TrainingResult
from .windows import WindowGrid, extract_epochs, window_moments

#: K of options A01..A04; A04 exists only when there are more than 9 features.
OPTION_FEATURE_COUNTS = (4, 6, 8, 10)
#: Training procedures: the window ensemble (default) or the original's selection rule.
SELECTIONS = ("default", "original")


@dataclass(frozen=True)
class TrainingOptions:
    """Settings of `train`.

    Attributes
    ----------
    selection : str
        ``"default"``: the window ensemble of `fbcsp.ensemble` is the exported model and its
        single best window goes into the ``online`` tree. ``"original"``: the original's option
        and window selection (spec section 5) gives the only model.
    band_ids : tuple of int
        Filter-bank bands, in feature order (spec: 3, 4, 5, 6).
    n_folds : int
        Outer (and inner) chronological cross-validation folds.
    n_permutations : int
        Label permutations for the p-value of the headline accuracy; 0 skips it (p-value None).
        With ``selection="default"`` each permutation cross-validates the ensemble again (6
        windows x 6 folds); with ``"original"`` it reruns the outer-fold analysis over the task
        windows (about 0.15-0.2 s on 2 cores for the 45-trial, 8-channel, 160 Hz sample). The
        smallest reachable p-value is ``1 / (n_permutations + 1)`` (0.048 by default).
    random_state : int
        Seed of the permutation generator (``np.random.default_rng``).
    max_csp_dimensions : int
        Montages with more channels are reduced before CSP (`fbcsp.channel_reduction`): to the
        motor-area channels when their names are known, else to this many principal components
        per band.
    """

    selection: str = "default"
    band_ids: tuple[int, ...] = USED_BAND_IDS
    n_folds: int = 6
    n_permutations: int = 20
    random_state: int = 0
    max_csp_dimensions: int = MAX_CSP_DIMENSIONS

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")


@dataclass(frozen=True)
class OptionSpec:
    """One classifier option: A0x keeps the K features with the highest MI."""

    option_id: int
    name: str
    n_features: int


def available_options(n_features: int) -> tuple[OptionSpec, ...]:
    """Options A01..A04 whose K fits: K <= D, and A04 (K = 10) only when D > 9."""
    return tuple(
        OptionSpec(option_id=index + 1, name=f"A{index + 1:02d}", n_features=count)
        for index, count in enumerate(OPTION_FEATURE_COUNTS)
        if count <= n_features and (count < 10 or n_features > 9)
    )


def usable_trials(recording: Recording, grid: WindowGrid, n_folds: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Cues with a complete epoch, their labels and the number dropped; raise if too few to train.

    Raises
    ------
    InsufficientData
        Fewer than two channels, a class without trials, or a class with fewer than `n_folds`
        trials with a complete epoch.
    InvalidUpload
        A constant channel.
    """
    if recording.n_channels < 2:
        raise InsufficientData(f"CSP needs at least 2 channels, the recording has {recording.n_channels}")
    flat = [name for name, row in zip(recording.ch_names, recording.data, strict=True) if np.ptp(row) == 0]
    if flat:
        raise InvalidUpload(
            f"channel(s) {', '.join(flat)} are constant; CSP needs every channel to carry signal"
        )
    complete = grid.complete_epochs(recording.event_samples, recording.n_samples)
    samples, labels = recording.event_samples[complete], recording.event_codes[complete]
    dropped = int(np.count_nonzero(~complete))
    note = f" ({dropped} cue(s) dropped: their -3..+7 s epoch is not inside the recording)" if dropped else ""
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


def train(
    recording: Recording,
    options: TrainingOptions = TrainingOptions(),  # noqa: B008 - frozen, so a shared default is safe
    progress: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Train and evaluate the FBCSP T1-vs-T2 classifier on one recording.

    Parameters
    ----------
    recording : Recording
    options : TrainingOptions
    progress : callable, optional
        Called with one line per stage (filtering, time-resolved analysis, selection, nested
        CV, permutations).

    Returns
    -------
    TrainingResult

    Raises
    ------
    InsufficientData
        See `usable_trials`.
    InvalidUpload
        A constant channel, or channels so linearly dependent that CSP cannot whiten them.
    """
    report = progress or (lambda message: None)
    if options.n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {options.n_folds}")
    if options.n_permutations < 0:
        raise ValueError(f"n_permutations must be >= 0, got {options.n_permutations}")
    grid = WindowGrid.for_rate(recording.sfreq)
    samples, labels, dropped = usable_trials(recording, grid, options.n_folds)
    motor_rows = motor_area_rows(recording.ch_names, recording.ch_names_known, options.max_csp_dimensions)
    data = recording.data if motor_rows is None else recording.data[motor_rows]
    n_pairs = csp_pairs_for_channels(min(data.shape[0], options.max_csp_dimensions))
    option_specs = available_options(len(options.band_ids) * 2 * n_pairs)
    if not option_specs:
        raise ValueError(f"{len(options.band_ids)} band(s) x {2 * n_pairs} filters give too few features")
    feature_counts = tuple(option.n_features for option in option_specs)

    report(
        f"filtering {data.shape[0]} channels in bands {list(options.band_ids)} "
        f"at {recording.sfreq:g} Hz"
    )
    bands = tuple(band_design(band_id, recording.sfreq) for band_id in options.band_ids)
    epochs, projection = filtered_epochs(data, bands, samples, grid, options.max_csp_dimensions)
    if motor_rows is not None:
        projection = selection_projection(motor_rows, recording.n_channels, len(bands))
        report(f"CSP on the motor-area channels {', '.join(recording.ch_names[row] for row in motor_rows)}")
    elif projection is not None:
        report(f"CSP on the {options.max_csp_dimensions} leading principal components of each band")

    n_folds = options.n_folds
    report(
        f"time-resolved analysis: {labels.size} trials, {grid.n_windows} windows, {n_folds} folds "
        f"+ {n_folds * n_folds} nested inner folds, options {[o.name for o in option_specs]}"
    )
    folds, train_masks, test_masks = outer_and_inner_masks(labels, n_folds)
    try:
        accuracy, decision = grid_accuracies(
            epochs, grid, labels, train_masks, test_masks, n_pairs, feature_counts
        )
    except np.linalg.LinAlgError as error:
        raise InvalidUpload(
            "the channels are linearly dependent (a copied or re-referenced channel?), so the class "
            "covariances cannot be whitened for CSP"
        ) from error
    fold_accuracy = accuracy[:n_folds].swapaxes(0, 1)

    report("selecting option and window")
    selection = select_model(fold_accuracy, grid)
    option_index, window = selection.option_id - 1, selection.task_window
    option = option_specs[option_index]
    merged, merged_decisions = fit_merged_models(
        *window_moments(epochs, grid, window, window + 1),
        grid.window,
        labels,
        options.band_ids,
        n_pairs,
        option.n_features,
        projection,
    )
    cv_predictions = predict_labels(decision[folds, option_index, window, np.arange(labels.size)])

    report("nested cross-validation: option/window chosen inside each outer training set")
    inner_accuracy = accuracy[n_folds:].reshape(n_folds, n_folds, *accuracy.shape[1:]).swapaxes(1, 2)
    nested, nested_options, nested_windows = nested_fold_accuracies(fold_accuracy, inner_accuracy, grid)
    ensemble = None
    if options.selection == "default":
        windows = EnsembleWindows.for_grid(grid)
        report(f"window ensemble: {windows.starts.size} windows of {windows.length} samples, {n_folds} folds")
        ensemble_second, ensemble_first = ensemble_moments(epochs, grid, windows)
        ensemble = fit_ensemble(
            ensemble_second,
            ensemble_first,
            windows,
            labels,
            (folds, train_masks, test_masks),
            options.band_ids,
            n_pairs,
            projection,
        )

    p_value = None
    if options.n_permutations:
        report(f"permutation test: {options.n_permutations} label permutations")
        if ensemble is None:
            permuted = permutation_statistics(
                epochs,
                grid,
                labels,
                n_folds,
                n_pairs,
                feature_counts,
                options.n_permutations,
                options.random_state,
            )
            observed = float(
                best_smoothed_accuracy(fold_accuracy, grid.task_windows, grid.smoothing_half_width)
            )
        else:
            permuted = ensemble_permutation_accuracies(
                ensemble_second,
                ensemble_first,
                ensemble.windows,
                labels,
                n_folds,
                n_pairs,
                ensemble.n_features,
                options.n_permutations,
                options.random_state,
            )
            observed = float(np.mean(ensemble.fold_accuracies))
        p_value = permutation_p_value(observed, permuted)

    return TrainingResult(
        ch_names=recording.ch_names,
        ch_names_known=recording.ch_names_known,
        sfreq=recording.sfreq,
        bands=bands,
        grid=grid,
        csp_pairs=n_pairs,
        max_csp_dimensions=options.max_csp_dimensions,
        options=option_specs,
        trial_labels=labels,
        trial_samples=samples,
        n_dropped_trials=dropped,
        folds=folds,
        fold_accuracy=fold_accuracy,
        selection=selection,
        model=merged[0],
        training_predictions=predict_labels(merged_decisions[0]),
        cv_predictions=cv_predictions,
        selection_accuracy=float(np.nanmean(fold_accuracy[option_index, :, window])),
        original_nested_fold_accuracies=nested,
        original_nested_options=nested_options,
        original_nested_windows=nested_windows,
        original_nested_cv_predictions=predict_labels(
            decision[folds, nested_options[folds], nested_windows[folds], np.arange(labels.size)]
        ),
        selection_mode=options.selection,
        ensemble=ensemble,
        chance_level=chance_level(labels),
        permutation_p_value=p_value,
        n_permutations=options.n_permutations,
    )
