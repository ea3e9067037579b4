"""RLDA: Ledoit-Wolf class covariances equal sklearn's, the decision rule and batching."""

import numpy as np
import pytest
from sklearn.covariance import ledoit_wolf

from fbcsp.estimators import RLDA
from fbcsp.rlda import _class_moments, decision_values, fit_rlda, ledoit_wolf_from_moments

pytestmark = pytest.mark.classifier


def test_class_covariance_equals_sklearn_ledoit_wolf():
    rng = np.random.default_rng(11)
    for n_samples, n_features in [(12, 4), (30, 10), (6, 8)]:
        X = rng.normal(size=(n_samples, n_features)) * rng.uniform(0.1, 3, n_features) + 2.0
        _, covariance, fourth = _class_moments(X[None, :, None, :], np.ones((1, n_samples)))
        shrunk = ledoit_wolf_from_moments(covariance, fourth, n_samples)[0, 0]
        np.testing.assert_allclose(shrunk, ledoit_wolf(X)[0], rtol=1e-10, atol=1e-14)


def test_weights_follow_the_unweighted_pooled_formula():
    rng = np.random.default_rng(12)
    X1 = rng.normal(size=(9, 3)) + 1
    X2 = rng.normal(size=(14, 3))
    model = RLDA().fit(np.vstack([X1, X2]), np.repeat([1, 2], [9, 14]))
    pooled = (ledoit_wolf(X1)[0] + ledoit_wolf(X2)[0]) / 2
    weights = np.linalg.pinv(pooled) @ (X1.mean(0) - X2.mean(0))
    np.testing.assert_allclose(model.weights_, weights, rtol=1e-10)
    assert model.a0_ == pytest.approx(-0.5 * (X1.mean(0) + X2.mean(0)) @ weights)


def test_non_negative_decision_predicts_the_first_class():
    X = np.array([[0.0], [1.0], [4.0], [5.0]])
    model = RLDA().fit(X, np.array([2, 2, 1, 1]))
    decision = model.decision_function(np.array([[2.5], [10.0], [-3.0]]))
    assert decision[0] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(model.predict(np.array([[10.0], [-3.0]])), [1, 2])
    assert model.predict(np.array([[2.5]]))[0] == (1 if decision[0] >= 0 else 2)


def test_batched_fit_with_several_k_equals_separate_fits():
    rng = np.random.default_rng(13)
    labels = np.repeat([1, 2], 10)
    features = rng.normal(size=(20, 6)) + labels[:, None] * 0.5
    mask = np.ones(20, dtype=bool)
    mask[[0, 15]] = False
    a0, weights = fit_rlda(features[None, :, None, :], labels, mask[None], (2, 5))
    decisions = decision_values(features[None, :, None, :], a0, weights)
    for index, count in enumerate((2, 5)):
        single = RLDA().fit(features[mask, :count], labels[mask])
        assert a0[0, 0, index] == pytest.approx(single.a0_)
        np.testing.assert_allclose(weights[0, 0, index, :count], single.weights_)
        np.testing.assert_allclose(decisions[0, index, 0], single.decision_function(features[:, :count]))


def test_rlda_rejects_one_class_and_single_trial_classes():
    with pytest.raises(ValueError, match="Only binary"):
        RLDA().fit(np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError, match="two training samples"):
        RLDA().fit(np.arange(8.0).reshape(4, 2), np.array([1, 2, 2, 2]))
