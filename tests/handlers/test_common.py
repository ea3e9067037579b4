"""Pure helpers of handlers.common: timestamps, Decimals, settings, logs, ranged reads."""

import io
import json
import threading
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from handler_support import log_lines

from contracts.failures import HANDLER_ERROR_CODES
from contracts.manifest import MAX_REPORT_WARNING_CHARS, MAX_REPORT_WARNINGS
from contracts.task_size import TaskSize
from handlers.common import clients
from handlers.common.errors import ConfigurationError, InvalidUpload, ResultsInvalid
from handlers.common.jsonvalues import dumps, from_dynamodb, to_dynamodb
from handlers.common.manifest import SHORTENED_MARKER, bounded_report_warnings
from handlers.common.observability import logger, session_ids
from handlers.common.settings import ApiSettings, ResultsSettings, StartSettings, ValidateSettings
from handlers.common.timestamps import iso_utc, normalise_event_time
from handlers.common.uploads import RangedObjectReader

pytestmark = pytest.mark.unit


def test_timestamps_have_one_sortable_shape():
    assert iso_utc(datetime(2026, 11, 23, 22, 0, 0, 123456, tzinfo=UTC)) == "2026-11-23T22:00:00.123Z"
    assert normalise_event_time("2026-11-23T22:00:00Z") == "2026-11-23T22:00:00.000Z"
    assert normalise_event_time("2026-11-23T23:00:00+01:00") == "2026-11-23T22:00:00.000Z"
    with pytest.raises(ValueError):
        normalise_event_time(True)
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 11, 23))


def test_numbers_go_into_dynamodb_as_decimals_and_come_back_plain():
    stored = to_dynamodb({"a": 0.8, "b": [1, 2.5], "c": True, "d": None})
    assert stored == {"a": Decimal("0.8"), "b": [1, Decimal("2.5")], "c": True, "d": None}
    assert from_dynamodb(stored) == {"a": 0.8, "b": [1, 2.5], "c": True, "d": None}
    assert isinstance(from_dynamodb(Decimal("6")), int)
    assert json.loads(dumps({"x": Decimal("0.25")})) == {"x": 0.25}
    with pytest.raises(ValueError):
        to_dynamodb(float("nan"))


def test_report_warnings_within_the_limits_are_kept_as_they_are():
    at_the_limits = [f"{index:02d}".ljust(MAX_REPORT_WARNING_CHARS, "x") for index in range(MAX_REPORT_WARNINGS)]

    assert bounded_report_warnings({"reportWarnings": at_the_limits}) == at_the_limits
    assert bounded_report_warnings({}) == []


def test_a_report_warning_over_the_length_limit_is_cut_and_marked():
    text = "Clipped channel(s): " + ", ".join(f"EEG{index} (1.0 %)" for index in range(200))

    (shortened,) = bounded_report_warnings({"reportWarnings": [text]})

    assert len(shortened) == MAX_REPORT_WARNING_CHARS
    assert shortened == text[: MAX_REPORT_WARNING_CHARS - len(SHORTENED_MARKER)] + SHORTENED_MARKER
    assert SHORTENED_MARKER == "… (shortened; report.html has the whole warning)"


def test_a_list_over_the_count_limit_keeps_its_first_warnings_and_counts_the_rest():
    texts = [f"warning {index}" for index in range(MAX_REPORT_WARNINGS + 1)]

    bounded = bounded_report_warnings({"reportWarnings": texts})

    assert bounded == [*texts[: MAX_REPORT_WARNINGS - 1], "2 more warnings: see report.html"]


