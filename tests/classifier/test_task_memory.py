"""The memory model of contracts.task_memory against peaks measured with the classifier."""

import pytest
from synthetic import synthetic_recording

from benchmarks.process_memory import peak_rss_bytes, run_in_spawned_process
from contracts import task_memory
from fbcsp.channel_reduction import MAX_CSP_DIMENSIONS
from fbcsp.filterbank import USED_BAND_IDS
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions
from fbcsp.windows import EPOCH_END_S, EPOCH_START_S

pytestmark = pytest.mark.classifier

MIB = 1024**2

#: Peak RSS (MiB) of ``train`` in a fresh process, measured 2026-12-01 with
#: ``benchmarks/channel_axis.py`` on EEGMMIDB S001 (runs 4, 8, 12, or run 4 alone), 160 Hz:
#: (channels, samples, trials, permutations, measured peak MiB).
MEASURED_PEAKS = (
    (8, 60000, 44, 0, 641),
    (16, 60000, 44, 0, 634),
    (32, 60000, 44, 0, 551),
    (64, 60000, 44, 0, 592),
    (64, 20000, 14, 0, 530),
    (8, 20000, 14, 0, 366),
    (64, 60000, 44, 20, 662),
    (8, 60000, 44, 20, 605),
)


def test_the_model_restates_the_classifier_facts_it_depends_on():
    assert task_memory.EPOCH_SECONDS == EPOCH_END_S - EPOCH_START_S
    assert len(USED_BAND_IDS) == task_memory.BANDS
    assert task_memory.CSP_DIMENSIONS == MAX_CSP_DIMENSIONS


@pytest.mark.parametrize(("channels", "samples", "trials", "permutations", "measured"), MEASURED_PEAKS)
def test_prediction_covers_each_measured_peak_without_wasting_the_task(
    channels, samples, trials, permutations, measured
):
    predicted = task_memory.predict_peak_mib(channels, samples, trials, 160.0)
    assert measured <= predicted <= 2.0 * measured


def test_prediction_grows_with_every_header_fact():
    base = task_memory.predict_peak_mib(8, 60000, 44, 160.0)
    assert task_memory.predict_peak_mib(64, 60000, 44, 160.0) > base
    assert task_memory.predict_peak_mib(8, 600000, 44, 160.0) > base
    assert task_memory.predict_peak_mib(8, 60000, 88, 160.0) > base
    assert task_memory.predict_peak_mib(8, 60000, 44, 500.0) > base
    with pytest.raises(ValueError):
        task_memory.predict_peak_mib(8, 60000, 44, 0.0)


def _peak_of_a_small_run(results) -> None:
    recording = synthetic_recording(n_channels=8, sfreq=160.0, trials_per_class=(8, 8), seed=1)
    train(recording, TrainingOptions(n_permutations=0))
    results.put((recording.n_samples, peak_rss_bytes()))


# A fresh interpreter imports the classifier's stack again before it trains (about 5 s of CPU).
@pytest.mark.slow
def test_prediction_covers_a_small_run_measured_now():
    n_samples, peak = run_in_spawned_process(_peak_of_a_small_run)
    assert peak / MIB <= task_memory.predict_peak_mib(8, n_samples, 16, 160.0)
