"""``report.html`` and ``figures/*.png`` for one training run.

The HTML page (`fbcsp.report_page`) is self-contained (figures embedded as PNG data URIs, also
written to ``figures/``).

Figures (matplotlib, object API on the Agg canvas, no global pyplot state):

* ``accuracy.png``: the original's time-resolved analysis (1 s windows): fold-mean accuracy +- sd
  against window end time per option, with the chance figures, the reference and task intervals,
  the original rule's window and the exported windows.
* ``confusion.png``: the headline model's nested cross-validated predictions.
* ``csp_patterns.png``: the ``online`` model's CSP filters per used band (`fbcsp.report_patterns`):
  scalp maps of their patterns when the channels have known standard positions, otherwise a heat
  map of their weights per channel, with the reason in the figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from contracts.manifest import FIGURE_FILES, FIGURES_DIR, REPORT_FILE

from .figure_layout import Figure, margins, png_bytes
from .recording import CLASS_LABELS
from .report_page import render_html
from .report_patterns import patterns_figure
from .selection import fold_summary
from .statistics import binomial_chance_threshold
from .training_result import TrainingResult

_ACCURACY_SIZE_IN = (10.0, 5.0)
_ACCURACY_MARGINS_IN = (0.7, 0.2, 0.5, 0.35)
_CONFUSION_SIZE_IN = (4.5, 4.0)
_CONFUSION_MARGINS_IN = (0.7, 0.2, 0.55, 0.35)


def accuracy_figure(result: TrainingResult) -> Figure:
    """Time-resolved CV accuracy per option (fold mean +- sd, percent) against window end time."""
    grid, selection = result.grid, result.selection
    figure = Figure(figsize=_ACCURACY_SIZE_IN)
    axes = figure.subplots(gridspec_kw=margins(_ACCURACY_SIZE_IN, *_ACCURACY_MARGINS_IN))
    end_s = grid.end_ms / 1000.0
    for spans, colour, label in (
        (grid.ref_windows, "tab:blue", "reference windows"),
        (grid.task_windows, "tab:orange", "task windows"),
    ):
        axes.axvspan(end_s[spans[0]], end_s[spans[-1]], color=colour, alpha=0.08, label=label)
    for option, accuracy in zip(result.options, result.fold_accuracy, strict=True):
        mean, sd = fold_summary(accuracy)
        selected = option.option_id == selection.option_id
        line = axes.plot(
            end_s, mean, linewidth=2.0 if selected else 1.0, label=f"{option.name} (K={option.n_features})"
        )
        if selected:
            axes.fill_between(
                end_s, mean - sd, mean + sd, color=line[0].get_color(), alpha=0.2, label=f"{option.name} ± sd"
            )
    axes.axhline(100 * result.chance_level, color="grey", linestyle="--", label="majority class")
    axes.axhline(
        100 * binomial_chance_threshold(result.trial_labels.size),
        color="grey",
        linestyle=":",
        label="95 % chance threshold (binomial)",
    )
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.axvline(end_s[selection.task_window], color="red", linestyle=":", label="original rule's window end")
    if result.ensemble is not None:
        for index, end_ms in enumerate(result.ensemble.windows.end_ms):
            axes.axvline(
                end_ms / 1000.0,
                color="tab:green",
                linewidth=0.8,
                label="ensemble window ends (2 s windows)" if index == 0 else None,
            )
    axes.set(
        xlabel="window end relative to cue (s)",
        ylabel="fold-mean CV accuracy (%)",
        ylim=(0, 100),
        title=f"Time-resolved accuracy ({result.fold_accuracy.shape[1]}-fold chronological CV)",
    )
    axes.legend(loc="lower left", fontsize="small", ncols=2)
    return figure


def confusion_counts(true_codes: np.ndarray, predicted_codes: np.ndarray) -> np.ndarray:
    """2 x 2 counts, rows = true class (T1, T2), columns = predicted class."""
    codes = list(CLASS_LABELS)
    return np.array(
        [[np.count_nonzero((true_codes == t) & (predicted_codes == p)) for p in codes] for t in codes]
    )


def headline_cv_predictions(result: TrainingResult) -> np.ndarray:
    """Each trial predicted by the headline procedure trained on its outer fold's training trials."""
    return (
        result.ensemble.cv_predictions
        if result.ensemble is not None
        else result.original_nested_cv_predictions
    )


def confusion_figure(result: TrainingResult) -> Figure:
    """Confusion matrix of the headline model's nested cross-validated predictions."""
    counts = confusion_counts(result.trial_labels, headline_cv_predictions(result))
    names = list(CLASS_LABELS.values())
    figure = Figure(figsize=_CONFUSION_SIZE_IN)
    axes = figure.subplots(gridspec_kw=margins(_CONFUSION_SIZE_IN, *_CONFUSION_MARGINS_IN))
    axes.imshow(counts, cmap="Blues", vmin=0)
    for (row, column), count in np.ndenumerate(counts):
        colour = "white" if count > counts.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=14)
    axes.set(
        xticks=range(len(names)),
        xticklabels=names,
        yticks=range(len(names)),
        yticklabels=names,
        xlabel="predicted",
        ylabel="true",
        title="Nested CV predictions (headline model)",
    )
    return figure


#: One entry per name of ``contracts.manifest.FIGURE_FILES``, in that order.
FIGURES = dict(
    zip(
        FIGURE_FILES,
        (
            (accuracy_figure, "Time-resolved accuracy per option"),
            (confusion_figure, "Confusion matrix of the headline model's nested CV predictions"),
            (patterns_figure, "CSP patterns (or filter weights) of the online tree's model"),
        ),
        strict=True,
    )
)


def write_report(
    result: TrainingResult, out_dir: Path, facts: Mapping[str, str] | None = None
) -> dict[str, Path]:
    """Write ``report.html`` and ``figures/*.png`` into ``out_dir``.

    Parameters
    ----------
    result : TrainingResult
    out_dir : Path
    facts : mapping of str to str, optional
        Extra session facts shown first (e.g. input file, user and session ids); escaped.

    Returns
    -------
    dict of str to Path
        Relative name (``report.html``, ``figures/accuracy.png``, ...) -> written path.
    """
    figures_dir = out_dir / FIGURES_DIR
    figures_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    images: dict[str, bytes] = {}
    for name, (build, _) in FIGURES.items():
        images[name] = png_bytes(build(result))
        path = figures_dir / name
        path.write_bytes(images[name])
        written[f"{FIGURES_DIR}/{name}"] = path
    report_path = out_dir / REPORT_FILE
    report_path.write_text(render_html(result, facts or {}, images, FIGURES, FIGURES_DIR), encoding="utf-8")
    written[REPORT_FILE] = report_path
    return written
