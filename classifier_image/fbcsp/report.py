"""``report.html`` and ``figures/*.png`` for one training run.

The HTML is self-contained (figures embedded as PNG data URIs, also written to ``figures/``), and
every piece of text that comes from the user's input (channel names, file names, ids) is escaped.

Figures (matplotlib, object API on the Agg canvas, no global pyplot state):

* ``accuracy.png``: fold-mean accuracy +- sd against window end time per option, with the chance
  level, the reference and task intervals and the selected window.
* ``confusion.png``: cross-validated predictions at the selected option and window.
* ``csp_patterns.png``: spatial patterns of the exported model's filters per used band, as
  topographic maps when every channel name is a standard 10-05 position, otherwise bar charts.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import mne  # noqa: E402 - after selecting the non-interactive backend
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import __version__  # noqa: E402
from .export import estimates, result_table, selected_option  # noqa: E402
from .recording import CLASS_LABELS  # noqa: E402
from .selection import fold_summary  # noqa: E402
from .training import TrainingResult  # noqa: E402

REPORT_FILE = "report.html"
FIGURES_DIR = "figures"
_DPI = 100
#: Standard 10-05 positions (MNE 1.13 name of the former "standard_1005").
MONTAGE_NAME = "colin27_1005"


def _png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def accuracy_figure(result: TrainingResult) -> Figure:
    """Time-resolved CV accuracy per option (fold mean +- sd, percent) against window end time."""
    grid, selection = result.grid, result.selection
    figure = Figure(figsize=(10, 5), layout="constrained")
    axes = figure.add_subplot()
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
    axes.axhline(100 * result.chance_level, color="grey", linestyle="--", label="chance (majority class)")
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.axvline(end_s[selection.task_window], color="red", linestyle=":", label="selected window")
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


def confusion_figure(result: TrainingResult) -> Figure:
    """Confusion matrix of the cross-validated predictions at the selected option and window."""
    counts = confusion_counts(result.trial_labels, result.cv_predictions)
    names = list(CLASS_LABELS.values())
    figure = Figure(figsize=(4.5, 4), layout="constrained")
    axes = figure.add_subplot()
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
        title="CV predictions at the selected window",
    )
    return figure


def csp_patterns(result: TrainingResult) -> np.ndarray:
    """Spatial patterns of the selected filters: columns of ``inv(CSP)``, shape (n_bands, 2m, n_channels)."""
    m = result.csp_pairs
    n_channels = len(result.ch_names)
    selected = np.r_[0:m, n_channels - m : n_channels]
    return np.stack([np.linalg.pinv(matrix)[:, selected].T for matrix in result.model.csp_matrices])


def montage_info(ch_names: tuple[str, ...], sfreq: float) -> mne.Info | None:
    """MNE info with standard 10-05 positions, or None when a name is not a standard position."""
    positions = {name.upper() for name in mne.channels.make_standard_montage(MONTAGE_NAME).ch_names}
    if len({name.upper() for name in ch_names}) != len(ch_names) or not all(
        n.upper() in positions for n in ch_names
    ):
        return None
    info = mne.create_info(list(ch_names), sfreq, ch_types="eeg")
    info.set_montage(MONTAGE_NAME, match_case=False, on_missing="raise")
    return info


def patterns_figure(result: TrainingResult) -> Figure:
    """CSP patterns of the exported model, one row per used band, one column per selected filter."""
    patterns = csp_patterns(result)
    n_bands, n_filters, n_channels = patterns.shape
    info = montage_info(result.ch_names, result.sfreq)
    figure = Figure(figsize=(2.0 * n_filters, 2.0 * n_bands + 0.6), layout="constrained")
    grid = figure.subplots(n_bands, n_filters, squeeze=False)
    m = n_filters // 2
    for band_index, band in enumerate(result.bands):
        for filter_index in range(n_filters):
            axes = grid[band_index, filter_index]
            pattern = patterns[band_index, filter_index]
            if info is not None:
                mne.viz.plot_topomap(pattern, info, axes=axes, show=False, contours=0, sensors=True)
            else:
                axes.bar(range(n_channels), pattern, color="tab:purple")
                axes.set_xticks(range(n_channels), result.ch_names, rotation=90, fontsize="x-small")
                axes.tick_params(axis="y", labelsize="x-small")
            end = "T1" if filter_index < m else "T2"
            axes.set_title(
                f"band {band.band_id} ({band.edges_hz[1]:g}-{band.edges_hz[2]:g} Hz)\n"
                f"filter {filter_index + 1} ({end}>)",
                fontsize="x-small",
            )
    figure.suptitle(
        "CSP patterns of the exported model (first m: high T1 variance, last m: high T2 variance)",
        fontsize="small",
    )
    return figure


FIGURES = {
    "accuracy.png": (accuracy_figure, "Time-resolved accuracy per option"),
    "confusion.png": (confusion_figure, "Confusion matrix of the cross-validated predictions"),
    "csp_patterns.png": (patterns_figure, "CSP patterns of the exported model"),
}


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _p_value(value: float | None) -> str:
    return "n/a (undefined)" if value is None else f"{value:.3g}"


def _rows(pairs) -> str:
    return "\n".join(
        f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(str(value))}</td></tr>"
        for name, value in pairs
    )


def render_html(result: TrainingResult, facts: Mapping[str, str], figures: Mapping[str, bytes]) -> str:
    """The report page; ``facts`` (label -> text) and channel names are escaped, figures are embedded."""
    option, table, figures_of_merit = selected_option(result), result_table(result), estimates(result)
    counts = {name: int(np.count_nonzero(result.trial_labels == code)) for code, name in CLASS_LABELS.items()}
    session_rows = _rows(
        [
            *facts.items(),
            ("Sample rate", f"{result.sfreq:g} Hz"),
            ("Channels", ", ".join(result.ch_names)),
            (
                "Trials used",
                f"{result.trial_labels.size} ({', '.join(f'{k}: {v}' for k, v in counts.items())})",
            ),
            ("Cues dropped", f"{result.n_dropped_trials} (their -3..+7 s epoch is not inside the recording)"),
            ("Folds", f"{table['CVfolds']} chronological folds per class"),
            ("Package", f"fbcsp {__version__}"),
        ]
    )
    selection_rows = _rows(
        [
            (
                "Option",
                f"{option.name}: the {option.n_features} features with the highest mutual information",
            ),
            (
                "Window",
                f"ends {result.grid.end_ms[result.selection.task_window]:g} ms after the cue "
                f"({result.grid.window} samples long, index {result.selection.task_window})",
            ),
            (
                "Reference window",
                f"ends {result.grid.end_ms[result.selection.ref_window]:g} ms after the cue",
            ),
            (
                "Bands",
                ", ".join(f"{b.band_id} ({b.edges_hz[1]:g}-{b.edges_hz[2]:g} Hz)" for b in result.bands),
            ),
            (
                "Task vs reference fold accuracies, paired t-test p (one-sided)",
                _p_value(table["refPeakDA_lower_taskPeakDA_ttest_p"]),
            ),
            (
                "Task vs reference fold accuracies, Wilcoxon signed-rank p (two-sided)",
                _p_value(table["refPeakDA_lower_taskPeakDA_wilc_p"]),
            ),
        ]
    )
    accuracy_rows = "\n".join(
        f"<tr><th>{html.escape(name)}</th><td>"
        f"{html.escape(_format_estimate(name, entry))}</td><td>{html.escape(entry['meaning'])}</td></tr>"
        for name, entry in figures_of_merit.items()
    )
    figure_blocks = "\n".join(
        f'<figure><img alt="{html.escape(caption)}" '
        f'src="data:image/png;base64,{base64.b64encode(figures[name]).decode()}">'
        f"<figcaption>{html.escape(caption)} "
        f'(<a href="{FIGURES_DIR}/{name}">{FIGURES_DIR}/{name}</a>)</figcaption></figure>'
        for name, (_, caption) in FIGURES.items()
        if name in figures
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>FBCSP training report</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
img {{ max-width: 100%; }}
figure {{ margin: 1.5em 0; }}
</style>
</head>
<body>
<h1>FBCSP training report (T1 vs T2)</h1>
<h2>Session</h2>
<table>
{session_rows}
</table>
<h2>Selected model</h2>
<table>
{selection_rows}
</table>
<h2>Accuracy</h2>
<table>
<tr><th>figure</th><th>value</th><th>what it means</th></tr>
{accuracy_rows}
</table>
<h2>Figures</h2>
{figure_blocks}
</body>
</html>
"""


def _format_estimate(name: str, entry: Mapping) -> str:
    if name == "permutationPValue":
        if entry["value"] is None:
            return "not computed (0 permutations)"
        return f"{entry['value']:.3g} ({entry['nPermutations']} permutations)"
    return _percent(entry["value"])


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
    report_path.write_text(render_html(result, facts or {}, images), encoding="utf-8")
    written[REPORT_FILE] = report_path
    return written
