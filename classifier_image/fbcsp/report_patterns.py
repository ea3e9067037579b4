"""``csp_patterns.png``: the ``online`` model's CSP filters per used band.

Scalp maps of the spatial patterns only when the channel names are known (``ChannelNames`` in
metadata.json, an EDF's own names or ``--channel-names``) and all are standard 10-05 positions.
Otherwise one heat map of the filter weights: a row per filter, a column per channel, each row
scaled by its largest absolute weight (a CSP filter's scale and sign carry no information), with
the reason in the title. One image instead of a bar chart per filter: it stays readable at 64
channels, and it draws in a fraction of the time (24 charts with their ticks took about 1 s of
CPU on the sample, most of the report's cost).
"""

from __future__ import annotations

import numpy as np

from .csp import select_filters
from .electrodes import electrode_key
from .figure_layout import Figure, margins
from .training_result import TrainingResult

#: Standard 10-05 positions (MNE 1.13 name of the former "standard_1005").
MONTAGE_NAME = "colin27_1005"
WEIGHTS_COLOUR_MAP = "RdBu_r"
# Scalp-map grid in inches: one square cell per map; the gaps inside it (row gap, column gap, left
# and bottom margin) leave room for the titles (the top margin is the suptitle's height plus the
# row gap less the bottom margin).
_CELL_IN = 2.0
_SUPTITLE_IN = 0.6
_MAP_GAPS_IN = (0.4, 0.1, 0.05, 0.05)
# Heat-map geometry in inches: the margin of the row and band labels, a column per channel and a row per filter,
# the channel names' margin, the colour bar's strip and the smallest width (room for the title).
_ROW_LABELS_IN = 1.9
_BAND_LABEL_OFFSET_PT = 62.0  # left of the row labels
_COLUMN_IN = 0.22
_ROW_IN = 0.22
_CHANNEL_NAMES_IN = 0.6
_COLOUR_BAR_IN = (0.25, 0.15, 0.9)  # gap, bar, its labels
_MIN_WIDTH_IN = 8.0


def csp_patterns(result: TrainingResult) -> np.ndarray:
    """Spatial patterns of the online model's filters on the recorded channels, (n_bands, 2m, n_channels).

    The rows of ``pinv(CSP)^T`` that `select_filters` picks for the filters. A reduced montage's
    CSP matrix has a row per component (``n_components x n_channels``, the reduction composed in);
    its pseudo-inverse maps the patterns back to the channels, zero on channels the reduction left out.
    """
    patterns = np.swapaxes(np.linalg.pinv(result.online_model.model.csp_matrices), -1, -2)
    return select_filters(patterns, result.csp_pairs)


def used_channels(result: TrainingResult) -> np.ndarray:
    """Indices of the channels the online model's filters weigh: all, or those a reduction kept."""
    return np.flatnonzero(np.any(result.online_model.model.filters != 0, axis=(0, 1)))


def montage_info(ch_names: tuple[str, ...], sfreq: float, names_known: bool = True):
    """MNE info with standard 10-05 positions, or None when the names are assumed or not all standard.

    Names match positions by `electrode_key`, so ``"EEG C3-REF"`` is drawn at C3; the info names
    each channel by its position.
    """
    keys = [electrode_key(name) for name in ch_names]
    if not names_known or len(set(keys)) != len(keys):
        return None
    # imported here: MNE's montages and plotting are needed only for scalp maps
    import mne  # noqa: PLC0415

    montage = mne.channels.make_standard_montage(MONTAGE_NAME)
    positions = {name.upper(): name for name in montage.ch_names}
    if not all(key in positions for key in keys):
        return None
    info = mne.create_info([positions[key] for key in keys], sfreq, ch_types="eeg")
    info.set_montage(montage, on_missing="raise")
    return info


def patterns_reason(result: TrainingResult) -> str:
    """Why the figure shows channel weights rather than scalp maps."""
    if not result.ch_names_known:
        return (
            "not scalp maps: the channel names are assumed (metadata.json has no "
            "ChannelNames), so electrode positions are unknown"
        )
    return "not scalp maps: not every channel name is a standard 10-05 position"


def band_labels(result: TrainingResult) -> list[str]:
    """One label per used band: its id and edges."""
    return [f"band {band.band_id} ({band.edges_hz[1]:g}-{band.edges_hz[2]:g} Hz)" for band in result.bands]


def filter_labels(n_filters: int) -> list[str]:
    """One label per filter of a band: its number and the class whose variance it favours (first half T1)."""
    return [f"filter {index + 1} ({'T1' if index < n_filters // 2 else 'T2'}>)" for index in range(n_filters)]


def relative_weights(filters: np.ndarray) -> np.ndarray:
    """Filters (..., n_channels) as rows scaled to a largest absolute weight of 1 (all-zero rows stay 0)."""
    largest = np.abs(filters).max(axis=-1, keepdims=True)
    return filters / np.where(largest > 0, largest, 1.0)


def patterns_figure(result: TrainingResult) -> Figure:
    """Scalp maps of the online model's CSP patterns, or a heat map of its filter weights."""
    info = montage_info(result.ch_names, result.sfreq, result.ch_names_known)
    if info is not None:
        return _scalp_maps_figure(result, info)
    return weights_figure(
        result.online_model.model.filters, result.ch_names, band_labels(result), patterns_reason(result)
    )


