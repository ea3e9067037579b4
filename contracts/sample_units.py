"""EEG columns in volts: the bound the classifier holds every sample to, and Validate's early use of it.

The app streams volts, so a model trained on another unit is wrong for it. Scalp EEG in volts is
about 1e-5 and no amplifier's input range reaches 1 V, while the same EEG in microvolts is 1-100
and an amplifier's raw counts are larger still. The container refuses a recording with a sample of
1 V or more (``fbcsp.samples_csv.check_volts``); Validate applies the same bound to the CSV's first
rows, which it reads anyway, so that such an upload fails in seconds instead of after a Fargate task
has started. Pure functions, no numpy: the Lambda functions import this module too.
"""

from __future__ import annotations

import io
import math

from contracts.upload_metadata import UploadRejected

#: Magnitude no EEG sample in volts reaches; also the median channel standard deviation from which
#: the EEG columns cannot be volts.
MIN_NOT_VOLTS = 1.0


def sample_beyond_volts_message(row: int, column: int, value: float) -> str:
    """Why the sample at 1-based ``row`` and ``column`` of the CSV is refused."""
    return (
        f"CSV row {row}, column {column}: {value:g} is not an EEG sample in volts: no amplifier's input "
        "range reaches 1 V (a glitch, or the column in another unit)"
    )


def first_sample_beyond_volts(prefix: bytes, n_channels: int, *, whole: bool) -> tuple[int, int, float] | None:
    """(row, column, value), 1-based, of the first EEG sample of magnitude :data:`MIN_NOT_VOLTS` or more
    among the CSV's rows in ``prefix``; ``None`` when there is none.

    ``prefix`` is the CSV's first bytes, the whole file when ``whole``; otherwise its last, partial row
    is left out. Rows count as the container counts them (any line ending). The scan stops, finding
    nothing, at the first row the container would refuse for its form (a blank row, another number of
    columns, a field that is not a number): the container then names that problem itself.
    """
    if not whole:
        prefix = prefix[: max(prefix.rfind(b"\n"), prefix.rfind(b"\r")) + 1]
    try:
        text = prefix.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    for row, line in enumerate(io.StringIO(text, newline=""), start=1):
        fields = line.rstrip("\r\n").split(",")
        while fields and not fields[-1].strip():
            fields.pop()
        if len(fields) != n_channels + 2:
            return None
        for column, field in enumerate(fields[:n_channels], start=1):
            if "_" in field:  # float() reads "1_0" as 10; the container refuses it
                return None
            try:
                value = float(field)
            except ValueError:
                return None
            if math.isfinite(value) and abs(value) >= MIN_NOT_VOLTS:
                return row, column, value
    return None


def check_sample_units(prefix: bytes, csv_bytes: int, n_channels: int) -> None:
    """Refuse an upload whose CSV's first rows hold an EEG sample the classifier would refuse.

    Raises
    ------
    UploadRejected
        A sample of magnitude :data:`MIN_NOT_VOLTS` or more, with its row and column.
    """
    beyond = first_sample_beyond_volts(prefix, n_channels, whole=len(prefix) >= csv_bytes)
    if beyond is not None:
        raise UploadRejected(sample_beyond_volts_message(*beyond))
