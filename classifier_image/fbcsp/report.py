"""``report.html`` and ``figures/*.png`` for one training run.

The HTML page (`fbcsp.report_page`) is self-contained (figures embedded as PNG data URIs, also
written to ``figures/``).

Figures (matplotlib, object API on the Agg canvas, no global pyplot state):

* ``accuracy.png``: the original's time-resolved analysis (1 s windows): fold-mean accuracy +- sd
  against window end time per option, with the chance figures, the reference and task intervals,
  the original rule's window and the exported windows.
* ``confusion.png``: the headline model's nested cross-validated predictions.
* ``csp_patterns.png``: the ``online`` model's CSP filters per used band: their spatial
  patterns as topographic maps only when the channel names are known (``ChannelNames`` in
  metadata.json, an EDF's own names or ``--channel-names``) and all are standard 10-05
  positions; otherwise each channel's filter weight as a bar chart, with the reason in the figure.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import mne  # noqa: E402 - after selecting the non-interactive backend
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from contracts.manifest import FIGURE_FILES, FIGURES_DIR, REPORT_FILE  # noqa: E402

from .metrics import binomial_chance_threshold  # noqa: E402
from .recording import CLASS_LABELS  # noqa: E402
from .report_page import render_html  # noqa: E402
from .selection import fold_summary  # noqa: E402
from .training import TrainingResult  # noqa: E402

_DPI = 100
#: Standard 10-05 positions (MNE 1.13 name of the former "standard_1005").
MONTAGE_NAME = "colin27_1005"
# Fixed margins in inches (left, right, bottom, top) instead of matplotlib's constrained layout,
# which measures every text of a figure before drawing it and cost about as much as the drawing.
_ACCURACY_SIZE_IN = (10.0, 5.0)
_ACCURACY_MARGINS_IN = (0.7, 0.2, 0.5, 0.35)
_CONFUSION_SIZE_IN = (4.5, 4.0)
_CONFUSION_MARGINS_IN = (0.7, 0.2, 0.55, 0.35)
# Patterns figure geometry in inches: one square cell per map; the gaps inside it (row gap,
# column gap, left and bottom margin) leave room for the titles and, on bar charts, the ticks
# (the top margin is the suptitle's height plus the row gap less the bottom margin).
_CELL_IN = 2.0
_SUPTITLE_IN = 0.6
_BAR_GAPS_IN = (0.75, 0.5, 0.4, 0.45)
_MAP_GAPS_IN = (0.4, 0.1, 0.05, 0.05)


def _margins(size_in: tuple[float, float], left: float, right: float, bottom: float, top: float) -> dict[str, float]:
    """Subplot parameters (figure fractions) of margins given in inches."""
    width, height = size_in
    return {"left": left / width, "right": 1 - right / width, "bottom": bottom / height, "top": 1 - top / height}


def _png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def accuracy_figure(result: TrainingResult) -> Figure:
    """Time-resolved CV accuracy per option (fold mean +- sd, percent) against window end time."""
    grid, selection = result.grid, result.selection
    figure = Figure(figsize=_ACCURACY_SIZE_IN)
    axes = figure.subplots(gridspec_kw=_margins(_ACCURACY_SIZE_IN, *_ACCURACY_MARGINS_IN))
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
    axes = figure.subplots(gridspec_kw=_margins(_CONFUSION_SIZE_IN, *_CONFUSION_MARGINS_IN))
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


def csp_patterns(result: TrainingResult) -> np.ndarray:
    """Spatial patterns of the online model's filters: columns of ``inv(CSP)``, (n_bands, 2m, n_channels)."""
    m = result.csp_pairs
    n_channels = len(result.ch_names)
    selected = np.r_[0:m, n_channels - m : n_channels]
    return np.stack(
        [np.linalg.pinv(matrix)[:, selected].T for matrix in result.online_model.model.csp_matrices]
    )


