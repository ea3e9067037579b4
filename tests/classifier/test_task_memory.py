"""The memory model of contracts.task_memory against peaks measured with the classifier."""

import pytest
from synthetic import synthetic_recording

from benchmarks.process_memory import peak_rss_bytes, run_in_spawned_process
from contracts import task_memory
from fbcsp.budget import WORKING_BYTES
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


#: Peak RSS (MiB) of ``python -m fbcsp train UPLOAD.zip`` (20 permutations, report included) in a fresh
#: process, measured 2026-12-03 with ``/usr/bin/time -v`` on the shared 2-core machine (2 worker
#: threads, the most a task uses) on synthetic uploads: noise mixed across channels, an 11 Hz rhythm
#: 0.5-4 s after each cue, T1/T2 cues every 8.2 s (the trial bound's assumption) or 44 cues:
#: (channels, rate Hz, samples, trials, measured peak MiB).
UPLOAD_PEAKS = (
    (8, 160, 58180, 44, 515),
    (16, 160, 58179, 44, 541),
    (64, 160, 58177, 44, 555),
    (256, 160, 58187, 44, 686),
    (8, 2048, 744901, 44, 771),
    (64, 1024, 372373, 44, 1195),
    (128, 1024, 372365, 44, 2059),
    (64, 2048, 744769, 44, 2211),
    (8, 160, 131673, 100, 645),
    (8, 160, 287986, 224, 756),
    (64, 160, 287948, 224, 1043),
    (8, 512, 921607, 225, 1022),
    (16, 512, 921292, 224, 1230),
    (8, 160, 575908, 449, 891),
    (2, 100, 540000, 658, 678),
    (4, 250, 1350000, 658, 917),
    (6, 160, 864000, 658, 1086),
    (8, 160, 864000, 658, 1266),
    (16, 160, 864000, 658, 1307),
    (3, 1000, 5400000, 658, 1336),
)
#: The default task's memory (``taskMemory``): a prediction under it costs nothing.
DEFAULT_TASK_MIB = 2048


def test_the_model_restates_the_classifier_facts_it_depends_on():
    assert task_memory.EPOCH_SECONDS == EPOCH_END_S - EPOCH_START_S
    assert len(USED_BAND_IDS) == task_memory.BANDS
    assert task_memory.CSP_DIMENSIONS == MAX_CSP_DIMENSIONS
    assert task_memory.ANALYSIS_CAP_MIB * MIB > WORKING_BYTES


@pytest.mark.parametrize(("channels", "samples", "trials", "permutations", "measured"), MEASURED_PEAKS)
def test_prediction_covers_each_measured_peak_without_wasting_the_task(
    channels, samples, trials, permutations, measured
):
    predicted = task_memory.predict_peak_mib(channels, samples, trials, 160.0)
    assert measured <= predicted <= 2.0 * measured


@pytest.mark.parametrize(("channels", "sfreq", "samples", "trials", "measured"), UPLOAD_PEAKS)
def test_prediction_covers_each_measured_upload_without_refusing_a_long_recording(
    channels, sfreq, samples, trials, measured
):
    # A 90-minute recording with a cue every 8.2 s needs about 1.3 GB; it was predicted 8.5 GB and refused.
    predicted = task_memory.predict_peak_mib(channels, samples, trials, sfreq)
    assert measured <= predicted <= max(2.0 * measured, DEFAULT_TASK_MIB)


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
