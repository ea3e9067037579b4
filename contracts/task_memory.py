"""Peak memory of one classifier run, predicted from an upload's header facts.

Validate uses `predict_peak_mib` to refuse an upload whose run cannot fit the task's memory, or
to size the task, before any container starts. The model follows what the classifier holds at
its peak (``fbcsp.training.train``; ``benchmarks/channel_axis.py`` measures it):

* the interpreter with its libraries (`BASELINE_MIB`);
* the recording as float64, `RECORDING_COPIES` times (the CSV is converted in blocks, the blocks
  are concatenated and then copied channel-major);
* one band of the recording filtered (`FILTER_COPIES` arrays: highpass and lowpass output);
* every trial's epoch (``EPOCH_SECONDS`` around its cue) in each of `BANDS` bands on at most
  `CSP_DIMENSIONS` principal components, and while the bands are filtered one band's epochs on
  every recorded channel (a montage reduced to its named motor-area channels filters and cuts
  only those, so it needs less than predicted);
* the time-resolved analysis. Its window moments, fold models and their features of every
  trial are processed in window chunks sized from a fixed budget (``fbcsp.budget``). With few
  trials on few channels every window fits one chunk and the working set grows with the trials,
  `ANALYSIS_BASE_MIB` plus `ANALYSIS_MIB_PER_TRIAL` per trial, until the budget bounds it
  (`ANALYSIS_CAP_MIB`); with many channels the budget bounds it from the first trial on
  (`ANALYSIS_CHUNK_MIB`). Besides, every trial's decision values at every window and fold are
  kept (`KEPT_MIB_PER_TRIAL`).

Before the analysis the recording's copies, one filtered band and one band's epochs on every
channel are alive at once; that phase is counted as well and the larger phase is the peak.

The constants were fitted to peaks measured on EEGMMIDB S001 (8-64 channels, 160 Hz, 15 and 44
trials) and on synthetic uploads of 2-256 channels, 100-2048 Hz and up to 90 minutes (658 cues);
the measured figures are in ``tests/classifier/test_task_memory.py``. The sum is raised by
`SAFETY_MARGIN`. Windows need no term of their own: the window grid is fixed in
seconds (1 s windows every ~40 ms over a 10 s epoch), so every sampling rate gives 226-241.
"""

from __future__ import annotations

MIB = 1024**2
_FLOAT_BYTES = 8

#: Resident memory of the interpreter with numpy, scipy, scikit-learn, mne and matplotlib loaded.
BASELINE_MIB = 160.0
#: The analysis' working set when the budget limits window chunks from the first trial on (many channels).
ANALYSIS_CHUNK_MIB = 340.0
#: The analysis' working set while every window fits one chunk (few channels and trials): base and per trial,
ANALYSIS_BASE_MIB = 80.0
ANALYSIS_MIB_PER_TRIAL = 9.5
#: The analysis' working set once the budget limits its window chunks (``fbcsp.budget.WORKING_BYTES``
#: and what a chunk holds besides), whatever the channels and trials.
ANALYSIS_CAP_MIB = 450.0
#: Decision values kept per trial: 42 fold models x 4 options x ~241 windows in float64, held twice
#: while the window chunks' decisions are joined, and the trial's share of the smaller outputs.
KEPT_MIB_PER_TRIAL = 0.7
RECORDING_COPIES = 3
FILTER_COPIES = 2
#: Epoch span around each cue, -3 s to +7 s (``fbcsp.windows``).
EPOCH_SECONDS = 10.0
#: Filter-bank bands (``fbcsp.filterbank.USED_BAND_IDS``).
BANDS = 4
#: Dimensions CSP works in (``fbcsp.channel_reduction.MAX_CSP_DIMENSIONS``).
CSP_DIMENSIONS = 16
#: Fraction added to the modelled peak; covers run-to-run variation of the allocator and libraries.
SAFETY_MARGIN = 0.25


def predict_peak_mib(n_channels: int, n_samples: int, n_trials: int, sfreq: float) -> float:
    """Predicted peak resident memory of the classifier run, in MiB, margin included.

    Parameters
    ----------
    n_channels : int
        EEG channels (``EEGChannels``).
    n_samples : int
        Samples per channel (CSV rows).
    n_trials : int
        Cues (T1 and T2 trigger marks); an upper bound gives an upper bound.
    sfreq : float
        Sampling rate in Hz (``Frequency``).
    """
    if min(n_channels, n_samples, n_trials) < 0 or sfreq <= 0:
        raise ValueError("channels, samples and trials must be >= 0 and the sampling rate > 0")
    recording = n_channels * n_samples * _FLOAT_BYTES / MIB
    epoch = n_trials * BANDS * (int(EPOCH_SECONDS * sfreq) + 1) * _FLOAT_BYTES / MIB
    reduced_epochs = epoch * min(n_channels, CSP_DIMENSIONS)
    filtering = recording * (RECORDING_COPIES + FILTER_COPIES) + epoch / BANDS * n_channels + reduced_epochs
    working_set = max(ANALYSIS_CHUNK_MIB, min(ANALYSIS_BASE_MIB + ANALYSIS_MIB_PER_TRIAL * n_trials, ANALYSIS_CAP_MIB))
    analysis = recording + reduced_epochs + working_set + KEPT_MIB_PER_TRIAL * n_trials
    return (BASELINE_MIB + max(filtering, analysis)) * (1.0 + SAFETY_MARGIN)
