"""report.html and figures: self-contained, escaped, with the figures the brief lists."""

import dataclasses
import html

import numpy as np
import pytest
from fbcsp.report import confusion_counts, csp_patterns, montage_info, patterns_figure, render_html

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
    assert f"{100 * trained_sample.selection_accuracy:.1f} %" in page
    assert "optimistic" in page and "not an estimate" in page
    assert "(5 permutations)" in page


def test_user_text_is_escaped(trained_sample):
    hostile = "<script>alert(1)</script>"
    renamed = dataclasses.replace(trained_sample, ch_names=tuple(f"{hostile}{i}" for i in range(8)))

    page = render_html(renamed, {"Input": f"{hostile}.zip"}, figures={})

    assert hostile not in page
    assert html.escape(hostile) in page


def test_non_standard_channel_names_get_bar_charts(trained_sample):
    renamed = dataclasses.replace(trained_sample, ch_names=tuple(f"EEG{i}" for i in range(1, 9)))

    figure = patterns_figure(renamed)

    assert len(figure.axes) == 4 * 2 * trained_sample.csp_pairs
    assert all(len(axes.patches) == 8 for axes in figure.axes)
    assert [label.get_text() for label in figure.axes[0].get_xticklabels()] == list(renamed.ch_names)


def test_standard_channel_names_get_topographic_maps(trained_sample):
    figure = patterns_figure(trained_sample)

    assert all(axes.images or axes.collections for axes in figure.axes)
    assert not any(axes.patches and len(axes.patches) == 8 for axes in figure.axes)


def test_montage_is_used_only_for_standard_positions():
    assert montage_info(("FC3", "Cz", "cpz"), 160.0) is not None
    assert montage_info(("EEG1", "EEG2"), 160.0) is None
    assert montage_info(("C3", "c3"), 160.0) is None


def test_patterns_are_the_inverse_of_the_selected_filters(trained_sample):
    patterns = csp_patterns(trained_sample)
    n_filters = 2 * trained_sample.csp_pairs

    assert patterns.shape == (4, n_filters, 8)
    for filters, band_patterns in zip(trained_sample.model.filters, patterns, strict=True):
        np.testing.assert_allclose(filters @ band_patterns.T, np.eye(n_filters), atol=1e-8)


def test_confusion_counts_rows_are_true_classes():
    counts = confusion_counts(np.array([1, 1, 2, 2, 2]), np.array([1, 2, 2, 2, 1]))

    assert counts.tolist() == [[1, 1], [1, 2]]
