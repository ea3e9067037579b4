"""scikit-learn's estimator checks, restated for estimators that take EEG windows.

``parametrize_with_checks`` feeds 2-D tables, which an estimator of ``(n_trials, n_bands, n_channels,
n_times)`` windows rightly rejects; those checks are strict expected failures in
test_estimator_checks.py, and each property they guard is checked here on windows instead. A new
window estimator joins by being added to ``WINDOW_ESTIMATORS``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from fbcsp.estimators import FilterBankCSP, LogVariance

pytestmark = pytest.mark.classifier


@dataclass(frozen=True)
class WindowEstimator:
    estimator: object
    needs_labels: bool

    def __str__(self) -> str:
        return repr(self.estimator)


WINDOW_ESTIMATORS = (
    WindowEstimator(FilterBankCSP(n_pairs=1), needs_labels=True),
    WindowEstimator(LogVariance(), needs_labels=False),
)
by_estimator = pytest.mark.parametrize("case", WINDOW_ESTIMATORS, ids=str)


def windows_and_labels(n_trials=20, n_bands=2, n_channels=4, n_times=30, seed=0):
    """Windows whose class shows in the variance of one channel per band, alternating labels 1, 2."""
    rng = np.random.default_rng(seed)
    labels = np.tile([1, 2], n_trials // 2)
    windows = rng.normal(size=(n_trials, n_bands, n_channels, n_times))
    windows[labels == 1, :, 0] *= 3
    return windows, labels


def fitted(case: WindowEstimator, windows, labels):
    return clone(case.estimator).fit(windows, labels)


@by_estimator
def test_fit_returns_self_and_changes_neither_parameters_nor_input(case):
    windows, labels = windows_and_labels()
    estimator, before = clone(case.estimator), windows.copy()
    parameters = estimator.get_params()

    assert estimator.fit(windows, labels) is estimator
    assert estimator.get_params() == parameters
    np.testing.assert_array_equal(windows, before)
    added = set(vars(estimator)) - set(parameters)
    assert all(name.endswith("_") for name in added), added


@by_estimator
def test_transform_is_deterministic_idempotent_and_changes_no_state(case):
    windows, labels = windows_and_labels()
    estimator = fitted(case, windows, labels)
    state = pickle.dumps(vars(estimator))

    first = estimator.transform(windows)

    assert pickle.dumps(vars(estimator)) == state
    assert first.dtype == np.float64 and np.all(np.isfinite(first))
    np.testing.assert_array_equal(estimator.transform(windows), first)
    np.testing.assert_allclose(fitted(case, windows, labels).transform(windows), first)
    np.testing.assert_allclose(clone(case.estimator).fit_transform(windows, labels), first)
    np.testing.assert_allclose(make_pipeline(clone(case.estimator)).fit(windows, labels).transform(windows), first)


@by_estimator
def test_pickled_estimator_transforms_the_same(case):
    windows, labels = windows_and_labels()
    estimator = fitted(case, windows, labels)

    restored = pickle.loads(pickle.dumps(estimator))  # noqa: S301 - our own object

    np.testing.assert_array_equal(restored.transform(windows), estimator.transform(windows))


@by_estimator
def test_each_trial_is_transformed_on_its_own(case):
    windows, labels = windows_and_labels()
    estimator = fitted(case, windows, labels)
    expected = estimator.transform(windows)
    order = np.random.default_rng(1).permutation(len(windows))

    np.testing.assert_allclose(estimator.transform(windows[order]), expected[order])
    np.testing.assert_allclose(estimator.transform(windows[:3]), expected[:3])
    np.testing.assert_allclose(estimator.transform(windows[:1]), expected[:1])


@by_estimator
def test_transform_before_fit(case):
    windows, labels = windows_and_labels()
    unfitted = clone(case.estimator)

    if unfitted.__sklearn_tags__().requires_fit:
        with pytest.raises(NotFittedError):
            unfitted.transform(windows)
    else:
        np.testing.assert_allclose(unfitted.transform(windows), fitted(case, windows, labels).transform(windows))


def _layouts(windows: np.ndarray, tmp_path) -> dict[str, object]:
    memmap_path = tmp_path / "windows.npy"
    np.save(memmap_path, windows)
    return {
        "float32": windows.astype(np.float32),
        "Fortran order": np.asfortranarray(windows),
        "read-only memmap": np.load(memmap_path, mmap_mode="r"),
        "nested lists": windows.tolist(),
        "object dtype": windows.astype(object),
    }


@by_estimator
def test_every_array_layout_gives_the_float64_result(case, tmp_path):
    windows, labels = windows_and_labels()
    windows = np.round(windows, 2).astype(np.float32).astype(np.float64)  # exactly representable in float32
    expected = fitted(case, windows, labels).transform(windows)

    for name, layout in _layouts(windows, tmp_path).items():
        estimator = fitted(case, layout, labels)
        result = estimator.transform(layout)
        assert result.dtype == np.float64, name
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-9, err_msg=name)


@by_estimator
def test_three_dimensional_windows_are_one_band(case):
    windows, labels = windows_and_labels(n_bands=1)

    np.testing.assert_allclose(
        fitted(case, windows[:, 0], labels).transform(windows[:, 0]),
        fitted(case, windows, labels).transform(windows),
    )


@by_estimator
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_rejected(case, bad_value):
    windows, labels = windows_and_labels()
    spoiled = windows.copy()
    spoiled[3, 0, 1, 5] = bad_value

    with pytest.raises(ValueError, match="NaN|infinity"):
        clone(case.estimator).fit(spoiled, labels)
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted(case, windows, labels).transform(spoiled)


@by_estimator
@pytest.mark.parametrize(
    ("shape", "message"),
    [((20,), "dimension"), ((20, 30), "dimension"), ((20, 2, 4, 1), "at least 2 samples")],
    ids=["1-D", "2-D", "one sample per window"],
)
def test_inputs_that_are_not_windows_are_rejected(case, shape, message):
    _, labels = windows_and_labels()

    with pytest.raises(ValueError, match=message):
        clone(case.estimator).fit(np.ones(shape), labels)


def test_text_is_rejected_like_any_non_number():
    windows, labels = windows_and_labels()
    text = windows.astype(object)
    text[0, 0, 0, 0] = "argh"

    for case in WINDOW_ESTIMATORS:
        with pytest.raises(ValueError, match="could not convert"):
            clone(case.estimator).fit(text, labels)


@pytest.mark.parametrize("case", [case for case in WINDOW_ESTIMATORS if case.needs_labels], ids=str)
def test_supervised_window_estimators_need_labels(case):
    windows, labels = windows_and_labels()

    with pytest.raises(ValueError):
        clone(case.estimator).fit(windows, None)
    with pytest.raises(ValueError):
        clone(case.estimator).fit(windows, labels[:-1])
    with pytest.raises(ValueError):
        clone(case.estimator).fit(windows[:1], labels[:1])


@pytest.mark.parametrize("case", [case for case in WINDOW_ESTIMATORS if case.estimator.__sklearn_tags__().requires_fit],
                         ids=str)
def test_windows_of_another_montage_are_rejected_after_fit(case):
    windows, labels = windows_and_labels()
    other_montage, _ = windows_and_labels(n_channels=6)

    with pytest.raises(ValueError, match="channels"):
        fitted(case, windows, labels).transform(other_montage)
