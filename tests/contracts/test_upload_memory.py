"""contracts.upload_memory: samples, trials and the memory verdict from an upload's header facts."""

import io
import zipfile

import pytest

from contracts.task_size import TaskSize
from contracts.upload_memory import (
    CSV_PREFIX_BYTES,
    MIN_SECONDS_PER_CUE,
    estimate_memory,
    estimate_samples,
    max_csv_line_length,
    size_run,
    too_large_message,
    trial_bound,
)
from contracts.upload_metadata import UploadRejected
from contracts.uploads import check_upload

pytestmark = pytest.mark.unit

#: Facts of the bundled sample (samples/README.md): 8 channels, 60000 rows at 160 Hz, 23 + 22 cues.
SAMPLE_CHANNELS, SAMPLE_ROWS, SAMPLE_CUES, SAMPLE_HZ = 8, 60000, 23 + 22, 160.0


def _rows(n_rows: int, n_channels: int) -> bytes:
    """Rows of varying width, as a recording's numbers have."""
    return b"".join(
        (
            ",".join(f"{(row * 7 + column) % 13 * 1.5e-6:.9g}" for column in range(n_channels)) + ",0,0,\n"
        ).encode()
        for row in range(n_rows)
    )


def test_a_row_of_full_precision_numbers_fits_the_line_limit():
    widest = ",".join(["-1.2345678901234567e-308"] * (64 + 2)) + ",\r\n"
    assert len(widest) <= max_csv_line_length(64)
    assert max_csv_line_length(64) < max_csv_line_length(65)


def test_samples_are_estimated_from_the_rows_of_a_prefix():
    csv = _rows(5000, 64)
    estimated = estimate_samples(csv[:CSV_PREFIX_BYTES], len(csv), 64)
    assert abs(estimated - 5000) <= 5000 * 0.02


def test_a_whole_csv_in_the_prefix_is_counted_exactly_even_without_a_final_line_break():
    csv = _rows(40, 8).rstrip(b"\n")
    assert estimate_samples(csv, len(csv), 8) == 40


def test_rows_of_zeros_at_the_start_are_not_taken_for_the_recordings_row_length():
    # GIVEN 64 channels whose first rows are a flat stretch written as zeros, then the recording
    zero_row = ("0," * 64 + "0,0,\n").encode()
    recording = _rows(20_000, 64)
    for n_zero_rows in (300, 2000):
        csv = zero_row * n_zero_rows + recording
        # WHEN the samples are estimated from the prefix (all zeros in the second case)
        estimated = estimate_samples(csv[:CSV_PREFIX_BYTES], len(csv), 64)
        # THEN the estimate is not inflated by the short rows (it was 2.2x and 4.8x the rows)
        assert estimated <= (n_zero_rows + 20_000) * 1.02


def test_a_first_row_longer_than_any_valid_row_is_malformed():
    single_line = b"0.5," * 100_000
    with pytest.raises(UploadRejected, match=r"CSV row 1 is longer than \d+ characters.*line breaks"):
        estimate_samples(single_line[:CSV_PREFIX_BYTES], 300 * 1024**2, 2)


def test_a_prefix_shorter_than_one_allowed_row_counts_the_fewest_rows_the_file_can_hold():
    limit = max_csv_line_length(20_000)
    assert estimate_samples(b"0.5," * 1000, 10 * limit, 20_000) == 10


def test_the_trial_bound_covers_the_sample_cues_and_grows_with_the_duration():
    assert SAMPLE_CUES <= trial_bound(SAMPLE_ROWS, SAMPLE_HZ) <= SAMPLE_CUES * 1.1
    assert trial_bound(int(2 * 3600 * SAMPLE_HZ), SAMPLE_HZ) == 2 * 3600 / MIN_SECONDS_PER_CUE
    assert trial_bound(1, SAMPLE_HZ) == 1
    assert trial_bound(400, 5e-324) == 200


def test_a_long_64_channel_recording_is_refused_in_words_a_researcher_understands():
    estimate = estimate_memory(64, int(7.6 * 3600 * 160), 160.0)
    problem = too_large_message(estimate, 2048)
    assert "64 channels × 7.6 h at 160 Hz" in problem
    assert f"needs about {estimate.peak_mib / 1024:.1f} GiB" in problem
    assert "this deployment's limit is 2.0 GiB" in problem


def test_the_refusal_names_a_limit_under_a_gibibyte_in_mebibytes():
    estimate = estimate_memory(SAMPLE_CHANNELS, SAMPLE_ROWS, SAMPLE_HZ)
    assert "this deployment's limit is 512 MiB" in too_large_message(estimate, 512)


def test_size_run_reads_the_facts_of_a_checked_upload_and_sizes_its_task(sample_zip_bytes):
    upload = check_upload(
        io.BytesIO(sample_zip_bytes), len(sample_zip_bytes), csv_prefix_bytes=CSV_PREFIX_BYTES
    )
    assert len(upload.csv_prefix) == CSV_PREFIX_BYTES
    estimate, size = size_run(upload, TaskSize(1024, 2048), 8192)
    assert abs(estimate.n_samples - SAMPLE_ROWS) <= SAMPLE_ROWS * 0.02
    assert (estimate.n_channels, estimate.sfreq) == (SAMPLE_CHANNELS, SAMPLE_HZ)
    assert size == TaskSize(1024, 2048)
    # The sample needs between 512 MiB and 1 GiB: a tiny default grows one step, within the maximum.
    assert size_run(upload, TaskSize(256, 512), 2048)[1] == TaskSize(256, 1024)
    with pytest.raises(UploadRejected, match="8 channels × 6 min at 160 Hz.*limit is 512 MiB"):
        size_run(upload, TaskSize(256, 512), 512)


@pytest.fixture
def sample_zip_bytes(shared_data_dir) -> bytes:
    body = (shared_data_dir / "uploads" / "S001_imagery.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sum(1 for _ in archive.open("S001_imagery.csv")) == SAMPLE_ROWS
    return body
