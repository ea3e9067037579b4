"""Log-variance features from moments equal ln var(F E, ddof=1), band-major."""

import numpy as np
import pytest

from fbcsp.estimators import LogVariance
from fbcsp.features import batched_log_variance, log_variance_features
from fbcsp.windows import moments_of_windows

pytestmark = pytest.mark.classifier


def test_features_equal_log_variance_of_projections_band_major():
    rng = np.random.default_rng(4)
    windows = rng.normal(size=(5, 3, 4, 50)) + 0.3  # a mean offset: var must remove it
    filters = rng.normal(size=(3, 2, 4))
    features = log_variance_features(windows, filters)
    expected = np.concatenate(
        [np.log(np.var(filters[b] @ windows[:, b], axis=-1, ddof=1)) for b in range(3)], axis=1
    )
    np.testing.assert_allclose(features, expected, rtol=1e-10)


def test_batched_features_equal_per_model_features():
    rng = np.random.default_rng(5)
    windows = rng.normal(size=(6, 2, 3, 40))  # (trials, bands, channels, W); one window position
    filters = rng.normal(size=(4, 1, 2, 2, 3))  # (models, windows, bands, filters, channels)
    second, first = moments_of_windows(windows)
    batched = batched_log_variance(second[:, None], first[:, None], 40, filters)
    for model in range(4):
        np.testing.assert_allclose(batched[model, :, 0], log_variance_features(windows, filters[model, 0]))


def test_log_variance_transformer_is_stateless_and_band_major():
    rng = np.random.default_rng(6)
    signals = rng.normal(size=(3, 2, 2, 30))
    out = LogVariance().fit_transform(signals)
    np.testing.assert_allclose(out[:, 2], np.log(np.var(signals[:, 1, 0], axis=-1, ddof=1)))
