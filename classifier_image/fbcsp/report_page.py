"""The HTML page of ``report.html``: headline accuracy, warnings, models, the original's statistics.

Every piece of text that comes from the user's input (channel names, file names, ids) is escaped.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping

import numpy as np

from . import __version__
from .channel_reduction import MOTOR_AREA_CHANNELS, missing_motor_area_channels
from .filterbank import group_delay_samples
from .metrics import estimates
from .original_table import result_table, selected_option
from .recording import CLASS_LABELS
from .report_warnings import percent, report_warning_texts, timing_notes
from .training_result import TrainingResult

#: The page is self-contained (figures as data: URIs, one inline style sheet, no script), and is
#: served from the results bucket's own address: whatever text of an upload got past the escaping
#: could still neither run a script nor load anything.
REPORT_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _prose(text: str) -> str:
    """``text`` escaped for the page, with its `backquoted` names (commands, files, fields: the same texts
    are plain in metrics.json and the status) set as code instead of showing the backquotes."""
    return _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text))


def _p_value(value: float | None) -> str:
    return "n/a (undefined)" if value is None else f"{value:.3g}"


def _rows(pairs) -> str:
    return "\n".join(
        f"<tr><th>{html.escape(str(name))}</th><td>{html.escape(str(value))}</td></tr>"
        for name, value in pairs
    )


def montage_notes(result: TrainingResult) -> list[str]:
    """What CSP ran on when that was not simply the recorded channels: the motor-area channels of a
    larger montage, principal components of linearly dependent channels, or, when the names are
    unknown or the montage lacks the motor area, what it ran on, why, and how to name the channels."""
    channels = result.csp_channels
    names = channels.names(result.ch_names)
    if channels.motor_area:
        return [
            f"CSP ran on the motor-area channels {', '.join(names)} of the {len(result.ch_names)} recorded (a "
            "fixed prior on where hand motor imagery shows); the exported filters give every other channel zero "
            "weight."
        ]
    if channels.rank_deficient:
        return [
            f"The {len(names)} channels with signal are linearly dependent: together they carry {channels.rank} "
            "independent signals (re-referenced to their common average in software, or a channel recorded "
            f"twice?). CSP ran on the {channels.dimensions} leading principal components of each band, which leave "
            "the redundant directions out."
        ]
    n_channels = len(names)
    if n_channels <= len(MOTOR_AREA_CHANNELS) or (result.ch_names_known and not channels.reduced):
        return []
    if result.ch_names_known:
        missing = ", ".join(missing_motor_area_channels(tuple(names)))
        reason = f"the montage has no {missing}" + (" with signal" if result.channel_quality.constant.any() else "")
    else:
        reason = "the channel names are unknown (metadata.json has no ChannelNames)"
    used = (
        f"the {channels.dimensions} leading principal components of each band's {n_channels} channels"
        if channels.reduced
        else f"all {n_channels} channels"
    )
    return [
        f"CSP ran on {used}, because {reason}. With the channels named and {', '.join(MOTOR_AREA_CHANNELS)} "
        "among them, CSP runs on those instead, which on the public EEGMMIDB recordings we measured was "
        f"more accurate than {'the components' if channels.reduced else 'all channels'} (the package README, "
        "\"Research montages\")."
    ]


def headline_text(result: TrainingResult) -> str:
    """One sentence: the headline nested accuracy with its spread and the chance figures."""
    figures = estimates(result)
    chance = figures["chanceLevel"]
    p_value = figures["permutationPValue"]
    permutation = (
        f", permutation p = {p_value['value']:.3g} ({p_value['nPermutations']} permutations)"
        if p_value["value"] is not None
        else ""
    )
    model = "window ensemble" if result.ensemble is not None else "original selection rule"
    return (
        f"Nested accuracy of the model `fbcsp predict` applies ({model}): {percent(result.nested_accuracy)} "
        f"(fold SD {percent(float(np.std(result.nested_fold_accuracies, ddof=1)))}); 95 % chance threshold "
        f"{percent(chance['binomialThreshold95'])} for {chance['nTrials']} trials, majority class "
        f"{percent(chance['value'])}{permutation}."
    )


def model_rows(result: TrainingResult) -> list[tuple[str, str]]:
    """Rows describing the exported models and their windows."""
    online = result.online_model
    delays = ", ".join(
        f"band {band.band_id}: {1000.0 * group_delay_samples(band) / result.sfreq:.0f} ms"
        for band in result.bands
    )
    rows = [("Procedure", f"--selection {result.selection_mode}")]
    if result.ensemble is not None:
        windows = result.ensemble.windows
        rows.append(
            (
                "Headline model (fbcsp.ensemble in classifier.json)",
                f"{windows.starts.size} windows of {windows.length} samples ending "
                f"{', '.join(f'{end:g}' for end in windows.end_ms)} ms after the cue, all "
                f"{result.ensemble.n_features} CSP features each, shrinkage LDA; "
                f"decision = mean of the windows' decision values",
            )
        )
    rows += [
        (
            "Online tree's model (original consumer)",
            f"one window of {online.window_samples} samples ending {online.end_ms:g} ms after the cue, "
            f"K = {online.model.feature_ids.size}; nested accuracy {percent(result.online_nested_accuracy)}",
        ),
        ("Filter delay (EEG in a window is older than its label time by)", delays),
        ("Bands", ", ".join(f"{b.band_id} ({b.edges_hz[1]:g}-{b.edges_hz[2]:g} Hz)" for b in result.bands)),
    ]
    return rows


def original_rows(result: TrainingResult) -> list[tuple[str, str]]:
    """The original rule's choice on all folds and its reference-vs-task statistics."""
    option, table = selected_option(result), result_table(result)
    grid, selection = result.grid, result.selection
    return [
        ("Option", f"{option.name}: the {option.n_features} features with the highest mutual information"),
        (
            "Window",
            f"ends {grid.end_ms[selection.task_window]:g} ms after the cue "
            f"({grid.window} samples long, index {selection.task_window}, step {grid.step} samples = "
            f"{grid.step_ms:g} ms)",
        ),
        ("Reference window", f"ends {grid.end_ms[selection.ref_window]:g} ms after the cue"),
        (
            "Task vs reference fold accuracies, paired t-test p (one-sided)",
            _p_value(table["refPeakDA_lower_taskPeakDA_ttest_p"]),
        ),
        (
            "Task vs reference fold accuracies, Wilcoxon signed-rank p (two-sided)",
            _p_value(table["refPeakDA_lower_taskPeakDA_wilc_p"]),
        ),
    ]


