"""The scikit-learn estimators of the package: each step of the original's per-window model as a
transformer or classifier (`FilterBankCSP`, `LogVariance`, `MutualInfoSelector`, `RLDA`), for
pipelines, cross-validation and scikit-learn's estimator checks.

Each is a thin layer over the batched kernels the training uses (`fbcsp.csp`, `fbcsp.features`,
`fbcsp.mutual_info`, `fbcsp.rlda`). Those kernels need only numpy, so a training run never imports
scikit-learn, whose import (scipy.stats and more) cost about a second of a container's start on
one vCPU.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .csp import class_mean_covariances, lotte_csp, select_filters, trace_normalised
from .features import log_variance_features
from .mutual_info import mutual_information_scores, rank_features
from .rlda import fit_rlda, predict_labels
from .windows import centre_moments, moments_of_windows


def check_band_windows(X) -> np.ndarray:
    """Validate windowed EEG as ``(n_trials, n_bands, n_channels, n_times)`` (3-D means one band)."""
    X = check_array(X, dtype=np.float64, allow_nd=True, ensure_2d=False, ensure_min_samples=1)
    if X.ndim == 3:
        X = X[:, None]
    if X.ndim != 4:
        raise ValueError(
            f"expected windows shaped (n_trials, n_bands, n_channels, n_times) or "
            f"(n_trials, n_channels, n_times), got {X.ndim} dimension(s)"
        )
    if X.shape[-1] < 2:
        raise ValueError("each window needs at least 2 samples")
    return X


class FilterBankCSP(TransformerMixin, BaseEstimator):
    """Lotte CSP fitted per band; `transform` returns the spatially filtered windows.

    Parameters
    ----------
    n_pairs : int
        Filters kept per end of the spectrum (m); 2m filters per band.
    centred : bool
        Each window's covariance about its own mean, as the default procedure takes it
        (`fbcsp.windows.centre_moments`); False is the spec's ``E E^T``.

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
        Sorted labels; the first is "class 1" (whose variance the first filters maximise).
    csp_matrices_ : ndarray, shape (n_bands, n_channels, n_channels)
        Full CSP matrix per band, rows = filters.
    filters_ : ndarray, shape (n_bands, 2 * n_pairs, n_channels)
        Selected rows (first m, last m).
    """

    def __init__(self, n_pairs: int = 3, centred: bool = False):
        self.n_pairs = n_pairs
        self.centred = centred

    def fit(self, X, y):
        """Fit on windows ``(n_trials, n_bands, n_channels, n_times)`` and labels ``(n_trials,)``."""
        X = check_band_windows(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), got {y.shape}")
        classes = np.unique(y)
        if classes.size != 2:
            raise ValueError(f"CSP needs exactly two classes, got {classes.size}")
        n_channels = X.shape[2]
        if not isinstance(self.n_pairs, int | np.integer) or not 1 <= self.n_pairs <= n_channels // 2:
            raise ValueError(f"n_pairs must be an integer in 1..{n_channels // 2}, got {self.n_pairs!r}")
        second, first = moments_of_windows(X)
        if self.centred:
            second, _ = centre_moments(second, first, X.shape[-1])
        weights = np.stack([(y == label) / np.sum(y == label) for label in classes])
        class1_cov, class2_cov = class_mean_covariances(trace_normalised(second), weights)
        self.classes_ = classes
        self.csp_matrices_ = lotte_csp(class1_cov, class2_cov)
        self.filters_ = select_filters(self.csp_matrices_, self.n_pairs)
        return self

    def transform(self, X):
        """Project windows ``(n_trials, n_bands, n_channels, n_times)`` to ``(..., 2m, n_times)``."""
        check_is_fitted(self, "filters_")
        X = check_band_windows(X)
        if X.shape[1:3] != self.filters_.shape[::2]:
            raise ValueError(
                f"fitted on {self.filters_.shape[0]} band(s) x {self.filters_.shape[2]} channels, "
                f"got {X.shape[1]} x {X.shape[2]}"
            )
        return self.filters_[None] @ X


class LogVariance(TransformerMixin, BaseEstimator):
    """Stateless transformer: signals ``(n_trials, n_bands, n_signals, n_times)`` -> ``ln var`` features.

    The variance uses ``ddof=1``; output is band-major, shape ``(n_trials, n_bands * n_signals)``
    (a 3-D input is treated as a single band).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags

    def fit(self, X, y=None):
        """Check the input; nothing is learned."""
        X = check_band_windows(X)
        self.n_features_out_ = X.shape[1] * X.shape[2]
        return self

    def transform(self, X):
        """Return the log-variance features, shape ``(n_trials, n_bands * n_signals)``."""
        X = check_band_windows(X)
        identity = np.broadcast_to(np.eye(X.shape[2]), (X.shape[1], X.shape[2], X.shape[2]))
        return log_variance_features(X, identity)


