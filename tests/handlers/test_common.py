"""Pure helpers of handlers.common: keys and ids, timestamps, Decimals, settings, logs, ranged reads."""

import io
import json
import logging
import re
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from handlers.common import clients
from handlers.common.errors import ConfigurationError, InvalidUpload
from handlers.common.jsonvalues import dumps, from_dynamodb, to_dynamodb
from handlers.common.keys import (
    RejectedKey,
    UnrecognisedKey,
    execution_arn_for,
    is_valid_id,
    is_valid_upload_file_name,
    new_session_id,
    parse_upload_key,
    results_prefix_for,
    run_id_for,
)
from handlers.common.log import JsonFormatter, bound, get_logger
from handlers.common.settings import ApiSettings, StartSettings, ValidateSettings
from handlers.common.timestamps import iso_utc, normalise_event_time
from handlers.common.uploads import RangedObjectReader

pytestmark = pytest.mark.unit


def test_a_well_formed_key_is_split_into_user_session_and_file():
    parsed = parse_upload_key("uploads/user-1/session.2_b/S001_imagery.zip")
    assert (parsed.user_id, parsed.session_id, parsed.file_name) == (
        "user-1",
        "session.2_b",
        "S001_imagery.zip",
    )
    assert parsed.key == "uploads/user-1/session.2_b/S001_imagery.zip"


@pytest.mark.parametrize(
    "key",
    [
        "results/u/s/x.zip",
        "uploads/u/x.zip",
        "uploads/../s/x.zip",
        "uploads/u/./x.zip",
        "uploads/u s/s/x.zip",
        f"uploads/{'u' * 129}/s/x.zip",
        "uploads//s/x.zip",
    ],
)
def test_keys_without_a_valid_user_and_session_are_unrecognised(key):
    with pytest.raises(UnrecognisedKey):
        parse_upload_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "uploads/u/s/x.csv",
        "uploads/u/s/deeper/x.zip",
        "uploads/u/s/.zip",
        "uploads/u/s/",
        "uploads/u/s/a\x01.zip",
    ],
)
def test_keys_of_a_known_session_that_are_not_flat_zips_are_rejected_with_the_ids(key):
    with pytest.raises(RejectedKey) as raised:
        parse_upload_key(key)
    assert (raised.value.user_id, raised.value.session_id) == ("u", "s")
    assert isinstance(raised.value, InvalidUpload)


def test_ids_and_api_file_names_follow_the_contract_pattern():
    assert is_valid_id("a" * 128) and not is_valid_id("a" * 129)
    assert not any(is_valid_id(value) for value in (".", "..", "", "a/b", "a b", None, 3))
    assert is_valid_upload_file_name("S001_imagery.zip")
    assert not any(
        is_valid_upload_file_name(v) for v in ("x.csv", ".zip", "..zip", "a/b.zip", "a b.zip", None)
    )


def test_run_ids_are_deterministic_per_upload_version():
    first = run_id_for("bucket", "uploads/u/s/x.zip", "v1")
    assert re.fullmatch(r"run-[0-9a-f]{32}", first)
    assert first == run_id_for("bucket", "uploads/u/s/x.zip", "v1")
    assert first != run_id_for("bucket", "uploads/u/s/x.zip", "v2")
    assert results_prefix_for("u", "s", first) == f"results/u/s/{first}/"


def test_session_ids_sort_by_creation_time():
    early = new_session_id(datetime(2026, 11, 23, 22, 0, 0, tzinfo=UTC), "0a1b2c3d4e5f")
    later = new_session_id(datetime(2026, 11, 23, 22, 0, 1, tzinfo=UTC))
    assert early == "20261123T220000Z-0a1b2c3d4e5f"
    assert re.fullmatch(r"20261123T220001Z-[0-9a-f]{12}", later) and early < later and is_valid_id(later)


def test_execution_arns_are_known_before_the_execution_starts():
    machine = "arn:aws:states:eu-west-2:123456789012:stateMachine:eeg-dev-pipeline"
    assert (
        execution_arn_for(machine, "run-1")
        == "arn:aws:states:eu-west-2:123456789012:execution:eeg-dev-pipeline:run-1"
    )
    with pytest.raises(ValueError):
        execution_arn_for("arn:aws:lambda:eu-west-2:123456789012:function:f", "run-1")


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


def test_settings_read_only_what_each_function_needs_and_fail_clearly():
    assert ValidateSettings.from_environ({}).max_upload_bytes == 536870912
    assert (
        ValidateSettings.from_environ({"MAX_UPLOAD_BYTES": "10", "LOG_LEVEL": "debug"}).log_level == "DEBUG"
    )
    with pytest.raises(ConfigurationError, match="STATE_MACHINE_ARN"):
        StartSettings.from_environ({"STATUS_TABLE": "t"})
    with pytest.raises(ConfigurationError, match="PRESIGN_EXPIRY_SECONDS"):
        ApiSettings.from_environ(
            {
                "STATUS_TABLE": "t",
                "CLASSIFIER_TABLE": "c",
                "UPLOAD_BUCKET": "u",
                "RESULTS_BUCKET": "r",
                "PRESIGN_EXPIRY_SECONDS": "-5",
            }
        )


def test_every_log_line_is_json_with_the_bound_ids():
    formatter = JsonFormatter()
    record = logging.LogRecord("eegpipeline", logging.INFO, __file__, 1, "started", (), None)
    record.key = "uploads/u/s/x.zip"
    with bound(userId="u", sessionId="s"), bound(runId="run-1"):
        inside = json.loads(formatter.format(record))
    outside = json.loads(formatter.format(record))
    assert inside["userId"] == "u" and inside["sessionId"] == "s" and inside["runId"] == "run-1"
    assert (
        inside["executionArn"] is None and inside["key"] == "uploads/u/s/x.zip" and inside["level"] == "INFO"
    )
    assert outside["userId"] is None and set(outside) >= {
        "userId",
        "sessionId",
        "runId",
        "executionArn",
        "timestamp",
    }
    assert get_logger("DEBUG").level == logging.DEBUG and get_logger("nonsense").level == logging.INFO
    with pytest.raises(ValueError), bound(bucket="b"):
        pass


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

    def get_object(self, *, Range: str, **_):  # noqa: N803 - boto3's parameter name
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
    reader = RangedObjectReader(s3, bucket="b", key="k", size=len(data), etag='"e"', block_bytes=4096)
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
