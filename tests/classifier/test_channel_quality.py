"""Electrodes the report tells the researcher to check: noisy, almost silent or clipped channels."""

import dataclasses
import html

import numpy as np
import pytest

from fbcsp import report
from fbcsp.channel_quality import ChannelQuality, channel_warnings
from fbcsp.metrics import metrics_document
from fbcsp.report import render_html

pytestmark = pytest.mark.classifier

NAMES = ("C3", "Cz", "C4", "CP3")


def _eeg(seed: int = 0, n_samples: int = 5000) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=2e-5, size=(len(NAMES), n_samples))


def test_a_clean_recording_raises_no_warning(sample_recording):
    quality = ChannelQuality.of(sample_recording.data)

    assert channel_warnings(quality, sample_recording.ch_names) == []
    assert np.all((quality.noise_ratio > 0.5) & (quality.noise_ratio < 2))


def test_a_noisy_channel_is_named_with_its_ratio_whatever_its_offset():
    data = _eeg()
    data[1] += np.random.default_rng(1).normal(scale=3e-4, size=data.shape[1])
    data += np.array([[0.2], [-0.1], [0.05], [0.0]])  # electrode offsets change nothing

    assert channel_warnings(ChannelQuality.of(data), NAMES) == [
        "Noisy channel(s): Cz (15x) the median channel's sample-to-sample variation. Check these electrodes' "
        "contact; CSP trained on them as they are."
    ]


def test_an_almost_silent_channel_is_named():
    data = _eeg()
    data[3] *= 0.05

    [warning] = channel_warnings(ChannelQuality.of(data), NAMES)

    assert warning.startswith("Almost silent channel(s): CP3 (0.05x)")


def test_a_clipped_channel_is_named_with_the_share_of_its_samples_at_the_rails():
    data = _eeg()
    data[0] = np.clip(data[0], -1e-5, 1e-5)

    [warning] = channel_warnings(ChannelQuality.of(data), NAMES)

    share = 100 * np.mean(np.abs(data[0]) == 1e-5)
    assert warning.startswith(f"Clipped channel(s): C3 ({share:.1f} %) of the samples")


def test_eeg_in_millivolts_is_named_though_it_passes_the_volts_check():
    # Microvolts are refused (fbcsp.samples_csv.check_volts); millivolts, 1000 times volts, pass it.
    quality = ChannelQuality.of(_eeg() * 1000)

    assert channel_warnings(quality, NAMES) == [
        "The EEG looks like millivolts, not volts: the median channel varies by 0.028 from one sample to the "
        "next, where scalp EEG in volts varies by about 0.00001. A model trained on millivolts is wrong for "
        "the app, which streams volts: write the columns in volts (divide millivolts by 1,000) and train again."
    ]
    assert channel_warnings(ChannelQuality.of(_eeg()), NAMES) == []


def test_two_channels_have_no_median_to_compare_with():
    data = _eeg()[:2]
    data[1] *= 50

    assert channel_warnings(ChannelQuality.of(data), NAMES[:2]) == []


def test_the_figures_are_in_the_metrics_and_the_warning_on_the_page(trained_sample):
    ratio = np.ones(len(trained_sample.ch_names))
    ratio[2] = 9.0
    quality = ChannelQuality(
        noise_ratio=ratio, clipped_fraction=np.zeros_like(ratio), constant=ratio == 0, median_step=2e-5
    )
    noisy = dataclasses.replace(trained_sample, channel_quality=quality)

    recording = metrics_document(noisy)["recording"]
    page = render_html(noisy, {}, {}, report.FIGURES, report.FIGURES_DIR)

    assert recording["channelNoiseRatio"] == ratio.tolist()
    assert recording["channelClippedFraction"] == [0.0] * ratio.size
    assert html.escape(channel_warnings(quality, noisy.ch_names)[0]) in page


def test_a_constant_channel_is_named_once_as_left_out_and_does_not_move_the_median():
    data = _eeg()
    reference = ChannelQuality.of(np.delete(data, 3, axis=0))
    data[3] = 0.0

    quality = ChannelQuality.of(data)

    assert quality.constant.tolist() == [False, False, False, True]
    np.testing.assert_allclose(quality.noise_ratio[:3], reference.noise_ratio)
    assert channel_warnings(quality, NAMES) == [
        "Constant channel(s): CP3 kept one value throughout, so they carry no signal. The training left them out "
        "and the exported filters give them zero weight. Check that these electrodes are connected."
    ]
