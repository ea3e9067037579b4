"""Trials with a gross artifact are left out of every model's fit, and still tested.

CSP's class covariances are means over trials, and one trial holding a movement or muscle
artifact pulls the filters toward it. Measured on the uploads: 500 µV on every channel for 2 s
of one trial of the 44 took S001 from 92.4 to 69.7 % nested and S002 from 93.8 to 86.1 %.
Leaving such trials out of the fit brought them back to 88.2 and 88.9 %. Each trial's power after
the cue is compared, band by band, with the median trial's. A trial above `ARTIFACT_POWER_RATIO`
times it in any band is left out of fitting CSP, the feature selection and LDA, in every fold, in
the exported models and in the permutation test. It is still predicted and counted in every
accuracy, as it would be online. The rule uses no label, so applying it to all trials leaks
nothing into the cross-validation. On the clean S001-S003 uploads and their 64-channel runs the
largest ratio is 5.0, so they train as before. ``--selection original`` fits every trial, as the
original does (its parity with the spec), and only warns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .recording import CLASS_LABELS
from .windows import WindowGrid

#: A trial whose post-cue power in some band is over this many times the median trial's holds an artifact.
ARTIFACT_POWER_RATIO = 10.0
#: Artifact trials are left out only while every class keeps at least this share of its trials,
#: so that every inner training set keeps trials of both classes.
MIN_FITTED_SHARE = 0.75


@dataclass(frozen=True, eq=False)
class ArtifactTrials:
    """Which trials hold an artifact, and whether the models were fitted without them.

    Attributes
    ----------
    power_ratio : ndarray, shape (n_trials,)
        Each trial's largest post-cue band power over the median trial's in that band.
    enough_left : bool
        Whether every class keeps at least `MIN_FITTED_SHARE` of its trials without the flagged ones.
    procedure_leaves_out : bool
        Whether the training procedure leaves them out (the default does, ``original`` does not).
    """

    power_ratio: np.ndarray
    enough_left: bool
    procedure_leaves_out: bool

    @classmethod
    def of(
        cls, epochs: np.ndarray, grid: WindowGrid, labels: np.ndarray, procedure_leaves_out: bool = True
    ) -> ArtifactTrials:
        """Find the artifact trials of ``epochs`` (n_trials, n_bands, n_dimensions, epoch_length)."""
        power = np.stack([band[..., grid.cue_index :].var(axis=-1).sum(axis=-1) for band in epochs.swapaxes(0, 1)])
        median = np.median(power, axis=1, keepdims=True)
        ratio = np.max(power / np.where(median > 0, median, 1.0), axis=0)
        kept_shares = [np.mean(ratio[labels == code] <= ARTIFACT_POWER_RATIO) for code in CLASS_LABELS]
        return cls(
            power_ratio=ratio,
            enough_left=bool(min(kept_shares) >= MIN_FITTED_SHARE),
            procedure_leaves_out=procedure_leaves_out,
        )

    @property
    def left_out(self) -> bool:
        """Whether flagged trials were left out of fitting."""
        return bool(self.flagged.any()) and self.enough_left and self.procedure_leaves_out

    @property
    def flagged(self) -> np.ndarray:
        """Boolean mask of the trials that hold an artifact."""
        return self.power_ratio > ARTIFACT_POWER_RATIO

    @property
    def fitted(self) -> np.ndarray:
        """Boolean mask of the trials the models are fitted on."""
        return ~self.flagged if self.left_out else np.ones(self.power_ratio.size, dtype=bool)


def artifact_warnings(artifacts: ArtifactTrials, cue_seconds: np.ndarray) -> list[str]:
    """A warning naming the artifact trials by their cue time and saying what the training did with them."""
    flagged = np.flatnonzero(artifacts.flagged)
    if not flagged.size:
        return []
    listed = ", ".join(f"{cue_seconds[trial]:.1f} s ({artifacts.power_ratio[trial]:.0f}x)" for trial in flagged)
    found = (
        f"{flagged.size} trial(s) hold an artifact: after the cues at {listed} the power in some band is over "
        f"{ARTIFACT_POWER_RATIO:g} times the median trial's. "
    )
    if artifacts.left_out:
        return [
            found + "Every model was fitted without them, and they still count in every accuracy. Check the "
            "recording around those cues (movement, muscle tension, a loose electrode)."
        ]
    if not artifacts.procedure_leaves_out:
        return [
            found + "They were kept in the fit, because --selection original fits every trial, as the original "
            "does; the default procedure leaves such trials out. Check the recording around those cues."
        ]
    return [
        found + f"They were kept in the fit, because leaving them out would leave a class with under "
        f"{100 * MIN_FITTED_SHARE:.0f} % of its trials, so the models may follow the artifacts rather than the "
        "imagery. Check the recording and the electrodes."
    ]
