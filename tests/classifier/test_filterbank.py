"""Filter bank: band table, the minimum-order rule, the spec's 91/66-tap regression and causal filtering."""

import numpy as np
import pytest
from scipy import signal

from contracts.upload_metadata import MAX_SAMPLE_RATE_HZ
from fbcsp.errors import InvalidUpload
from fbcsp.filterbank import (
    BAND_TABLE,
    HIGHEST_DESIGNED_SAMPLE_RATE_HZ,
    PASSBAND_DEVIATION,
    STOPBAND_DEVIATION,
    USED_BAND_IDS,
    _remez,
    causal_fir,
    design_band,
    filter_continuous,
    meets_specification,
    minimum_order_taps,
)

pytestmark = pytest.mark.classifier


def test_band_table_and_used_bands_follow_the_spec():
    assert USED_BAND_IDS == (3, 4, 5, 6)
    assert BAND_TABLE[3] == (4, 8, 12, 18)
    assert BAND_TABLE[6] == (22, 28, 40, 48)
    assert sorted(BAND_TABLE) == [1, 2, 3, 4, 5, 6, 11, 12]


def test_band_6_at_250_hz_meets_1db_60db_with_odd_highpass():
    design = design_band(6, 250.0)
    low1, low2, high1, high2 = design.edges_hz
    # The documented rule (Herrmann estimate, grow until the spec is met) yields 83 / 66 taps;
    # MATLAB's stored design used 91 / 66.
    assert (design.highpass.size, design.lowpass.size) == (83, 66)
    assert design.highpass.size % 2 == 1
    assert meets_specification(design.highpass, low1, low2, 250.0)
    assert meets_specification(design.lowpass, high2, high1, 250.0)


def test_shorter_designs_than_the_rule_returns_miss_the_spec():
    highpass_too_short = _remez(81, 22.0, 28.0, 250.0, highpass=True)
    lowpass_too_short = _remez(65, 48.0, 40.0, 250.0, highpass=False)
    assert not meets_specification(highpass_too_short, 22.0, 28.0, 250.0)
    assert not meets_specification(lowpass_too_short, 48.0, 40.0, 250.0)


def test_remez_call_of_the_spec_with_91_and_66_taps_meets_the_spec():
    weight = PASSBAND_DEVIATION / STOPBAND_DEVIATION
    highpass = signal.remez(91, [0, 22, 28, 125], [0, 1], weight=[weight, 1], fs=250)
    lowpass = signal.remez(66, [0, 40, 48, 125], [1, 0], weight=[1, weight], fs=250)
    assert meets_specification(highpass, 22, 28, 250)
    assert meets_specification(lowpass, 48, 40, 250)
    np.testing.assert_allclose(highpass, highpass[::-1], atol=1e-15)


@pytest.mark.parametrize("sfreq", [125.0, 160.0, 256.0])
def test_every_used_band_is_designed_within_spec(sfreq):
    for band_id in USED_BAND_IDS:
        design = design_band(band_id, sfreq)
        low1, low2, high1, high2 = design.edges_hz
        assert meets_specification(design.highpass, low1, low2, sfreq)
        assert meets_specification(design.lowpass, high2, high1, sfreq)


def test_a_band_above_nyquist_is_rejected():
    with pytest.raises(InvalidUpload, match="Nyquist"):
        design_band(6, 90.0)
    with pytest.raises(ValueError, match="unknown band"):
        design_band(7, 250.0)


def test_a_filter_remez_cannot_design_rejects_the_upload_with_the_rate(monkeypatch):
    # GIVEN remez failing as it does for band 3's highpass at 8,192 Hz (after two minutes of trying)
    def fail_to_converge(*args, **kwargs):
        raise ValueError("Failure to converge at iteration 3, try reducing transition band width.")

    monkeypatch.setattr(signal, "remez", fail_to_converge)
    # WHEN the filter is designed THEN the upload is invalid, naming the rate and the rates that design
    with pytest.raises(InvalidUpload, match="band edges 4 and 8 Hz can be designed at 8192 Hz") as rejected:
        minimum_order_taps(4.0, 8.0, 8192.0)
    assert f"resample the recording to {HIGHEST_DESIGNED_SAMPLE_RATE_HZ:g} Hz or less" in rejected.value.message


def test_uploads_are_accepted_only_at_rates_where_every_used_band_designs():
    # designing every used band at the bound itself costs about 100 s of CPU (measured at 6,000 Hz)
    assert MAX_SAMPLE_RATE_HZ <= HIGHEST_DESIGNED_SAMPLE_RATE_HZ


def test_filtering_is_causal_highpass_then_lowpass_with_zero_state():
    design = design_band(4, 160.0)
    impulse = np.zeros((2, 400))
    impulse[0, 10] = 1.0
    response = filter_continuous(impulse, design)
    expected = np.convolve(design.highpass, design.lowpass)
    np.testing.assert_allclose(response[0, :10], 0.0)
    np.testing.assert_allclose(response[0, 10 : 10 + expected.size], expected, atol=1e-15)
    np.testing.assert_allclose(response[1], 0.0)


@pytest.mark.parametrize("n_taps", [3, 42, 81, 1001])
def test_causal_fir_gives_lfilters_result_exactly(n_taps):
    rng = np.random.default_rng(n_taps)
    taps, data = rng.normal(size=n_taps), 30 * rng.normal(size=(3, 5000))

    np.testing.assert_array_equal(causal_fir(data, taps), signal.lfilter(taps, 1.0, data, axis=-1))
