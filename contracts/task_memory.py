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
* the time-resolved analysis. Its window moments and fold models are processed in window
  chunks sized from a fixed budget (``fbcsp.budget``), so with many channels its working set is
  the budget (`ANALYSIS_CHUNK_MIB`); with few channels every window fits one chunk and the
  working set is that of the per-trial feature, mutual-information and decision arrays of all
  windows, `ANALYSIS_BASE_MIB` plus `ANALYSIS_MIB_PER_TRIAL` per trial. The larger of the two
  counts.

Before the analysis the recording's copies, one filtered band and one band's epochs on every
channel are alive at once; that phase is counted as well and the larger phase is the peak.

The constants were fitted to peaks measured on EEGMMIDB S001 (8-64 channels, 160 Hz, 15 and 44
trials; the measured figures are in ``tests/classifier/test_task_memory.py``) and the sum is
raised by `SAFETY_MARGIN`. Windows need no term of their own: the window grid is fixed in
seconds (1 s windows every ~40 ms over a 10 s epoch), so every sampling rate gives 226-241.
"""

from __future__ import annotations

MIB = 1024**2
_FLOAT_BYTES = 8

#: Resident memory of the interpreter with numpy, scipy, scikit-learn, mne and matplotlib loaded.
BASELINE_MIB = 160.0
#: The analysis' working set when window chunks are limited by the budget (many channels).
ANALYSIS_CHUNK_MIB = 340.0
#: The analysis' working set when every window fits one chunk (few channels): base and per trial.
ANALYSIS_BASE_MIB = 80.0
ANALYSIS_MIB_PER_TRIAL = 9.5
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
    analysis = recording + reduced_epochs + max(
        ANALYSIS_CHUNK_MIB, ANALYSIS_BASE_MIB + ANALYSIS_MIB_PER_TRIAL * n_trials
    )
    return (BASELINE_MIB + max(filtering, analysis)) * (1.0 + SAFETY_MARGIN)