def _format_estimate(name: str, entry: Mapping) -> str:
    if name == "permutationPValue":
        if entry["value"] is None:
            return "not computed (0 permutations)"
        return f"{entry['value']:.3g} ({entry['nPermutations']} permutations)"
    if name == "chanceLevel":
        return f"{percent(entry['value'])} (95 % threshold {percent(entry['binomialThreshold95'])})"
    return percent(entry["value"])


def render_html(
    result: TrainingResult,
    facts: Mapping[str, str],
    figures: Mapping[str, bytes],
    captions: Mapping[str, tuple],
    figures_dir: str,
) -> str:
    """The report page; ``facts`` (label -> text) and channel names are escaped, figures are embedded.

    ``captions`` maps a figure's file name to a tuple whose last item is its caption.
    """
    counts = {name: int(np.count_nonzero(result.trial_labels == code)) for code, name in CLASS_LABELS.items()}
    names_note = "" if result.ch_names_known else " (assumed: metadata.json names no channels)"
    session_rows = _rows(
        [
            *facts.items(),
            ("Sample rate", f"{result.sfreq:g} Hz"),
            ("Channels", ", ".join(result.ch_names) + names_note),
            (
                "Trials used",
                f"{result.trial_labels.size} ({', '.join(f'{k}: {v}' for k, v in counts.items())})",
            ),
            ("Cues dropped", f"{result.n_dropped_trials} (their -3..+7 s epoch is not inside the recording)"),
            *([("Other cues", result.cue_note)] if result.cue_note else []),
            ("Folds", f"{result.fold_accuracy.shape[1]} chronological folds per class"),
            ("Package", f"fbcsp {__version__}"),
        ]
    )
    accuracy_rows = "\n".join(
        f"<tr><th>{html.escape(name)}</th><td>"
        f"{html.escape(_format_estimate(name, entry))}</td><td>{_prose(entry['meaning'])}</td></tr>"
        for name, entry in estimates(result).items()
    )
    warnings = "\n".join(f'<p class="warning">{_prose(text)}</p>' for text in report_warning_texts(result))
    notes = "\n".join(
        f'<p class="note">{_prose(text)}</p>' for text in (*timing_notes(result), *montage_notes(result))
    )
    figure_blocks = "\n".join(
        f'<figure><img alt="{html.escape(caption[-1])}" '
        f'src="data:image/png;base64,{base64.b64encode(figures[name]).decode()}">'
        f"<figcaption>{html.escape(caption[-1])} "
        f'(<a href="{figures_dir}/{name}">{figures_dir}/{name}</a>)</figcaption></figure>'
        for name, caption in captions.items()
        if name in figures
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{REPORT_CONTENT_SECURITY_POLICY}">
<title>FBCSP training report</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
img {{ max-width: 100%; }}
figure {{ margin: 1.5em 0; }}
.headline {{ font-size: 1.2em; font-weight: bold; }}
.warning {{ background: #fff4e0; border-left: 4px solid #e69500; padding: 0.4em 0.8em; }}
.note {{ background: #eef4fb; border-left: 4px solid #4a86c5; padding: 0.4em 0.8em; }}
</style>
</head>
<body>
<h1>FBCSP training report (T1 vs T2)</h1>
<p class="headline">{_prose(headline_text(result))}</p>
{warnings}
{notes}
<h2>Session</h2>
<table>
{session_rows}
</table>
<h2>Exported models</h2>
<table>
{_rows(model_rows(result))}
</table>
<h2>Accuracy</h2>
<table>
<tr><th>figure</th><th>value</th><th>what it means</th></tr>
{accuracy_rows}
</table>
<h2>The original's selection rule (time-resolved analysis, 1 s windows)</h2>
<table>
{_rows(original_rows(result))}
</table>
<h2>Figures</h2>
{figure_blocks}
</body>
</html>
"""