def montage_info(ch_names: tuple[str, ...], sfreq: float, names_known: bool = True) -> mne.Info | None:
    """MNE info with standard 10-05 positions, or None when the names are assumed or not all standard."""
    if not names_known or len({name.upper() for name in ch_names}) != len(ch_names):
        return None
    montage = mne.channels.make_standard_montage(MONTAGE_NAME)
    positions = {name.upper() for name in montage.ch_names}
    if not all(n.upper() in positions for n in ch_names):
        return None
    info = mne.create_info(list(ch_names), sfreq, ch_types="eeg")
    info.set_montage(montage, match_case=False, on_missing="raise")
    return info


def _grid_margins(n_rows: int, n_columns: int, gaps_in: tuple[float, float, float, float]) -> dict[str, float]:
    """Gridspec parameters of the patterns figure from its gaps in inches."""
    row_gap, column_gap, left, bottom = gaps_in
    size_in = (_CELL_IN * n_columns, _CELL_IN * n_rows + _SUPTITLE_IN)
    return {
        **_margins(size_in, left, column_gap - left, bottom, _SUPTITLE_IN + row_gap - bottom),
        "wspace": column_gap / (_CELL_IN - column_gap),
        "hspace": row_gap / (_CELL_IN - row_gap),
    }


def patterns_figure(result: TrainingResult) -> Figure:
    """The online model's CSP filters, one row per used band, one column per selected filter.

    Scalp maps of the spatial patterns when `montage_info` places the channels; otherwise each
    channel's filter weight as a bar chart, with the reason in the title.
    """
    info = montage_info(result.ch_names, result.sfreq, result.ch_names_known)
    values = csp_patterns(result) if info is not None else result.online_model.model.filters
    n_bands, n_filters, n_channels = values.shape
    figure = Figure(figsize=(_CELL_IN * n_filters, _CELL_IN * n_bands + _SUPTITLE_IN))
    gaps = _MAP_GAPS_IN if info is not None else _BAR_GAPS_IN
    grid = figure.subplots(n_bands, n_filters, squeeze=False, gridspec_kw=_grid_margins(n_bands, n_filters, gaps))
    m = n_filters // 2
    for band_index, band in enumerate(result.bands):
        for filter_index in range(n_filters):
            axes = grid[band_index, filter_index]
            if info is not None:
                mne.viz.plot_topomap(
                    values[band_index, filter_index], info, axes=axes, show=False, contours=0, sensors=True
                )
            else:
                axes.bar(range(n_channels), values[band_index, filter_index], color="tab:purple")
                # every chart has the same channels in the same order: naming them once, under
                # the bottom row, spares the other rows' x ticks and their rotated labels
                if band_index == n_bands - 1:
                    axes.set_xticks(range(n_channels), result.ch_names, rotation=90, fontsize="x-small")
                else:
                    axes.set_xticks([])
                axes.tick_params(axis="y", labelsize="x-small")
                axes.ticklabel_format(axis="y", style="plain", useOffset=False)  # nothing above the axes
            end = "T1" if filter_index < m else "T2"
            # y=1: the title's place is fixed, so matplotlib does not measure the ticks to find it
            axes.set_title(
                f"band {band.band_id} ({band.edges_hz[1]:g}-{band.edges_hz[2]:g} Hz)\n"
                f"filter {filter_index + 1} ({end}>)",
                fontsize="x-small",
                y=1.0,
            )
    what = "CSP patterns" if info is not None else "CSP filter weights per channel"
    title = f"{what} of the online model (first m: high T1 variance, last m: high T2 variance)"
    if info is None:
        title += "\n" + patterns_reason(result)
    figure.suptitle(title, fontsize="small")
    return figure


def patterns_reason(result: TrainingResult) -> str:
    """Why the patterns are bar charts of channel weights rather than scalp maps."""
    if not result.ch_names_known:
        return (
            "not scalp maps: the channel names are assumed (metadata.json has no "
            "ChannelNames), so electrode positions are unknown"
        )
    return "not scalp maps: not every channel name is a standard 10-05 position"


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
        images[name] = _png_bytes(build(result))
        path = figures_dir / name
        path.write_bytes(images[name])
        written[f"{FIGURES_DIR}/{name}"] = path
    report_path = out_dir / REPORT_FILE
    report_path.write_text(render_html(result, facts or {}, images, FIGURES, FIGURES_DIR), encoding="utf-8")
    written[REPORT_FILE] = report_path
    return written
