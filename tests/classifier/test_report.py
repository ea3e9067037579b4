"""report.html and figures: self-contained, escaped, with the figures the brief lists."""

import dataclasses
import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from fbcsp import report
from fbcsp.channel_quality import ChannelQuality
from fbcsp.channel_reduction import MAX_CSP_DIMENSIONS, MOTOR_AREA_CHANNELS
from fbcsp.csp_channels import csp_channels
from fbcsp.figure_layout import png_bytes
from fbcsp.metrics import trial_table
from fbcsp.report import confusion_counts, render_html
from fbcsp.report_page import headline_text, montage_notes
from fbcsp.report_patterns import (
    band_labels,
    csp_patterns,
    filter_labels,
    montage_info,
    patterns_figure,
    relative_weights,
    weights_figure,
)
from fbcsp.report_warnings import (
    TASK_DURATION_MS,
    balance_warnings,
    chance_warnings,
    order_warnings,
    overlap_warnings,
    report_warning_texts,
    timing_notes,
    timing_warnings,
)

pytestmark = pytest.mark.classifier

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = ("accuracy.png", "confusion.png", "csp_patterns.png")


def test_report_and_figures_are_written(sample_outputs):
    for name in FIGURES:
        assert (sample_outputs / "figures" / name).read_bytes().startswith(PNG_SIGNATURE)
    page = (sample_outputs / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("data:image/png;base64,") == len(FIGURES)
    assert 'href="figures/accuracy.png"' in page


def test_report_states_the_session_and_the_figures_meaning(sample_outputs, trained_sample):
    page = (sample_outputs / "report.html").read_text(encoding="utf-8")
    option = f"A{trained_sample.selection.option_id:02d}"
    assert "S001_imagery.zip" in page
    assert "160 Hz" in page
    assert f"{trained_sample.trial_labels.size} (T1: 23, T2: 21)" in page
    assert f"{trained_sample.n_dropped_trials} (their -3..+7 s epoch" in page
    assert option in page
    assert f"{100 * trained_sample.nested_accuracy:.1f} %" in page
    assert f"{100 * trained_sample.online_nested_accuracy:.1f} %" in page
    assert f"{100 * trained_sample.selection_accuracy:.1f} %" in page
    headline = headline_text(trained_sample)
    assert "`fbcsp predict`" in headline
    # the names the plain texts backquote are set as code on the page, without the backquotes
    assert html.escape(headline).replace("`fbcsp predict`", "<code>fbcsp predict</code>") in page
    assert "`" not in page
    assert "95 % chance threshold 63.6 % for 44 trials" in page
    assert "optimistic" in page and "not an estimate" in page
    assert "(5 permutations)" in page


def test_user_text_is_escaped(trained_sample):
    hostile = "<script>alert(1)</script>"
    renamed = dataclasses.replace(trained_sample, ch_names=tuple(f"{hostile}{i}" for i in range(8)))

    page = render_html(renamed, {"Input": f"{hostile}.zip"}, {}, report.FIGURES, report.FIGURES_DIR)

    assert hostile not in page
    assert html.escape(hostile) in page


class _PageResources(HTMLParser):
    """The page's content security policy and every tag that loads or runs something."""

    def __init__(self) -> None:
        super().__init__()
        self.policies: list[str] = []
        self.image_sources: list[str] = []
        self.loading_tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == "content-security-policy":
            self.policies.append(attributes["content"])
        elif tag == "img":
            self.image_sources.append(attributes.get("src") or "")
        elif tag in {"script", "link", "iframe", "object", "embed", "base", "form"}:
            self.loading_tags.append(tag)


def test_the_page_forbids_scripts_and_needs_nothing_its_policy_forbids(sample_outputs):
    # GIVEN the report the container writes for the sample
    resources = _PageResources()
    resources.feed((sample_outputs / "report.html").read_text(encoding="utf-8"))

    # THEN one policy lets nothing load or run by default: no script, however text got into the page
    assert len(resources.policies) == 1
    directives = dict(directive.strip().split(" ", 1) for directive in resources.policies[0].split(";"))
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives
    assert directives["img-src"] == "data:"
    # AND the page needs nothing more: its figures are data: URIs, and it has no tag that loads anything
    assert len(resources.image_sources) == len(FIGURES)
    assert all(source.startswith("data:image/png;base64,") for source in resources.image_sources)
    assert resources.loading_tags == []


def test_what_the_reader_noticed_about_the_cues_is_on_the_page_and_in_the_metrics(trained_sample):
    note = "merged 2 cue(s) that came less than 1 s after a cue of the same class into it"
    noted = dataclasses.replace(trained_sample, cue_note=note)

    page = render_html(noted, {}, {}, report.FIGURES, report.FIGURES_DIR)

    assert f"<th>Other cues</th><td>{html.escape(note)}</td>" in page
    assert trial_table(noted)["cueNote"] == note
    assert "Other cues" not in render_html(trained_sample, {}, {}, report.FIGURES, report.FIGURES_DIR)


def _weights_image(figure):
    images = [image for axes in figure.axes for image in axes.images]
    assert len(images) == 1
    return images[0]


def test_non_standard_channel_names_get_a_heat_map_of_the_weights(trained_sample):
    renamed = dataclasses.replace(trained_sample, ch_names=tuple(f"EEG{i}" for i in range(1, 9)), ch_names_known=True)

    figure = patterns_figure(renamed)

    image_axes = _weights_image(figure).axes
    assert [label.get_text() for label in image_axes.get_xticklabels()] == list(renamed.ch_names)
    n_filters = 2 * trained_sample.csp_pairs
    assert [label.get_text() for label in image_axes.get_yticklabels()] == filter_labels(n_filters) * 4
    assert [text.get_text() for text in image_axes.texts] == [
        label.replace(" (", "\n(") for label in band_labels(renamed)
    ]
    assert len(figure.axes) == 2  # the heat map and its colour bar
    assert "not every channel name is a standard 10-05 position" in figure.get_suptitle()


def test_labels_name_each_band_and_the_class_each_filter_favours(trained_sample):
    assert band_labels(trained_sample) == [
        "band 3 (8-12 Hz)",
        "band 4 (12-18 Hz)",
        "band 5 (18-28 Hz)",
        "band 6 (28-40 Hz)",
    ]
    assert filter_labels(4) == ["filter 1 (T1>)", "filter 2 (T1>)", "filter 3 (T2>)", "filter 4 (T2>)"]


def test_known_standard_channel_names_get_topographic_maps(trained_sample):
    known = dataclasses.replace(trained_sample, ch_names_known=True)

    figure = patterns_figure(known)

    assert len(figure.axes) == len(trained_sample.bands) * 2 * trained_sample.csp_pairs
    assert all(axes.images or axes.collections for axes in figure.axes)
    assert figure.get_suptitle().startswith("CSP patterns of the online model")
    assert figure.axes[0].get_title() == "band 3 (8-12 Hz)\nfilter 1 (T1>)"


def test_assumed_channel_names_get_the_weights_and_the_reason(trained_sample):
    # the sample's metadata.json names no channels: its default names are standard positions, but assumed
    assert not trained_sample.ch_names_known

    figure = patterns_figure(trained_sample)

    weights = trained_sample.online_model.model.filters.reshape(-1, 8)
    np.testing.assert_array_equal(_weights_image(figure).get_array(), relative_weights(weights))
    assert figure.get_suptitle().startswith("CSP filter weights per channel of the online model")
    assert "the channel names are assumed (metadata.json has no ChannelNames)" in figure.get_suptitle()


def test_relative_weights_scale_each_filter_by_its_largest_absolute_weight():
    filters = np.array([[2.0, -4.0, 1.0], [0.0, 0.0, 0.0], [0.5, 0.25, -0.125]])

    np.testing.assert_array_equal(relative_weights(filters), [[0.5, -1.0, 0.25], [0.0, 0.0, 0.0], [1.0, 0.5, -0.25]])


def test_the_heat_map_grows_with_the_montage():
    filters = np.random.default_rng(0).normal(size=(4, 6, 64))
    bands = [f"band {index}" for index in range(4)]
    names = tuple(f"EEG{index}" for index in range(64))

    narrow = weights_figure(filters[..., :8], names[:8], bands, "no positions")
    wide = weights_figure(filters, names, bands, "no positions")

    assert wide.get_figwidth() > narrow.get_figwidth()
    assert _weights_image(wide).get_array().shape == (24, 64)
    assert [label.get_text() for label in _weights_image(wide).axes.get_xticklabels()] == list(names)


def test_channel_names_are_drawn_as_written_not_read_as_mathtext():
    """matplotlib reads text between two '$' as TeX math and fails the whole drawing on a command it
    does not know: a name from metadata.json such as '$\\foo$' must not fail the run."""
    names = ("C3", r"$\undefined$", "$x^$")

    figure = weights_figure(np.ones((1, 2, 3)), names, ["band 1"], "no positions")

    assert png_bytes(figure).startswith(PNG_SIGNATURE)
    assert [label.get_text() for label in _weights_image(figure).axes.get_xticklabels()] == list(names)


def test_montage_is_used_only_for_known_standard_positions():
    assert montage_info(("FC3", "Cz", "cpz"), 160.0) is not None
    assert montage_info(("FC3", "Cz", "cpz"), 160.0, names_known=False) is None
    assert montage_info(("EEG1", "EEG2"), 160.0) is None
    assert montage_info(("C3", "c3"), 160.0) is None
    assert montage_info(("C3", "EEG C3-REF"), 160.0) is None  # one electrode twice
    assert montage_info(("EEG FC3-REF", "Cz..", "cpz"), 160.0).ch_names == ["FC3", "Cz", "CPz"]


def test_patterns_are_the_inverse_of_the_selected_filters(trained_sample):
    patterns = csp_patterns(trained_sample)
    n_filters = 2 * trained_sample.csp_pairs

    assert patterns.shape == (4, n_filters, 8)
    for filters, band_patterns in zip(trained_sample.online_model.model.filters, patterns, strict=True):
        np.testing.assert_allclose(filters @ band_patterns.T, np.eye(n_filters), atol=1e-8)


def test_confusion_counts_rows_are_true_classes():
    counts = confusion_counts(np.array([1, 1, 2, 2, 2]), np.array([1, 2, 2, 2, 1]))

    assert counts.tolist() == [[1, 1], [1, 2]]


def test_a_chosen_late_window_is_warned_about_and_the_ensembles_fixed_reach_is_a_note(
    trained_sample, trained_sample_original
):
    (note,) = timing_notes(trained_sample)
    late_online = dataclasses.replace(
        trained_sample, ensemble=dataclasses.replace(trained_sample.ensemble, online_window=5)
    )

    assert trained_sample.ensemble.windows.end_ms[-1] > TASK_DURATION_MS
    assert note.startswith("The ensemble (headline model) decides 7 s after the cue, 3 s after the task ends")
    assert "the newest EEG it uses is from about 6.57 s after the cue" in note
    assert trained_sample.online_model.end_ms <= TASK_DURATION_MS and timing_warnings(trained_sample) == []
    (warning,) = timing_warnings(late_online)
    assert warning.startswith("The online tree's single-window model decides 7 s after the cue")
    original_late = trained_sample_original.online_model.end_ms > TASK_DURATION_MS
    assert (
        len(timing_warnings(trained_sample_original)) == original_late and timing_notes(trained_sample_original) == []
    )
    page = render_html(trained_sample, {}, {}, report.FIGURES, report.FIGURES_DIR)
    assert f'<p class="note">{html.escape(note)}</p>' in page


def test_models_that_beat_guessing_get_no_chance_warning(trained_sample):
    assert trained_sample.online_nested_accuracy > 0.7
    assert chance_warnings(trained_sample) == []


def test_an_online_model_that_cannot_be_told_from_guessing_is_warned_about(trained_sample):
    weak_online = dataclasses.replace(trained_sample.ensemble, online_fold_accuracies=np.full(6, 0.5))
    result = dataclasses.replace(trained_sample, ensemble=weak_online)

    (warning,) = chance_warnings(result)

    assert warning.startswith(
        "The online tree's single-window model (what the original app runs) reaches a nested accuracy of "
        "50.0 %, under 63.6 % (the higher of the 95 % chance threshold and the majority rate)"
    )
    assert warning.endswith("The headline model reaches 92.4 % on the same trials.")
    page = render_html(result, {}, {}, report.FIGURES, report.FIGURES_DIR)
    assert f'<p class="warning">{html.escape(warning)}</p>' in page


def test_a_headline_under_the_majority_rate_is_warned_about_once_per_model(trained_sample_original):
    weak = dataclasses.replace(trained_sample_original, original_nested_fold_accuracies=np.full(6, 0.6))

    (warning,) = chance_warnings(weak)

    assert warning.startswith("The headline model (what `fbcsp predict` applies) reaches a nested accuracy of 60.0 %")
    assert warning.endswith("More trials, or a check of the channel names and the cue codes, may help.")


def test_cues_further_apart_than_the_latest_window_get_no_overlap_warning(trained_sample):
    assert overlap_warnings(trained_sample) == []


def test_a_window_that_reaches_into_the_next_trial_is_warned_about(trained_sample):
    every_5_s = trained_sample.trial_samples[0] + np.arange(trained_sample.trial_labels.size) * 5 * 160
    fast = dataclasses.replace(trained_sample, trial_samples=every_5_s)

    [warning] = overlap_warnings(fast)

    assert warning.startswith(
        f"{every_5_s.size - 1} of the {every_5_s.size} trials are followed by the next cue less than 7 s later "
        "(shortest gap 5.0 s), but the exported models use EEG up to 7 s after the cue"
    )


def test_interleaved_classes_get_no_order_warning(trained_sample):
    assert order_warnings(trained_sample) == []


def test_classes_recorded_in_blocks_are_warned_about(trained_sample):
    # on the uploads, labels that only say "first or second half" reached 58-75 % nested
    n = trained_sample.trial_labels.size
    blocked = dataclasses.replace(trained_sample, trial_labels=np.repeat([1, 2], [n // 2, n - n // 2]))

    [warning] = order_warnings(blocked)

    assert warning.startswith(f"The classes come in blocks: the {n} trials form 2 runs of one class, where a ")


def test_balanced_classes_get_no_balance_warning(trained_sample):
    assert trained_sample.chance_level < 0.6
    assert balance_warnings(trained_sample) == []


def test_unbalanced_classes_are_warned_that_the_majority_beats_the_chance_threshold(trained_sample):
    labels = np.where(np.arange(trained_sample.trial_labels.size) < 30, 1, 2)
    unbalanced = dataclasses.replace(trained_sample, trial_labels=labels, chance_level=30 / labels.size)

    (warning,) = balance_warnings(unbalanced)

    assert warning.startswith(
        "The classes are unbalanced (30 T1, 14 T2 trials): always answering T1 scores 68.2 %, "
        "not below the 95 % chance threshold of 63.6 %"
    )
    page = render_html(unbalanced, {}, {}, report.FIGURES, report.FIGURES_DIR)
    assert f'<p class="warning">{html.escape(warning)}</p>' in page


def test_the_sample_has_no_warning(trained_sample):
    assert report_warning_texts(trained_sample) == []


def test_the_report_shows_exactly_the_warning_texts_in_their_order(trained_sample):
    n = trained_sample.trial_labels.size
    names = ("<C3>", *trained_sample.ch_names[1:])
    ratio = np.ones(len(names))
    ratio[0] = 9.0
    warned = dataclasses.replace(
        trained_sample,
        trial_labels=np.repeat([1, 2], [n // 2, n - n // 2]),
        ch_names=names,
        channel_quality=ChannelQuality(
            noise_ratio=ratio, clipped_fraction=np.zeros_like(ratio), constant=ratio == 0, median_step=2e-5
        ),
    )

    texts = report_warning_texts(warned)
    page = render_html(warned, {}, {}, report.FIGURES, report.FIGURES_DIR)

    assert texts[0].startswith("The classes come in blocks")
    assert texts[-1].startswith("Noisy channel(s): <C3> (9x) the median channel's")
    assert re.findall(r'<p class="warning">(.*?)</p>', page) == [html.escape(text) for text in texts]


def _montage(trained_sample, names, known=True, max_dimensions=MAX_CSP_DIMENSIONS, data=None):
    """The sample's result as if trained on a montage of `names` (random signals unless `data` is given)."""
    names = tuple(names)
    data = np.random.default_rng(0).normal(size=(len(names), 2000)) if data is None else data
    quality = ChannelQuality.of(data)
    channels = csp_channels(data, names, known, quality.constant, max_dimensions)
    return dataclasses.replace(
        trained_sample, ch_names=names, ch_names_known=known, channel_quality=quality, csp_channels=channels
    )


def test_a_small_montage_gets_no_montage_note(trained_sample):
    assert montage_notes(trained_sample) == []


def test_the_note_follows_the_dimensions_the_training_reduced_to(trained_sample):
    names = [f"Ch{index}" for index in range(24)]

    (unreduced,) = montage_notes(_montage(trained_sample, names, known=False, max_dimensions=32))
    assert unreduced.startswith("CSP ran on all 24 channels, because the channel names are unknown")
    assert unreduced.endswith('more accurate than all channels (the package README, "Research montages").')
    (note,) = montage_notes(_montage(trained_sample, names, known=False, max_dimensions=12))
    assert note.startswith("CSP ran on the 12 leading principal components of each band's 24 channels")


def test_a_named_montage_within_the_limit_without_the_motor_area_gets_no_note(trained_sample):
    names = [f"X{index}" for index in range(12)]

    assert montage_notes(_montage(trained_sample, names)) == []


@pytest.mark.parametrize("n_channels", [10, 64])
def test_a_named_montage_is_told_csp_ran_on_its_motor_area_channels(trained_sample, n_channels):
    names = [*MOTOR_AREA_CHANNELS, *(f"X{index}" for index in range(n_channels - 8))]

    (note,) = montage_notes(_montage(trained_sample, names))

    assert note.startswith(
        f"CSP ran on the motor-area channels {', '.join(MOTOR_AREA_CHANNELS)} of the {n_channels} recorded"
    )


def test_an_unnamed_research_montage_is_told_why_and_how_to_name_it(trained_sample):
    (note,) = montage_notes(_montage(trained_sample, (f"Ch{index}" for index in range(64)), known=False))

    assert note.startswith("CSP ran on the 16 leading principal components of each band's 64 channels")
    assert "the channel names are unknown (metadata.json has no ChannelNames)" in note
    assert ", ".join(MOTOR_AREA_CHANNELS) in note


def test_a_named_montage_without_every_motor_area_channel_is_told_which_are_missing(trained_sample):
    names = [name for name in MOTOR_AREA_CHANNELS if name not in ("C3", "CPZ")] + [f"X{i}" for i in range(30)]

    (note,) = montage_notes(_montage(trained_sample, names))

    assert "because the montage has no C3, CPZ." in note


def test_the_montage_note_is_on_the_page(trained_sample):
    unnamed = _montage(trained_sample, (f"Ch{index}" for index in range(64)), known=False)

    page = render_html(unnamed, {}, {}, report.FIGURES, report.FIGURES_DIR)

    assert f'<p class="note">{html.escape(montage_notes(unnamed)[0])}</p>' in page


def test_a_dead_motor_area_electrode_is_named_as_the_reason_the_prior_did_not_apply(trained_sample):
    names = [*MOTOR_AREA_CHANNELS, *(f"X{index}" for index in range(24))]
    data = np.random.default_rng(0).normal(size=(len(names), 2000))
    data[2] = 0.0  # C3

    (note,) = montage_notes(_montage(trained_sample, names, data=data))

    assert note.startswith("CSP ran on the 16 leading principal components of each band's 31 channels")
    assert "because the montage has no C3 with signal." in note


def test_linearly_dependent_channels_are_told_what_csp_ran_on(trained_sample):
    data = np.random.default_rng(0).normal(size=(8, 2000))
    average_referenced = _montage(trained_sample, MOTOR_AREA_CHANNELS, data=data - data.mean(axis=0))

    (note,) = montage_notes(average_referenced)

    assert note == (
        "The 8 channels with signal are linearly dependent: together they carry 7 independent signals "
        "(re-referenced to their common average in software, or a channel recorded twice?). CSP ran on the 7 "
        "leading principal components of each band, which leave the redundant directions out."
    )
    page = render_html(average_referenced, {}, {}, report.FIGURES, report.FIGURES_DIR)
    assert f'<p class="note">{html.escape(note)}</p>' in page
