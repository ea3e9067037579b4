"""What a training run may be asked to do: its settings (`TrainingOptions`) and the classifier
options A01..A04 it chooses among (`available_options`)."""

from __future__ import annotations

from dataclasses import dataclass

from .channel_reduction import MAX_CSP_DIMENSIONS
from .filterbank import USED_BAND_IDS

#: K of options A01..A04; A04 exists only when there are more than 9 features.
OPTION_FEATURE_COUNTS = (4, 6, 8, 10)
#: Training procedures: the window ensemble (default) or the original's selection rule.
SELECTIONS = ("default", "original")


@dataclass(frozen=True)
class TrainingOptions:
    """Settings of `train`.

    Attributes
    ----------
    selection : str
        ``"default"``: the window ensemble of `fbcsp.ensemble` is the exported model and its
        single best window goes into the ``online`` tree. ``"original"``: the original's option
        and window selection (spec section 5) gives the only model.
    band_ids : tuple of int
        Filter-bank bands, in feature order (spec: 3, 4, 5, 6).
    n_folds : int
        Outer (and inner) chronological cross-validation folds.
    n_permutations : int
        Label permutations for the p-value of the headline accuracy; 0 skips it (p-value None).
        With ``selection="default"`` each permutation cross-validates the ensemble again (6
        windows x 6 folds); with ``"original"`` it reruns the outer-fold analysis over the task
        windows (about 0.15-0.2 s on 2 cores for the 45-trial, 8-channel, 160 Hz sample). The
        smallest reachable p-value is ``1 / (n_permutations + 1)`` (0.048 by default).
    random_state : int
        Seed of the permutation generator (``np.random.default_rng``).
    max_csp_dimensions : int
        Unnamed montages with more channels are reduced to this many principal components per
        band before CSP (`fbcsp.channel_reduction`); named montages holding the motor-area
        channels and more use those channels instead, whatever their size.
    """

    selection: str = "default"
    band_ids: tuple[int, ...] = USED_BAND_IDS
    n_folds: int = 6
    n_permutations: int = 20
    random_state: int = 0
    max_csp_dimensions: int = MAX_CSP_DIMENSIONS

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise ValueError(f"selection must be one of {SELECTIONS}, got {self.selection!r}")


@dataclass(frozen=True)
class OptionSpec:
    """One classifier option: A0x keeps the K features with the highest MI."""

    option_id: int
    name: str
    n_features: int


def available_options(n_features: int) -> tuple[OptionSpec, ...]:
    """Options A01..A04 whose K fits: K <= D, and A04 (K = 10) only when D > 9."""
    return tuple(
        OptionSpec(option_id=index + 1, name=f"A{index + 1:02d}", n_features=count)
        for index, count in enumerate(OPTION_FEATURE_COUNTS)
        if count <= n_features and (count < 10 or n_features > 9)
    )
