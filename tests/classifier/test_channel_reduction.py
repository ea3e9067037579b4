"""Channel reduction ahead of CSP: principal components per band, filters mapped back to channels."""

import numpy as np
import pytest
from synthetic import synthetic_recording
from test_training import assert_online_reproduction

from fbcsp.channel_reduction import principal_projections, reduce_channels, to_channel_space
from fbcsp.training import TrainingOptions, train

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
