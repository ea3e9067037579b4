"""Whether an upload's classifier run fits the task's memory, judged from the upload's header facts.

Validate reads only the zip's directory, metadata.json and the first :data:`CSV_PREFIX_BYTES` of
the inflated CSV; from those it gets the facts :func:`contracts.task_memory.predict_peak_mib`
needs:

* channels and sampling rate: metadata.json;
* samples: the CSV's uncompressed size (zip directory) divided by the mean length of the complete
  rows in the prefix (:func:`estimate_samples`), leaving out rows of zeros only (a recording that
  starts with a flat stretch written as ``0,0,...`` would otherwise look several times longer
  than it is, and be refused); a CSV whose first row does not end within
  :func:`max_csv_line_length` is malformed and refused;
* trials: not in the header. They are bounded from the duration at one T1/T2 cue per
  :data:`MIN_SECONDS_PER_CUE` on average (:func:`trial_bound`): the cue-to-cue time of the
  motor-imagery paradigm the app records (EEGMMIDB: 4 s of imagery, then ~4 s of rest with a T0
  mark, so T1/T2 cues come every 8.2-8.5 s; the bundled sample has 45 cues in 375 s, the bound
  gives 46). An upload with denser cues is predicted too low by ~9.5 MiB per extra cue while the
  analysis' working set grows with the trials (``contracts.task_memory.ANALYSIS_MIB_PER_TRIAL``, up
  to ~40 cues), ~0.7 MiB and its epochs' share beyond, partly covered by the model's margin; a run
  that still runs out of memory is retried once in a bigger task
  (:func:`contracts.task_size.retry_size_for`).

:func:`size_run` turns the facts into the run's task size, or a refusal with a message for the
researcher (:func:`too_large_message`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from contracts.task_memory import MIB, predict_peak_mib
from contracts.task_size import TaskSize, size_for
from contracts.upload_metadata import UploadRejected
from contracts.uploads import CheckedUpload

#: Inflated bytes of the CSV read to measure its rows (enough for whole rows of ~6000 channels).
CSV_PREFIX_BYTES = 256 * 1024
#: Longest accepted CSV field, separator included: a float64 written in full with its sign,
#: point and exponent ("-1.2345678901234567e-308,") is 25 characters; the rest is leeway for spaces.
MAX_FIELD_CHARACTERS = 40
#: Mean time between two T1/T2 cues that the trial bound assumes, in seconds.
MIN_SECONDS_PER_CUE = 8.0
_SECONDS_PER_HOUR = 3600.0
#: A row holding a number other than zero has a digit 1-9 (``0``, ``-0.0`` and ``0e+00`` have none).
_NONZERO_DIGIT = re.compile(rb"[1-9]")


def max_csv_line_length(n_channels: int) -> int:
    """Most characters (bytes: the numbers are ASCII) one CSV row of ``n_channels`` may have,
    line ending included; every row holds ``n_channels + 2`` fields (classifier.md §1)."""
    return (n_channels + 2) * MAX_FIELD_CHARACTERS + 2


def too_long_line_message(row_number: int, n_channels: int) -> str:
    """The reason given for a CSV row longer than :func:`max_csv_line_length`."""
    return (
        f"CSV row {row_number} is longer than {max_csv_line_length(n_channels)} characters, the most "
        f"{n_channels + 2} numbers ({n_channels} EEG channels from metadata.json, the classifier "
        "column and the trigger) can take: is the file missing its line breaks?"
    )


def estimate_samples(prefix: bytes, csv_bytes: int, n_channels: int) -> int:
    """Rows of a CSV of ``csv_bytes`` bytes whose first bytes are ``prefix``.

    ``prefix`` is the whole CSV when it is ``csv_bytes`` long (its last row then needs no line
    ending); otherwise its last, partial row is not measured, nor are rows of zeros only, which
    are shorter than the recording's rows.

    Raises
    ------
    UploadRejected
        A row of the prefix is longer than :func:`max_csv_line_length`.
    """
    limit = max_csv_line_length(n_channels)
    whole = len(prefix) >= csv_bytes
    rows = prefix.splitlines(keepends=True)
    too_long = [number for number, row in enumerate(rows, start=1) if len(row) > limit]
    if too_long:
        raise UploadRejected(too_long_line_message(too_long[0], n_channels))
    if whole:
        return max(1, len(rows))
    measured = [row for row in rows if row.endswith((b"\n", b"\r")) and _NONZERO_DIGIT.search(row)]
    if not measured:
        # No row of the recording's numbers ends in the prefix: count the fewest rows the file can hold.
        return max(1, csv_bytes // limit)
    mean_row_bytes = sum(map(len, measured)) / len(measured)
    return max(1, round(csv_bytes / mean_row_bytes))


def trial_bound(n_samples: int, sfreq: float) -> int:
    """Most cues a recording of ``n_samples`` at ``sfreq`` Hz is assumed to hold (at least one).

    Never more than one per two samples: a cue is an onset of the trigger, which must fall back
    in between.
    """
    return max(1, math.floor(min(n_samples / 2, n_samples / sfreq / MIN_SECONDS_PER_CUE)))


@dataclass(frozen=True)
class MemoryEstimate:
    """The facts of one upload and the peak memory predicted for its run."""

    n_channels: int
    n_samples: int
    n_trials: int
    sfreq: float
    peak_mib: float

    @property
    def hours(self) -> float:
        return self.n_samples / self.sfreq / _SECONDS_PER_HOUR


def estimate_memory(n_channels: int, n_samples: int, sfreq: float) -> MemoryEstimate:
    """Predict the run's peak memory with the trial count bounded from the duration."""
    n_trials = trial_bound(n_samples, sfreq)
    return MemoryEstimate(
        n_channels=n_channels,
        n_samples=n_samples,
        n_trials=n_trials,
        sfreq=sfreq,
        peak_mib=predict_peak_mib(n_channels, n_samples, n_trials, sfreq),
    )


