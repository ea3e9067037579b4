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

import numpy as np

from .artifact_trials import ArtifactTrials
from .channel_quality import ChannelQuality
from .channel_reduction import selection_projection
from .csp import csp_pairs_for_channels
from .csp_channels import csp_channels
from .ensemble import EnsembleWindows, ensemble_moments, ensemble_permutation_accuracies, fit_ensemble
from .errors import InvalidUpload
from .evaluation import (
    chance_level,
    nested_fold_accuracies,
    outer_and_inner_masks,
    permutation_p_value,
    permutation_statistics,
)
from .filter_designs import band_design
from .model import fit_merged_models
from .recording import Recording
from .rlda import predict_labels
from .selection import best_smoothed_accuracy, select_model
from .time_resolved import grid_accuracies
from .training_epochs import filtered_epochs, usable_trials
from .training_options import TrainingOptions, available_options
from .training_result import TrainingResult
from .windows import WindowGrid, window_moments


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
        Fewer than two channels with signal (see `fbcsp.csp_channels`), or channels so nearly
        dependent that CSP cannot whiten them.
    """
    report = progress or (lambda message: None)
    if options.n_folds < 2:
        raise ValueError(f"n_folds must be at least 2, got {options.n_folds}")
    if options.n_permutations < 0:
        raise ValueError(f"n_permutations must be >= 0, got {options.n_permutations}")
    grid = WindowGrid.for_rate(recording.sfreq)
    samples, labels, dropped = usable_trials(recording, grid, options.n_folds)
    quality = ChannelQuality.of(recording.data)
    channels = csp_channels(
        recording.data, recording.ch_names, recording.ch_names_known, quality.constant, options.max_csp_dimensions
    )
    if quality.constant.any():
        report(f"left out constant channel(s) {', '.join(quality.constant_names(recording.ch_names))}")
    data = recording.data if channels.rows.size == recording.n_channels else recording.data[channels.rows]
    n_pairs = csp_pairs_for_channels(channels.dimensions)
    option_specs = available_options(len(options.band_ids) * 2 * n_pairs)
    if not option_specs:
        raise ValueError(f"{len(options.band_ids)} band(s) x {2 * n_pairs} filters give too few features")
    feature_counts = tuple(option.n_features for option in option_specs)

    report(
        f"filtering {data.shape[0]} channels in bands {list(options.band_ids)} "
        f"at {recording.sfreq:g} Hz"
    )
    bands = tuple(band_design(band_id, recording.sfreq) for band_id in options.band_ids)
    epochs, projection = filtered_epochs(data, bands, samples, grid, channels.dimensions)
    if projection is not None:
        report(f"CSP on the {channels.dimensions} leading principal components of each band")
    if data is not recording.data:
        selection = selection_projection(channels.rows, recording.n_channels, len(bands))
        projection = selection if projection is None else projection @ selection
        if channels.motor_area:
            report(f"CSP on the motor-area channels {', '.join(channels.names(recording.ch_names))}")

    n_folds = options.n_folds
    report(
        f"time-resolved analysis: {labels.size} trials, {grid.n_windows} windows, {n_folds} folds "
        f"+ {n_folds * n_folds} nested inner folds, options {[o.name for o in option_specs]}"
    )
    # --selection original keeps the original's computations: its CSP covariance keeps each window's
    # mean and it fits every trial. The default takes the mean out (centre_moments) and leaves trials
    # with an artifact out of fitting (artifact_trials).
    default_procedure = options.selection == "default"
    centred = default_procedure
    artifacts = ArtifactTrials.of(epochs, grid, labels, procedure_leaves_out=default_procedure)
    if artifacts.flagged.any():
        report(
            f"{np.count_nonzero(artifacts.flagged)} trial(s) hold an artifact; "
            + ("left out of fitting" if artifacts.left_out else "kept in the fit (see the report)")
        )
    folds, train_masks, test_masks = outer_and_inner_masks(labels, n_folds)
    train_masks &= artifacts.fitted
    try:
        accuracy, decision = grid_accuracies(
            epochs, grid, labels, train_masks, test_masks, n_pairs, feature_counts, centred=centred
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
        *window_moments(epochs, grid, window, window + 1, centred),
        grid.window,
        labels,
        options.band_ids,
        n_pairs,
        option.n_features,
        projection,
        artifacts.fitted,
    )
    cv_predictions = predict_labels(decision[folds, option_index, window, np.arange(labels.size)])

    report("nested cross-validation: option/window chosen inside each outer training set")
    inner_accuracy = accuracy[n_folds:].reshape(n_folds, n_folds, *accuracy.shape[1:]).swapaxes(1, 2)
    nested, nested_options, nested_windows = nested_fold_accuracies(fold_accuracy, inner_accuracy, grid)
    ensemble = None
    if options.selection == "default":
        windows = EnsembleWindows.for_grid(grid)
        report(f"window ensemble: {windows.starts.size} windows of {windows.length} samples, {n_folds} folds")
        ensemble_second, ensemble_first = ensemble_moments(epochs, grid, windows, centred)
        ensemble = fit_ensemble(
            ensemble_second,
            ensemble_first,
            windows,
            labels,
            (folds, train_masks, test_masks),
            options.band_ids,
            n_pairs,
            projection,
            artifacts.fitted,
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
                artifacts.fitted,
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
                artifacts.fitted,
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
        channel_quality=quality,
        csp_channels=channels,
        artifacts=artifacts,
        cue_note=recording.cue_note,
    )