def test_settings_read_only_what_each_function_needs_and_fail_clearly():
    task_environment = {"TASK_CPU": "1024", "TASK_MEMORY_MIB": "2048", "TASK_MEMORY_MAX_MIB": "8192"}
    validate_settings = ValidateSettings.from_environ(task_environment)
    assert validate_settings.default_task_size == TaskSize(1024, 2048)
    assert (validate_settings.task_memory_max_mib, validate_settings.log_level) == (8192, "INFO")
    debug = ValidateSettings.from_environ({**task_environment, "LOG_LEVEL": "debug"})
    assert debug.log_level == "DEBUG"
    with pytest.raises(ConfigurationError, match="TASK_CPU, TASK_MEMORY_MIB, TASK_MEMORY_MAX_MIB"):
        ValidateSettings.from_environ({})
    with pytest.raises(ConfigurationError, match="TASK_MEMORY_MAX_MIB must be a positive whole number"):
        ValidateSettings.from_environ({**task_environment, "TASK_MEMORY_MAX_MIB": "8 GiB"})
    with pytest.raises(ConfigurationError, match="STATE_MACHINE_ARN"):
        StartSettings.from_environ({"STATUS_TABLE": "t"})
    with pytest.raises(ConfigurationError, match="UPLOAD_BUCKET, RESULTS_BUCKET"):
        ApiSettings.from_environ({"STATUS_TABLE": "t", "CLASSIFIER_TABLE": "c", "UPLOAD_BUCKET": " "})
    record_failure = ResultsSettings.from_environ(
        {"STATUS_TABLE": "t", "RESULTS_BUCKET": "r"}, needs_classifier_table=False
    )
    assert (record_failure.status_table, record_failure.classifier_table, record_failure.pipeline_name) == (
        "t",
        None,
        None,
    )
    with pytest.raises(ConfigurationError, match="CLASSIFIER_TABLE, PIPELINE_NAME"):
        ResultsSettings.from_environ(
            {"STATUS_TABLE": "t", "RESULTS_BUCKET": "r"}, needs_classifier_table=True
        )
    process_results = ResultsSettings.from_environ(
        {"STATUS_TABLE": "t", "RESULTS_BUCKET": "r", "CLASSIFIER_TABLE": "c", "PIPELINE_NAME": "processing-dev"},
        needs_classifier_table=True,
    )
    assert (process_results.classifier_table, process_results.pipeline_name) == ("c", "processing-dev")
    api_environment = {
        "STATUS_TABLE": "t",
        "CLASSIFIER_TABLE": "c",
        "UPLOAD_BUCKET": "u",
        "RESULTS_BUCKET": "r",
        "LIMITS_TABLE": "l",
        "MAX_UPLOAD_REQUESTS_PER_MINUTE": "5",
    }
    assert ApiSettings.from_environ(api_environment).max_upload_requests_per_minute == 5
    with pytest.raises(ConfigurationError, match="MAX_UPLOAD_REQUESTS_PER_MINUTE must be a positive whole"):
        ApiSettings.from_environ({**api_environment, "MAX_UPLOAD_REQUESTS_PER_MINUTE": "0"})
    with pytest.raises(ConfigurationError, match="MAX_ACTIVE_RUNS_PER_USER"):
        StartSettings.from_environ(
            {"STATUS_TABLE": "t", "STATE_MACHINE_ARN": "arn", "ACTIVE_RUN_WINDOW_SECONDS": "60"}
        )


def test_every_log_line_is_json_with_the_session_ids_of_its_block():
    with log_lines() as lines:
        with session_ids(userId="u", sessionId="s"), session_ids(runId="run-1", executionArn=None):
            logger.info("inside", extra={"key": "uploads/u/s/x.zip"})
        logger.info("outside")

    inside, outside = lines
    assert inside["userId"] == "u" and inside["sessionId"] == "s" and inside["runId"] == "run-1"
    assert inside["key"] == "uploads/u/s/x.zip" and inside["level"] == "INFO" and inside["service"]
    assert "executionArn" not in inside and "timestamp" in inside
    assert not {"userId", "sessionId", "runId"} & set(outside)
    with pytest.raises(ValueError), session_ids(bucket="b"):
        pass


def test_each_thread_logs_its_own_session_ids():
    both_inside = threading.Barrier(2)

    def work(session_id: str) -> None:
        with session_ids(sessionId=session_id):
            both_inside.wait(timeout=10)
            logger.info("working")
            both_inside.wait(timeout=10)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("s-1", "s-2")]
    with log_lines() as lines:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)

    assert sorted(line["sessionId"] for line in lines) == ["s-1", "s-2"]


def test_clients_are_made_on_first_use_and_reused_per_environment(monkeypatch):
    clients.clear_cache()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    first = clients.client("s3")
    assert clients.client("s3") is first and first.meta.endpoint_url == "http://127.0.0.1:5999"
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert clients.client("s3") is not first
    clients.clear_cache()


class _BytesAsS3:
    """Serves ranged GETs of one in-memory object, as S3 does, counting them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ranges: list[tuple[int, int]] = []

    def get_object(self, *, Range: str, VersionId: str, **_):  # noqa: N803 - boto3's parameter names
        assert VersionId == "v1"
        start, end = map(int, Range.removeprefix("bytes=").split("-"))
        self.ranges.append((start, end))
        return {"Body": io.BytesIO(self.data[start : end + 1])}


def test_the_ranged_reader_behaves_like_a_file_and_reads_only_the_tail_of_a_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("big.csv", bytes(range(256)) * 4000)
        archive.writestr("metadata.json", b'{"EEGChannels": 4, "Frequency": 250}')
    data = buffer.getvalue()
    s3 = _BytesAsS3(data)
    reader = RangedObjectReader(
        s3, bucket="b", key="k", size=len(data), etag='"e"', version_id="v1", block_bytes=4096
    )
    with zipfile.ZipFile(reader) as archive:
        assert archive.read("metadata.json") == b'{"EEGChannels": 4, "Frequency": 250}'
    assert reader.bytes_fetched < 10_000 < len(data)
    assert reader.bytes_fetched == sum(end - start + 1 for start, end in s3.ranges)
    reader.seek(10)
    assert reader.read(5) == data[10:15] and reader.tell() == 15
    reader.seek(-3, io.SEEK_END)
    assert reader.read() == data[-3:]
    with pytest.raises(OSError):
        reader.seek(-1)


def test_the_handler_errors_are_the_ones_the_failure_mapping_knows():
    # Lambda reports the exception's class name as the error the state machine catches.
    assert {InvalidUpload.__name__, ResultsInvalid.__name__} == set(HANDLER_ERROR_CODES)
