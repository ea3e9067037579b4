"""The reference's per-window estimators: mne's CSP fitted Lotte-style, scikit-learn LDA set up to
equal the spec's RLDA, and one window's fold model built from them (`window_predictions`).

Where mne's maths differs from the spec's Lotte CSP, and what is done about it:

* Lotte divides each trial's ``E E^T`` by its trace before averaging per class; mne's
  ``norm_trace`` divides the *class mean* by its trace. Each training window is therefore scaled
  to unit Frobenius norm before ``fit`` (so every trial's ``E E^T`` has trace 1) and
  ``norm_trace=False``. mne's empirical covariance does not remove the mean
  (``assume_centered=True``), as in Lotte.
* With equally long, trace-normalised, uncentred windows, ``cov_est="concat"`` (one covariance
  of the concatenated trials) equals ``cov_est="epoch"`` (the mean of per-trial covariances)
  exactly. "concat" is used because "epoch" makes one mne covariance call per trial, which makes
  each CSP fit some 30x slower (measured on 38 trials x 8 channels) for the same numbers.
* ``rank="full"``: Lotte's CSP assumes full-rank covariances; mne would otherwise estimate the
  rank of every fit (and could drop a dimension).
* mne solves the generalised eigenproblem ``C1 w = l (C1 + C2) w`` (the same filters as Lotte's
  whitening, up to scale and sign, which log-variance features and RLDA do not depend on).
  ``component_order="alternate"`` gives largest, smallest, second largest, ... eigenvalue; the
  rows are put back in Lotte's order (m largest in decreasing order, then the m smallest in
  decreasing order) so that feature indices match the package's band-major layout.
* Features: ``transform_into="csp_space"`` and ``ln var(ddof=1)`` computed here; mne's
  "average_power" would give ``ln mean(z^2)`` (no mean removal, ddof=0).

Classifier: ``LinearDiscriminantAnalysis(solver="lsqr", covariance_estimator=LedoitWolf(),
priors=[0.5, 0.5])``. With a covariance estimator scikit-learn does not standardise the
features, LedoitWolf per class is exactly the spec's Ledoit-Wolf shrinkage toward
``mean(diag(S)) I``, and equal priors make the pooled covariance the unweighted mean of the two
class covariances and cancel the log-prior terms: the decision is ``-(a0 + w . x)`` of the
spec's RLDA, and scikit-learn's tie rule (decision 0 -> first class) matches ``s >= 0 -> T1``.
(``shrinkage="auto"`` would standardise and shrink toward a different target.)
"""

from __future__ import annotations

import mne
import numpy as np
from sklearn.covariance import LedoitWolf
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from fbcsp.estimators import MutualInfoSelector


def lotte_row_order(n_pairs: int) -> np.ndarray:
    """Indices that turn mne's "alternate" order (l1, s1, l2, s2, ...) into (l1..lm, sm..s1).

    l = largest eigenvalues (first-class variance share), s = smallest; the result is the
    spec's first m then last m rows of a CSP matrix sorted by decreasing eigenvalue.
    """
    largest = np.arange(0, 2 * n_pairs, 2)
    smallest_ascending_eigenvalue_last = np.arange(2 * n_pairs - 1, 0, -2)
    return np.concatenate([largest, smallest_ascending_eigenvalue_last])


def fit_band_csp(train_windows: np.ndarray, train_labels: np.ndarray, n_pairs: int) -> mne.decoding.CSP:
    """Fit mne's CSP on one band's training windows, Lotte-style (see the module docstring).

    Parameters
    ----------
    train_windows : ndarray, shape (n_train, n_channels, W)
    train_labels : ndarray of int, shape (n_train,)
    n_pairs : int

    Returns
    -------
    mne.decoding.CSP
        Fitted, with ``transform_into="csp_space"`` and 2m components.
    """
    unit_trace = train_windows / np.linalg.norm(train_windows, axis=(1, 2), keepdims=True)
    csp = mne.decoding.CSP(
        n_components=2 * n_pairs,
        cov_est="concat",
        transform_into="csp_space",
        norm_trace=False,
        rank="full",
        component_order="alternate",
    )
    return csp.fit(unit_trace, train_labels)


def log_variance(projected: np.ndarray) -> np.ndarray:
    """``ln var(z, ddof=1)`` over time of signals ``(n_trials, n_signals, W)``."""
    return np.log(np.var(projected, axis=-1, ddof=1))


def window_features(
    windows: np.ndarray, labels: np.ndarray, train_mask: np.ndarray, n_pairs: int
) -> np.ndarray:
    """Band-major CSP log-variance features of every trial, with CSP fitted on the training trials.

    Parameters
    ----------
    windows : ndarray, shape (n_trials, n_bands, n_channels, W)
    labels : ndarray of int, shape (n_trials,)
    train_mask : ndarray of bool, shape (n_trials,)
    n_pairs : int

    Returns
    -------
    ndarray, shape (n_trials, n_bands * 2m)
    """
    order = lotte_row_order(n_pairs)
    per_band = []
    for band in range(windows.shape[1]):
        band_windows = windows[:, band]
        csp = fit_band_csp(band_windows[train_mask], labels[train_mask], n_pairs)
        per_band.append(log_variance(csp.transform(band_windows)[:, order]))
    return np.concatenate(per_band, axis=1)


def make_lda() -> LinearDiscriminantAnalysis:
    """scikit-learn LDA set up to equal the spec's RLDA (see the module docstring)."""
    return LinearDiscriminantAnalysis(solver="lsqr", covariance_estimator=LedoitWolf(), priors=[0.5, 0.5])


def window_predictions(
    windows: np.ndarray,
    labels: np.ndarray,
    train_mask: np.ndarray,
    n_pairs: int,
    feature_counts: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Fit one fold model at one window for every option and predict every trial.

    Returns
    -------
    predictions : ndarray of int, shape (n_options, n_trials)
    ranking : ndarray of int, shape (n_features,)
        Training-set MI ranking of the features (decreasing, stable).
    """
    features = window_features(windows, labels, train_mask, n_pairs)
    train_features, train_labels = features[train_mask], labels[train_mask]
    selector = MutualInfoSelector(n_features=max(feature_counts)).fit(train_features, train_labels)
    predictions = []
    for count in feature_counts:
        kept = selector.ranking_[:count]
        lda = make_lda().fit(train_features[:, kept], train_labels)
        predictions.append(lda.predict(features[:, kept]))
    return np.array(predictions), selector.ranking_
