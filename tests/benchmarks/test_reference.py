"""The benchmark's per-window mne/scikit-learn reference computes what the batched package computes.

Only a handful of windows of the real sample are analysed, so this stays fast; no timings.
"""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.reference import SCOPES, fold_accuracies, prepare_epochs, run_reference
from benchmarks.reference_estimators import lotte_row_order, make_lda, window_features
from fbcsp.estimators import RLDA, FilterBankCSP
from fbcsp.evaluation import outer_and_inner_masks
from fbcsp.features import log_variance_features
from fbcsp.filterbank import USED_BAND_IDS
from fbcsp.time_resolved import grid_accuracies
from fbcsp.upload import read_upload

# The per-window reference re-fits every window model with MNE and scikit-learn.
pytestmark = [pytest.mark.classifier, pytest.mark.slow]

N_FOLDS = 6
# a reference-period window, the sample's task peak region and a late task window
CHECKED_WINDOWS = np.array([40, 140, 200])


@pytest.fixture(scope="module")
def sample_recording(sample_zip_path: Path):
    """The bundled upload (EEGMMIDB S001 runs 4, 8, 12: 45 cues, 8 channels, 160 Hz)."""
    return read_upload(sample_zip_path)


@pytest.fixture(scope="module")
def sample_epochs(sample_recording):
    return prepare_epochs(sample_recording, USED_BAND_IDS, N_FOLDS)


@pytest.mark.unit
def test_lotte_row_order_turns_alternate_order_into_first_and_last_rows():
    # mne "alternate": largest, smallest, 2nd largest, 2nd smallest, 3rd largest, 3rd smallest
    alternate_eigenvalues = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.3])
    reordered = alternate_eigenvalues[lotte_row_order(3)]
    np.testing.assert_array_equal(reordered, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    np.testing.assert_array_equal(lotte_row_order(1), [0, 1])


@pytest.mark.unit
def test_scikit_learn_lda_setup_is_the_spec_rlda_with_opposite_sign():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(30, 6)) + np.repeat([[0.8], [-0.4]], 15, axis=0)
    labels = np.repeat([1, 2], 15)
    lda = make_lda().fit(features, labels)
    rlda = RLDA().fit(features, labels)
    np.testing.assert_allclose(lda.decision_function(features), -rlda.decision_function(features), atol=1e-9)
    np.testing.assert_array_equal(lda.predict(features), rlda.predict(features))


def test_mne_csp_features_equal_the_package_features_up_to_a_constant_per_feature(sample_epochs):
    window = sample_epochs.epochs[..., sample_epochs.grid.window_slice(140)]
    labels = sample_epochs.labels
    train = np.arange(labels.size) % 3 != 0
    reference = window_features(window, labels, train, sample_epochs.n_pairs)
    package_csp = FilterBankCSP(n_pairs=sample_epochs.n_pairs).fit(window[train], labels[train])
    package = log_variance_features(window, package_csp.filters_)
    # filters agree up to scale and sign, which shifts each log-variance feature by a constant
    shift = reference - package
    np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape), atol=1e-7)


def test_reference_fold_accuracies_equal_the_package_on_outer_and_inner_folds(sample_epochs):
    labels = sample_epochs.labels
    _, train_masks, test_masks = outer_and_inner_masks(labels, N_FOLDS)
    # the outer folds plus the inner folds of the first outer fold
    models = np.arange(2 * N_FOLDS)
    reference = fold_accuracies(sample_epochs, train_masks[models], test_masks[models], CHECKED_WINDOWS)
    package, _ = grid_accuracies(
        sample_epochs.epochs,
        sample_epochs.grid,
        labels,
        train_masks[models],
        test_masks[models],
        sample_epochs.n_pairs,
        sample_epochs.feature_counts,
        windows=CHECKED_WINDOWS,
    )
    assert reference.shape == (2 * N_FOLDS, len(sample_epochs.feature_counts), CHECKED_WINDOWS.size)
    np.testing.assert_allclose(reference, package, atol=1e-12)
    # the sample carries class information at the task peak, so this is not a trivial agreement
    assert reference[:N_FOLDS, :, 1].mean() > 0.7


def test_run_reference_rejects_an_unknown_scope(sample_recording):
    assert SCOPES == ("full", "outer")
    with pytest.raises(ValueError, match="scope must be one of"):
        run_reference(sample_recording, scope="nested-only")


def test_package_outer_scope_timing_path_selects_as_train_does(sample_recording):
    from benchmarks.comparison_figures import package_outer_analysis
    from fbcsp.training import train
    from fbcsp.training_options import TrainingOptions

    options = TrainingOptions(n_permutations=0)
    trained = train(sample_recording, options)
    assert package_outer_analysis(sample_recording, options) == trained.selection_accuracy


@pytest.mark.unit
def test_benchmark_arguments_default_to_the_full_scope_and_reject_zero_repeats():
    from benchmarks.fbcsp_benchmark import DEFAULT_INPUT, parse_arguments

    args = parse_arguments([])
    assert (args.input, args.repeat, args.reference_scope, args.json) == (DEFAULT_INPUT, 3, "full", None)
    with pytest.raises(SystemExit):
        parse_arguments(["--repeat", "0"])
