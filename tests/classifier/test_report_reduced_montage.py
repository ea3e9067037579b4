"""The report of a named montage larger than the motor area: CSP runs on the 8 motor-area channels,
its patterns map back to the recorded channels and the scalp maps cover the channels it used."""

import dataclasses

import numpy as np
import pytest
from synthetic import synthetic_recording

from fbcsp.channel_reduction import MOTOR_AREA_CHANNELS
from fbcsp.report import write_report
from fbcsp.report_patterns import csp_patterns, patterns_figure, used_channels
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions

# Each test renders the whole report of a trained montage: about 4 s of CPU for the module.
pytestmark = [pytest.mark.classifier, pytest.mark.slow]

#: Two standard positions beyond the motor area, first: CSP must leave them out.
EXTRA_CHANNELS = ("FC5", "FC6")


@pytest.fixture(scope="module")
def ten_channel_result():
    recording = synthetic_recording(n_channels=10, seed=4)
    named = dataclasses.replace(recording, ch_names=EXTRA_CHANNELS + MOTOR_AREA_CHANNELS, ch_names_known=True)
    return train(named, TrainingOptions(n_permutations=0))


def test_the_patterns_are_on_the_recorded_channels_and_zero_where_csp_did_not_look(ten_channel_result):
    patterns = csp_patterns(ten_channel_result)
    n_filters = 2 * ten_channel_result.csp_pairs

    assert patterns.shape == (4, n_filters, 10)
    np.testing.assert_allclose(patterns[..., :2], 0.0, atol=1e-12)
    np.testing.assert_array_equal(used_channels(ten_channel_result), np.arange(2, 10))
    for filters, band_patterns in zip(ten_channel_result.online_model.model.filters, patterns, strict=True):
        np.testing.assert_allclose(filters @ band_patterns.T, np.eye(n_filters), atol=1e-8)


def test_the_scalp_maps_cover_the_channels_csp_used(ten_channel_result):
    figure = patterns_figure(ten_channel_result)

    assert len(figure.axes) == 4 * 2 * ten_channel_result.csp_pairs
    assert figure.get_suptitle().endswith("on the 8 channels CSP used")


def test_the_whole_report_is_written(ten_channel_result, tmp_path):
    written = write_report(ten_channel_result, tmp_path, {})

    assert (tmp_path / "report.html").is_file()
    assert "figures/csp_patterns.png" in written
