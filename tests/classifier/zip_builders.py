"""Build upload zips (good and bad) in a temporary folder for the reader, CLI and container tests."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

GOOD_METADATA = {"EEGChannels": 3, "TriggerChannels": 1, "Frequency": 125.0, "Classifier": "FBCSP"}


def csv_text(samples: np.ndarray, trigger: np.ndarray, classifier_value: float = -79.0) -> str:
    """Rows ``EEG_1..n, classifier, trigger,`` as the app writes them (trailing comma)."""
    rows = []
    for column, code in zip(samples.T, trigger, strict=True):
        values = ",".join(repr(float(value)) for value in column)
        rows.append(f"{values},{classifier_value:g},{int(code)},")
    return "\n".join(rows) + "\n"


def synthetic_session(n_channels: int = 3, n_samples: int = 2000, cue_every: int = 200, seed: int = 0):
    """Noise in volts and a trigger alternating T1/T2 cues one sample long."""
    rng = np.random.default_rng(seed)
    samples = rng.normal(scale=2e-5, size=(n_channels, n_samples))
    trigger = np.zeros(n_samples)
    trigger[cue_every::cue_every] = [1 + (i % 2) for i in range(len(trigger[cue_every::cue_every]))]
    return samples, trigger


def write_zip(path: Path, members: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip holding ``members`` (name -> content) in the given order."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def write_upload(
    path: Path, metadata: dict | None = None, csv: str | bytes | None = None, csv_name: str = "data.csv"
) -> Path:
    """A well-formed upload unless ``metadata``/``csv`` say otherwise."""
    if csv is None:
        csv = csv_text(*synthetic_session())
    return write_zip(path, {"metadata.json": json.dumps(metadata or GOOD_METADATA), csv_name: csv})


def write_bomb_zip(path: Path, n_bytes: int = 20_000_000) -> Path:
    """A valid upload whose CSV is ``n_bytes`` of one repeated byte (ratio ~1000:1)."""
    return write_zip(path, {"metadata.json": json.dumps(GOOD_METADATA), "data.csv": b"0" * n_bytes})


def write_lying_size_zip(path: Path, n_bytes: int = 2_000_000) -> Path:
    """A highly compressible CSV member whose central-directory and local sizes claim 1/1000 of the truth.

    The CRC is of the real content, so only a byte-counting extractor notices the lie before
    the end of the member.
    """
    write_bomb_zip(path, n_bytes)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("data.csv")
    claimed = max(info.compress_size, 1)
    fake = claimed.to_bytes(4, "little")
    real = info.file_size.to_bytes(4, "little")
    # patch every occurrence of the uncompressed size (local header and central directory)
    index = data.find(real)
    while index != -1:
        data[index : index + 4] = fake
        index = data.find(real, index + 4)
    path.write_bytes(bytes(data))
    return path


def _cue_session(
    codes: list[int], sfreq: float = 125.0, spacing_s: float = 10.5, seed: int = 1, scale: float = 2e-5
) -> str:
    """A CSV whose cues (given codes) all have a complete -3..+7 s epoch; EEG of SD `scale` (volts)."""
    rng = np.random.default_rng(seed)
    lead = int(3.5 * sfreq)
    spacing = int(spacing_s * sfreq)
    n_samples = lead + spacing * len(codes) + int(sfreq)
    samples = rng.normal(scale=scale, size=(3, n_samples))
    trigger = np.zeros(n_samples)
    trigger[lead + spacing * np.arange(len(codes))] = codes
    return csv_text(samples, trigger)


def _swap_last_columns(csv: str) -> str:
    """The CSV with its trigger and classifier columns swapped, as a hand-made export might have them."""
    rows = (line.rstrip(",").split(",") for line in csv.splitlines())
    return "".join(",".join([*fields[:-2], fields[-1], fields[-2]]) + ",\n" for fields in rows)


def _with_trigger(csv: str, row: int, code: int) -> str:
    """The CSV with the trigger of one row set to `code`."""
    lines = csv.splitlines()
    fields = lines[row].rstrip(",").split(",")
    lines[row] = ",".join([*fields[:-1], str(code)]) + ","
    return "\n".join(lines) + "\n"


def _nan_csv() -> str:
    samples, trigger = synthetic_session()
    samples[2, 5] = np.nan
    return csv_text(samples, trigger)


def _traversal(path: Path) -> Path:
    return write_zip(path, {"metadata.json": json.dumps(GOOD_METADATA), "../../evil.csv": "1,2,3,0,0,\n"})


def _not_a_zip(path: Path) -> Path:
    path.write_bytes(b"this is not a zip file\n")
    return path


#: name -> (writer of the bad upload at a path, failure code, fragment of the message)
BAD_UPLOADS = {
    "not_a_zip": (_not_a_zip, "INVALID_UPLOAD", "not a readable zip"),
    "path_traversal": (_traversal, "INVALID_UPLOAD", "points outside the archive"),
    "zip_bomb": (write_bomb_zip, "INVALID_UPLOAD", "'data.csv' expands"),
    "missing_metadata": (
        lambda path: write_zip(path, {"data.csv": csv_text(*synthetic_session())}),
        "INVALID_UPLOAD",
        "no metadata.json",
    ),
    "missing_csv": (
        lambda path: write_zip(path, {"metadata.json": json.dumps(GOOD_METADATA)}),
        "INVALID_UPLOAD",
        "exactly one .csv file, found 0",
    ),
    "one_class_only": (
        lambda path: write_upload(path, csv=_cue_session([1] * 8)),
        "INSUFFICIENT_DATA",
        "class T2 has 0 trial(s)",
    ),
    "too_few_trials": (
        lambda path: write_upload(path, csv=_cue_session([1, 2, 1, 2, 1, 2, 1, 2, 1, 1])),
        "INSUFFICIENT_DATA",
        "class T2 has 4 trial(s) with a complete epoch; at least 6",
    ),
    "other_cue_codes": (
        lambda path: write_upload(path, csv=_cue_session([3, 4] * 6)),
        "INSUFFICIENT_DATA",
        "class T1 has 0 trial(s) with a complete epoch; at least 6 are needed for 6-fold cross-validation "
        "(ignored 12 cue(s) that are neither T1 (1) nor T2 (2): code 3 x6, code 4 x6)",
    ),
    "trigger_in_the_classifier_column": (
        lambda path: write_upload(path, csv=_swap_last_columns(_cue_session([1, 2] * 6))),
        "INSUFFICIENT_DATA",
        "class T1 has 0 trial(s) with a complete epoch; at least 6 are needed for 6-fold cross-validation "
        "(the trigger column (the CSV's last column) has no cue: its sign never rises (from -79 to -79);",
    ),
    "cues_of_both_classes_together": (
        lambda path: write_upload(path, csv=_with_trigger(_cue_session([1, 2] * 6), row=int(3.7 * 125), code=2)),
        "INVALID_UPLOAD",
        "the recording marks a T1 cue and a T2 cue 0.2 s apart (at 3.496 s): cues of one trial must be "
        "at least 1 s apart",
    ),
    "nan_samples": (lambda path: write_upload(path, csv=_nan_csv()), "INVALID_UPLOAD", "non-finite sample"),
    "microvolts": (
        lambda path: write_upload(path, csv=_cue_session([1, 2] * 6, scale=20.0)),
        "INVALID_UPLOAD",
        "the EEG columns are not in volts: their median standard deviation is 19.9,",
    ),
    "one_hertz": (
        lambda path: write_upload(path, metadata={**GOOD_METADATA, "Frequency": 1}),
        "INVALID_UPLOAD",
        "sample rate (Frequency) of 1 Hz",
    ),
    "millihertz": (
        lambda path: write_upload(path, metadata={**GOOD_METADATA, "Frequency": 0.001}),
        "INVALID_UPLOAD",
        "sample rate (Frequency) of 0.001 Hz",
    ),
    "wrong_channel_count": (
        lambda path: write_upload(path, metadata={**GOOD_METADATA, "EEGChannels": 4}),
        "INVALID_UPLOAD",
        "has 5 column(s); expected 6",
    ),
}
