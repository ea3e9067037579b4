"""Lotte CSP: equal (up to sign) to the literal learnCSP formulation, and the filter choice."""

import numpy as np
import pytest

from fbcsp.csp import csp_pairs_for_channels, lotte_csp, select_filters, trace_normalised
from fbcsp.estimators import FilterBankCSP

pytestmark = pytest.mark.classifier


def literal_learn_csp(trials_class1, trials_class2):
    """learnCSP.m step by step: eig of the sum, whitening P, eig of P C1 P', CSP = U1' P."""

    def mean_normalised(trials):
        return np.mean([e @ e.T / np.trace(e @ e.T) for e in trials], axis=0)

    c1, c2 = mean_normalised(trials_class1), mean_normalised(trials_class2)
    values, vectors = np.linalg.eigh(c1 + c2)
    order = np.argsort(values)[::-1]
    whitening = np.diag(values[order] ** -0.5) @ vectors[:, order].T
    values1, vectors1 = np.linalg.eigh(whitening @ c1 @ whitening.T)
    return vectors1[:, np.argsort(values1)[::-1]].T @ whitening


def test_batched_csp_equals_learn_csp_up_to_row_signs():
    rng = np.random.default_rng(2)
    trials1 = rng.normal(size=(9, 5, 60)) * np.array([3, 1, 1, 1, 1])[:, None]
    trials2 = rng.normal(size=(8, 5, 60)) * np.array([1, 1, 1, 1, 3])[:, None]
    expected = literal_learn_csp(trials1, trials2)
    mean1 = trace_normalised(trials1 @ trials1.swapaxes(1, 2)).mean(axis=0)
    mean2 = trace_normalised(trials2 @ trials2.swapaxes(1, 2)).mean(axis=0)
    actual = lotte_csp(mean1[None], mean2[None])[0]
    signs = np.sign(np.sum(actual * expected, axis=1))
    np.testing.assert_allclose(actual * signs[:, None], expected, rtol=1e-8, atol=1e-10)


def test_first_filters_favour_class_1_and_last_filters_class_2():
    rng = np.random.default_rng(3)
    trials = rng.normal(size=(20, 4, 80))
    trials[:10, 0] *= 4  # class 1: strong channel 0
    trials[10:, 3] *= 4  # class 2: strong channel 3
    labels = np.repeat([1, 2], 10)
    csp = FilterBankCSP(n_pairs=1).fit(trials, labels)
    assert csp.filters_.shape == (1, 2, 4)
    projected = csp.transform(trials)[:, 0]
    variance = projected.var(axis=-1)
    assert variance[:10, 0].mean() > 5 * variance[10:, 0].mean()
    assert variance[10:, 1].mean() > 5 * variance[:10, 1].mean()


def test_select_filters_takes_first_and_last_rows():
    matrices = np.arange(36.0).reshape(6, 6)
    np.testing.assert_array_equal(select_filters(matrices, 2), matrices[[0, 1, 4, 5]])


@pytest.mark.parametrize(("n_channels", "pairs"), [(2, 1), (3, 1), (4, 2), (5, 2), (8, 3), (32, 3)])
def test_filter_pairs_follow_the_channel_count_rule(n_channels, pairs):
    assert csp_pairs_for_channels(n_channels) == pairs


def test_csp_rejects_bad_parameters_at_fit():
    data = np.random.default_rng(0).normal(size=(6, 4, 30))
    with pytest.raises(ValueError, match="n_pairs"):
        FilterBankCSP(n_pairs=3).fit(data, np.repeat([1, 2], 3))
    with pytest.raises(ValueError, match="two classes"):
        FilterBankCSP(n_pairs=1).fit(data, np.ones(6))