def _size_text(mib: float) -> str:
    return f"{mib * MIB / 1024**3:.1f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def _duration_text(hours: float) -> str:
    return f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"


def too_large_message(estimate: MemoryEstimate, limit_mib: int) -> str:
    """Why the run cannot get the memory it needs from a deployment whose largest task has
    ``limit_mib`` MiB, in a researcher's words."""
    return (
        f"{estimate.n_channels} channels × {_duration_text(estimate.hours)} at {estimate.sfreq:g} Hz "
        f"(up to {estimate.n_trials} cues) needs about {_size_text(estimate.peak_mib)} of memory to train; "
        f"this deployment's limit is {_size_text(limit_mib)}. Upload a shorter recording or fewer "
        "channels, or ask the operator for larger tasks (taskMemoryMax)"
    )


def size_run(upload: CheckedUpload, default: TaskSize, maximum_memory_mib: int) -> tuple[MemoryEstimate, TaskSize]:
    """Estimate a checked upload's run from its metadata, CSV size and CSV prefix
    (``upload.csv_prefix``, read with ``csv_prefix_bytes=CSV_PREFIX_BYTES``) and choose its task
    size (:func:`contracts.task_size.size_for`).

    Raises
    ------
    UploadRejected
        The CSV's first rows are malformed, or the run needs more than ``maximum_memory_mib`` MiB.
    """
    metadata = upload.metadata
    n_samples = estimate_samples(upload.csv_prefix, upload.csv.file_size, metadata.n_channels)
    estimate = estimate_memory(metadata.n_channels, n_samples, metadata.sfreq)
    size = size_for(estimate.peak_mib, default, maximum_memory_mib)
    if size is None:
        raise UploadRejected(too_large_message(estimate, maximum_memory_mib))
    return estimate, size
