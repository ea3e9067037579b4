"""Constant channels are left out and linearly dependent ones are trained in their rank, not refused."""

from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_recording
from test_training import assert_online_reproduction

from fbcsp.channel_reduction import MOTOR_AREA_CHANNELS
from fbcsp.csp_channels import csp_channels, linear_rank
from fbcsp.errors import InvalidUpload
from fbcsp.metrics import metrics_document
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions

pytestmark = pytest.mark.classifier

NO_PERMUTATIONS = TrainingOptions(n_permutations=0)


def _signals(n_channels, n_samples=4000, seed=0):
    return np.random.default_rng(seed).normal(scale=2e-5, size=(n_channels, n_samples))


def test_the_rank_ignores_offsets_and_drift_and_sees_dependence_through_float32_rounding():
    signals = _signals(6)
    drifting = signals + np.linspace(0, 1e-3, signals.shape[1]) + np.arange(6)[:, None] * 0.2
    average_referenced = signals - signals.mean(axis=0)
    rows = np.arange(6)

    assert linear_rank(drifting, rows) == 6
    assert linear_rank(average_referenced, rows) == 5
    assert linear_rank(average_referenced.astype(np.float32).astype(np.float64), rows) == 5
    assert linear_rank(np.vstack([signals[:3], signals[:1] * 2.0, signals[3:]]), np.arange(7)) == 6
    # rounded to the app's 1 µV steps, the reference leaves noise in every direction: full rank
    assert linear_rank(np.round(average_referenced / 1e-6) * 1e-6, rows) == 6


def test_a_long_recording_gives_the_rank_of_a_short_one():
    signals = _signals(5, n_samples=50_000)
    signals[4] = signals[0] - signals[1]

    assert linear_rank(signals, np.arange(5)) == linear_rank(signals[:, :5_000], np.arange(5)) == 4


@pytest.mark.slow
def test_a_constant_channel_is_left_out_and_the_others_train_exactly_as_without_it():
    recording = synthetic_recording(n_channels=5, effect=4.0, seed=3)
    with_dead = recording.data.copy()
    with_dead[2] = 7e-3  # an unconnected input's offset
    dead = replace(recording, data=with_dead)
    without = replace(
        recording, data=recording.data[[0, 1, 3, 4]], ch_names=recording.ch_names[:2] + recording.ch_names[3:]
    )

    result, reference = train(dead, NO_PERMUTATIONS), train(without, NO_PERMUTATIONS)

    assert np.flatnonzero(result.channel_quality.constant).tolist() == [2]
    assert result.nested_accuracy == reference.nested_accuracy > result.chance_level
    assert result.online_nested_accuracy == reference.online_nested_accuracy
    for model, reference_model in zip(result.exported_models, reference.exported_models, strict=True):
        filters = model.model.filters
        assert not filters[..., 2].any()
        np.testing.assert_allclose(np.delete(filters, 2, axis=-1), reference_model.model.filters, rtol=1e-10)
    assert_online_reproduction(dead, result)
    recorded = metrics_document(result)["recording"]
    assert recorded["constantChannels"] == ["EEG3"]
    assert recorded["cspChannels"] == ["EEG1", "EEG2", "EEG4", "EEG5"]
    assert recorded["cspDimensions"] == 4


@pytest.mark.slow
@pytest.mark.parametrize("dependence", ["average reference", "copied channel"])
def test_linearly_dependent_channels_train_in_the_dimensions_they_span(dependence):
    recording = synthetic_recording(n_channels=5, effect=4.0, seed=3)
    data = recording.data - recording.data.mean(axis=0) if dependence == "average reference" else recording.data.copy()
    if dependence == "copied channel":
        data[4] = data[0]

    result = train(replace(recording, data=data), NO_PERMUTATIONS)

    assert (result.csp_channels.rank, result.csp_channels.dimensions) == (4, 4)
    assert result.csp_channels.rank_deficient
    assert result.model.csp_matrices.shape == (4, 4, 5)
    assert np.isfinite(result.model.filters).all()
    assert result.nested_accuracy > result.chance_level
    assert_online_reproduction(replace(recording, data=data), result)


def test_fewer_than_two_channels_with_signal_are_refused():
    signals = _signals(4)
    names = ("C3", "CZ", "C4", "PZ")
    one_live = np.array([False, True, True, True])
    with pytest.raises(InvalidUpload, match=r"channel\(s\) CZ, C4, PZ are constant, which leaves 1 channel"):
        csp_channels(signals, names, True, one_live, 16)
    copies = np.vstack([signals[0], -2.0 * signals[0], signals[0], signals[0]])
    with pytest.raises(InvalidUpload, match="the 4 channels with signal are copies or multiples of one signal"):
        csp_channels(copies, names, True, np.zeros(4, dtype=bool), 16)


def test_a_dead_channel_outside_the_motor_area_keeps_the_prior_and_a_dead_motor_channel_drops_it():
    names = (*MOTOR_AREA_CHANNELS, *(f"X{index}" for index in range(10)))
    signals = _signals(len(names))
    dead_outside, dead_motor = np.zeros(len(names), dtype=bool), np.zeros(len(names), dtype=bool)
    dead_outside[12], dead_motor[2] = True, True

    kept = csp_channels(signals, names, True, dead_outside, 16)
    dropped = csp_channels(signals, names, True, dead_motor, 16)

    assert kept.motor_area and kept.rows.tolist() == list(range(8)) and kept.dimensions == 8
    assert not dropped.motor_area and 2 not in dropped.rows and dropped.rows.size == 17
    assert dropped.dimensions == 16 and dropped.reduced and not dropped.rank_deficient