class MutualInfoSelector(TransformerMixin, BaseEstimator):
    """Keep the `n_features` features with the highest quantised mutual information with y.

    Parameters
    ----------
    n_features : int
        Number of features kept (K).

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    scores_ : ndarray, shape (n_features_in_,)
        MI in bits of each feature.
    ranking_ : ndarray, shape (n_features_in_,)
        Feature indices by decreasing MI (stable).
    feature_ids_ : ndarray, shape (n_features,)
        ``ranking_[:n_features]``, in rank order.
    """

    def __init__(self, n_features: int = 4):
        self.n_features = n_features

    def fit(self, X, y):
        """Rank the features of ``X (n_trials, n_features_in)`` against class labels ``y``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if not isinstance(self.n_features, int | np.integer) or not 1 <= self.n_features <= X.shape[1]:
            raise ValueError(f"n_features must be an integer in 1..{X.shape[1]}, got {self.n_features!r}")
        everything = np.ones((1, X.shape[0]), dtype=bool)
        scores = mutual_information_scores(X[None, :, None, :], encoded[None] + 1, everything)
        self.classes_ = classes
        self.scores_ = scores[0, 0]
        self.ranking_ = rank_features(self.scores_)
        self.feature_ids_ = self.ranking_[: self.n_features]
        return self

    def transform(self, X):
        """Keep the selected features in rank order, shape ``(n_trials, n_features)``."""
        check_is_fitted(self, "feature_ids_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return X[:, self.feature_ids_]


class RLDA(ClassifierMixin, BaseEstimator):
    """Two-class LDA with Ledoit-Wolf class covariances and unweighted pooling.

    Unlike scikit-learn's convention, a non-negative decision value means the *first* class
    (``classes_[0]``, T1 in this project), as in the original toolbox and its exported model.

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
    a0_ : float
        Bias.
    weights_ : ndarray, shape (n_features_in_,)
        Projection w (exported as ``a1N``).
    """

    def fit(self, X, y):
        """Fit on features ``(n_trials, n_features)`` and two-class labels; each class needs 2 trials."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if classes.size != 2:
            raise ValueError(f"Only binary classification is supported. RLDA got {classes.size} class(es)")
        if np.min(np.bincount(encoded)) < 2:
            raise ValueError("each class needs at least two training samples")
        everything = np.ones((1, X.shape[0]), dtype=bool)
        a0, weights = fit_rlda(X[None, :, None, :], encoded[None] + 1, everything, (X.shape[1],))
        self.classes_ = classes
        self.a0_ = float(a0[0, 0, 0])
        self.weights_ = weights[0, 0, 0]
        return self

    def decision_function(self, X):
        """``s = a0 + w . x``, shape ``(n_trials,)``; ``s >= 0`` means ``classes_[0]``."""
        check_is_fitted(self, "weights_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.a0_ + X @ self.weights_

    def predict(self, X):
        """Predicted labels, shape ``(n_trials,)``."""
        decision = self.decision_function(X)
        return self.classes_[predict_labels(decision) - 1]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags
