"""Channel reduction ahead of CSP: the motor-area prior or principal components per band, filters mapped back."""

from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_recording
from test_training import assert_online_reproduction

from fbcsp.channel_reduction import (
    MOTOR_AREA_CHANNELS,
    motor_area_rows,
    principal_projections,
    reduce_channels,
    selection_projection,
    to_channel_space,
)
from fbcsp.classifier_file import parse_classifier
from fbcsp.edf import read_signal_files
from fbcsp.export import classifier_document
from fbcsp.predict import predict_recording
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions

pytestmark = pytest.mark.classifier


def test_montages_within_the_limit_are_not_touched():
    epochs = np.random.default_rng(0).normal(size=(3, 2, 4, 50))
    reduced, projection = reduce_channels(epochs, max_dimensions=4)
    assert reduced is epochs and projection is None
    filters = np.ones((2, 2, 4))
    assert to_channel_space(filters, None) is filters


def test_projections_are_orthonormal_and_span_the_strongest_sources():
    rng = np.random.default_rng(1)
    mixing = np.linalg.qr(rng.normal(size=(10, 10)))[0]
    # two strong sources on the first two mixing columns, weak noise on the rest
    sources = rng.normal(size=(6, 3, 10, 400)) * np.r_[30.0, 20.0, np.ones(8)][:, None]
    epochs = np.einsum("cs,tbsn->tbcn", mixing, sources)
    reduced, projection = reduce_channels(epochs, max_dimensions=2)
    assert projection.shape == (3, 2, 10) and reduced.shape == (6, 3, 2, 400)
    for band in projection:
        np.testing.assert_allclose(band @ band.T, np.eye(2), atol=1e-12)
        # the rows span the strong sources' columns of the mixing matrix
        residual = mixing[:, :2] - band.T @ (band @ mixing[:, :2])
        assert np.linalg.norm(residual) < 0.05
    np.testing.assert_allclose(reduced, projection @ epochs)
    np.testing.assert_allclose(principal_projections(epochs, 2), projection)


def test_reduced_training_exports_filters_on_the_recorded_channels():
    recording = synthetic_recording(n_channels=6, trials_per_class=(12, 12), effect=4.0, seed=3)
    result = train(recording, TrainingOptions(n_permutations=0, max_csp_dimensions=3))
    assert result.csp_pairs == 1
    assert result.model.csp_matrices.shape == (4, 3, 6)
    assert result.model.filters.shape == (4, 2, 6)
    assert result.nested_accuracy > result.chance_level
    assert_online_reproduction(recording, result)


#: A 10-channel montage holding the motor-area electrodes out of order, in mixed case.
NAMED_MONTAGE = ("Fz", "cp4", "C3", "Pz", "FC3", "Cz", "CPz", "fc4", "C4", "CP3")


def test_motor_area_rows_find_the_prior_in_a_named_montage_in_its_order():
    rows = motor_area_rows(NAMED_MONTAGE, names_known=True)
    assert [NAMED_MONTAGE[row].upper() for row in rows] == list(MOTOR_AREA_CHANNELS)


def test_motor_area_rows_see_through_decorated_names():
    decorated = tuple(f"EEG {name}-REF" for name in NAMED_MONTAGE)
    assert motor_area_rows(decorated, names_known=True).tolist() == motor_area_rows(NAMED_MONTAGE, True).tolist()


@pytest.mark.parametrize(
    ("names", "known"),
    [
        (NAMED_MONTAGE, False),  # assumed names say nothing about electrode positions
        (tuple(MOTOR_AREA_CHANNELS), True),  # the prior itself: nothing to leave out
        (NAMED_MONTAGE[:-1] + ("P3",), True),  # CP3 missing
    ],
)
def test_motor_area_prior_applies_only_to_named_montages_with_every_motor_electrode_and_more(names, known):
    assert motor_area_rows(names, names_known=known) is None


def test_selection_projection_keeps_the_rows_in_every_band():
    data = np.random.default_rng(1).normal(size=(5, 40))
    projection = selection_projection(np.array([3, 0]), n_channels=5, n_bands=2)
    assert projection.shape == (2, 2, 5)
    for band in projection:
        np.testing.assert_array_equal(band @ data, data[[3, 0]])


@pytest.mark.slow
def test_a_named_montage_trains_exactly_as_its_motor_area_channels():
    recording = replace(
        synthetic_recording(n_channels=10, trials_per_class=(12, 12), effect=4.0, seed=5),
        ch_names=NAMED_MONTAGE,
    )
    rows = motor_area_rows(NAMED_MONTAGE, names_known=True)
    motor_only = replace(
        recording, data=recording.data[rows], ch_names=tuple(NAMED_MONTAGE[row] for row in rows)
    )
    # 10 channels are within the principal-component limit: the prior alone decides
    options = TrainingOptions(n_permutations=0)
    result, reference = train(recording, options), train(motor_only, options)
    np.testing.assert_array_equal(result.nested_fold_accuracies, reference.nested_fold_accuracies)
    np.testing.assert_array_equal(result.fold_accuracy, reference.fold_accuracy)
    for model, expected in zip(result.ensemble.models, reference.ensemble.models, strict=True):
        assert model.model.filters.shape == (4, 6, 10)
        np.testing.assert_array_equal(model.model.filters[..., rows], expected.model.filters)
        others = np.setdiff1d(np.arange(10), rows)
        assert not np.any(model.model.filters[..., others])
    assert_online_reproduction(recording, result)
    predictions = predict_recording(parse_classifier(classifier_document(result)), recording)
    trials = np.searchsorted(predictions.cue_samples, result.trial_samples)
    np.testing.assert_array_equal(predictions.predicted_codes[trials], result.ensemble.training_predictions)


@pytest.mark.slow
def test_all_64_eegmmidb_channels_with_names_train_as_the_motor_channels(edf_paths):
    everything = read_signal_files(edf_paths)
    motor = read_signal_files(edf_paths, channels=MOTOR_AREA_CHANNELS)
    assert everything.n_channels == 64 and everything.ch_names_known
    options = TrainingOptions(n_permutations=0)
    result, reference = train(everything, options), train(motor, options)
    np.testing.assert_array_equal(result.ensemble.fold_accuracies, reference.ensemble.fold_accuracies)
    np.testing.assert_array_equal(result.nested_fold_accuracies, reference.nested_fold_accuracies)
    assert result.ensemble.models[0].model.filters.shape == (4, 6, 64)


@pytest.mark.slow
def test_the_motor_area_channels_are_reduced_further_when_csp_may_use_fewer_dimensions():
    recording = replace(
        synthetic_recording(n_channels=10, trials_per_class=(12, 12), effect=4.0, seed=5),
        ch_names=NAMED_MONTAGE,
    )
    result = train(recording, TrainingOptions(n_permutations=0, max_csp_dimensions=4))
    others = np.setdiff1d(np.arange(10), motor_area_rows(NAMED_MONTAGE, names_known=True))

    assert result.model.csp_matrices.shape == (4, 4, 10)
    assert not np.any(result.model.csp_matrices[..., others])
    assert_online_reproduction(recording, result)