def weights_figure(filters: np.ndarray, ch_names: tuple[str, ...], bands: list[str], reason: str) -> Figure:
    """Heat map of `filters` (n_bands, n_filters, n_channels): a row per filter, grouped by band.

    Each row is named by `filter_labels` only and each band once, beside its group of rows: the
    figure's cost is mostly its text, and the band repeated on every row tripled it.
    """
    n_bands, n_filters, n_channels = filters.shape
    gap, bar, bar_labels = _COLOUR_BAR_IN
    image_width = _COLUMN_IN * n_channels
    content_width = _ROW_LABELS_IN + image_width + gap + bar + bar_labels
    width = max(_MIN_WIDTH_IN, content_width)
    height = _SUPTITLE_IN + _ROW_IN * n_bands * n_filters + _CHANNEL_NAMES_IN
    figure = Figure(figsize=(width, height))
    image_left = (width - content_width) / 2 + _ROW_LABELS_IN  # centred under the title

    def box(left_in: float, box_width_in: float) -> list[float]:
        bottom, box_height = _CHANNEL_NAMES_IN / height, 1 - (_SUPTITLE_IN + _CHANNEL_NAMES_IN) / height
        return [left_in / width, bottom, box_width_in / width, box_height]

    axes = figure.add_axes(box(image_left, image_width))
    image = axes.imshow(
        relative_weights(filters.reshape(-1, n_channels)),
        cmap=WEIGHTS_COLOUR_MAP,
        vmin=-1.0,
        vmax=1.0,
        aspect="auto",
        interpolation="nearest",
    )
    # The names are the uploader's text: "$...$" in one must not be parsed (and fail) as TeX math.
    axes.set_xticks(range(n_channels), ch_names, rotation=90, fontsize="x-small", parse_math=False)
    axes.set_yticks(range(n_bands * n_filters), filter_labels(n_filters) * n_bands, fontsize="x-small")
    for index, band in enumerate(bands):
        if index:
            axes.axhline(index * n_filters - 0.5, color="black", linewidth=1.0)
        axes.annotate(
            band.replace(" (", "\n("),
            xy=(0.0, (index + 0.5) * n_filters - 0.5),
            xycoords=("axes fraction", "data"),
            xytext=(-_BAND_LABEL_OFFSET_PT, 0.0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize="x-small",
        )
    colour_bar = figure.colorbar(image, cax=figure.add_axes(box(image_left + image_width + gap, bar)))
    colour_bar.set_label("weight / largest |weight| of its filter", fontsize="x-small")
    colour_bar.ax.tick_params(labelsize="x-small")
    figure.suptitle(
        "CSP filter weights per channel of the online model, a row per filter "
        "(first m: high T1 variance, last m: high T2 variance)\n" + reason,
        fontsize="small",
    )
    return figure


def _scalp_maps_figure(result: TrainingResult, info) -> Figure:
    """Scalp maps over the channels the model uses (a reduction may leave some out)."""
    import mne  # noqa: PLC0415 - see montage_info

    used = used_channels(result)
    values = csp_patterns(result)[..., used]
    info = mne.pick_info(info, used)
    subset = used.size < len(result.ch_names)
    # a subset's values are not spread over the whole head, only around its own electrodes
    extrapolate = "local" if subset else "auto"
    n_bands, n_filters, _ = values.shape
    figure = Figure(figsize=(_CELL_IN * n_filters, _CELL_IN * n_bands + _SUPTITLE_IN))
    grid = figure.subplots(n_bands, n_filters, squeeze=False, gridspec_kw=_grid_margins(n_bands, n_filters))
    titles = [f"{band}\n{label}" for band in band_labels(result) for label in filter_labels(n_filters)]
    for axes, title, pattern in zip(grid.flat, titles, values.reshape(-1, values.shape[-1]), strict=True):
        mne.viz.plot_topomap(
            pattern, info, axes=axes, show=False, contours=0, sensors=True, extrapolate=extrapolate
        )
        # y=1: the title's place is fixed, so matplotlib does not measure the axes to find it
        axes.set_title(title, fontsize="x-small", y=1.0)
    used_note = f", on the {used.size} channels CSP used" if subset else ""
    figure.suptitle(
        f"CSP patterns of the online model (first m: high T1 variance, last m: high T2 variance){used_note}",
        fontsize="small",
    )
    return figure


def _grid_margins(n_rows: int, n_columns: int) -> dict[str, float]:
    """Gridspec parameters of the scalp-map grid from its gaps in inches."""
    row_gap, column_gap, left, bottom = _MAP_GAPS_IN
    size_in = (_CELL_IN * n_columns, _CELL_IN * n_rows + _SUPTITLE_IN)
    return {
        **margins(size_in, left, column_gap - left, bottom, _SUPTITLE_IN + row_gap - bottom),
        "wspace": column_gap / (_CELL_IN - column_gap),
        "hspace": row_gap / (_CELL_IN - row_gap),
    }
