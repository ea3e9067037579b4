"""Time and peak memory of the whole analysis against the channel count (8, 16, 32, 64).

The recordings are the 64-channel EEGMMIDB runs 4, 8 and 12 of one subject, read with the
package's EDF reader. The N-channel montage is the sample upload's 8 motor channels followed by
the file's other channels in file order, so every montage contains the smaller ones and the
8-channel one is the sample upload itself. The names are marked unknown unless asked otherwise,
so montages above 16 channels take the principal-component path of `fbcsp.channel_reduction`
(that of uploads without ``ChannelNames``); with known names every montage above 8 channels
keeps only the 8 motor-area channels and costs what the 8-channel montage costs. Each count runs
`fbcsp.training.train` once in a fresh ``spawn`` child that reports its wall time, CPU time
(user + system, all threads) and peak RSS, so one count's memory never hides behind another's.
"""

from __future__ import annotations

import resource
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.process_memory import peak_rss_bytes, run_in_spawned_process
from fbcsp.edf import read_signal_files
from fbcsp.recording import Recording
from fbcsp.training import train
from fbcsp.training_options import TrainingOptions

EEGMMIDB_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "eeg" / "eegmmidb"
IMAGERY_RUNS = (4, 8, 12)
MOTOR_CHANNELS = ("FC3", "FC4", "C3", "Cz", "C4", "CP3", "CPz", "CP4")
CHANNEL_COUNTS = (8, 16, 32, 64)
MB = 1024**2


def subject_files(subject: str, eeg_dir: Path = EEGMMIDB_DIR) -> list[Path]:
    """The subject's imagery runs 4, 8 and 12, in that order."""
    return [eeg_dir / subject / f"{subject}R{run:02d}.edf" for run in IMAGERY_RUNS]


def subject_recording(subject: str, eeg_dir: Path = EEGMMIDB_DIR) -> Recording:
    """Every channel of the subject's imagery runs 4, 8 and 12, concatenated in that order."""
    return read_signal_files(subject_files(subject, eeg_dir))


def montage(recording: Recording, n_channels: int, names_known: bool = False) -> Recording:
    """The motor channels first, then the recording's other channels in order, `n_channels` in all."""
    by_name = {name.upper(): index for index, name in enumerate(recording.ch_names)}
    motor = [by_name[name.upper()] for name in MOTOR_CHANNELS]
    order = (motor + [index for index in range(len(recording.ch_names)) if index not in motor])[:n_channels]
    if len(order) < n_channels:
        raise ValueError(f"the recording has {len(recording.ch_names)} channels, {n_channels} were asked for")
    return replace(
        recording,
        data=recording.data[order],
        ch_names=tuple(recording.ch_names[index] for index in order),
        ch_names_known=names_known,
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _train_child(recording: Recording, options: TrainingOptions, results) -> None:
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = train(recording, options)
    results.put(
        {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": _cpu_seconds() - cpu_started,
            "peak_rss_bytes": peak_rss_bytes(),
            "n_trials": int(result.trial_labels.size),
            "n_windows": result.grid.n_windows,
            "selection_accuracy": result.selection_accuracy,
            "nested_accuracy": result.nested_accuracy,
        }
    )


def measure_train(recording: Recording, options: TrainingOptions) -> dict:
    """Run `train` once in a fresh spawned process; its time, CPU time, peak RSS and accuracies."""
    return run_in_spawned_process(_train_child, recording, options)


def channel_axis(
    recording: Recording, counts: tuple[int, ...], options: TrainingOptions, log, names_known: bool = False
) -> list[dict]:
    """`measure_train` on each montage size, smallest first."""
    rows = []
    for count in counts:
        log(f"channel axis: {count} channels")
        figures = measure_train(montage(recording, count, names_known), options)
        rows.append({"channels": count, "samples": recording.n_samples, **figures})
    return rows


def format_channel_axis(rows: list[dict], subject: str, options: TrainingOptions, names_known: bool) -> str:
    """The channel-axis table printed to stdout."""
    header = (
        f"  {'channels':>8}  {'wall s':>7}  {'CPU s':>7}  {'peak RSS MB':>11}  "
        f"{'selection %':>11}  {'nested %':>8}"
    )
    lines = [
        f"Channel axis: EEGMMIDB {subject} runs {', '.join(map(str, IMAGERY_RUNS))}, "
        f"{rows[0]['n_trials']} trials, {rows[0]['n_windows']} windows, "
        f"{options.n_permutations} permutations, "
        f"CSP on at most {options.max_csp_dimensions} dimensions "
        f"({'motor-area channels' if names_known else 'principal components'} above that)",
        header,
    ]
    for row in rows:
        lines.append(
            f"  {row['channels']:>8}  {row['seconds']:>7.1f}  {row['cpu_seconds']:>7.1f}  "
            f"{row['peak_rss_bytes'] / MB:>11.0f}  {100 * row['selection_accuracy']:>11.2f}  "
            f"{100 * row['nested_accuracy']:>8.2f}"
        )
    return "\n".join(lines)
