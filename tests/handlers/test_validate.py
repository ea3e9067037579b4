"""The validate handler on moto: ranged reads of the zip's central directory and metadata.json."""

import io
import json
import zipfile

import pytest
from handler_support import DEFAULT_TASK_SIZE, TASK_MEMORY_MAX_MIB, log_lines, run_state

from contracts.keys import UploadKey
from contracts.run_input import RunInput
from contracts.uploads import UploadLimits
from handlers import validate
from handlers.common.clients import client
from handlers.common.errors import InvalidUpload

pytestmark = pytest.mark.moto

USER, SESSION = "user-1", "session-1"
METADATA = {"EEGChannels": 8, "TriggerChannels": 1, "Frequency": 160.0, "Classifier": "FBCSP"}
CSV = b"".join(f"{i},{i * 0.5:.3f},{-i * 0.25:.3f}\n".encode() for i in range(2000))


def _zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _good_members() -> list[tuple[str, bytes]]:
    return [("recording.csv", CSV), ("metadata.json", json.dumps(METADATA).encode())]


def _state_for(aws, body: bytes, file_name: str = "recording.zip") -> dict:
    key = UploadKey(USER, SESSION, file_name).key
    put = aws.s3.put_object(Bucket=aws.upload_bucket, Key=key, Body=body)
    return {**run_state(aws.upload_bucket, USER, SESSION, put["VersionId"], file_name), "size": len(body)}


def _count_downloaded_bytes(s3_client) -> list[int]:
    fetched: list[int] = []

    def record(parsed, **_):
        fetched.append(parsed["ContentLength"])

    s3_client.meta.events.register("after-call.s3.GetObject", record)
    return fetched


def test_the_sample_upload_is_valid_and_only_its_directory_is_downloaded(
    aws, lambda_context, sample_zip_path
):
    # GIVEN the real sample upload in the upload bucket
    body = sample_zip_path.read_bytes()
    state = _state_for(aws, body, file_name="S001_imagery.zip")
    fetched = _count_downloaded_bytes(client("s3"))
    # WHEN the validate handler checks it
    summary = validate.handler(state, lambda_context)
    # THEN the recording is described and far less than the object was downloaded
    assert summary["csv"] == "S001_imagery.csv"
    assert summary["eegChannels"] == 8 and summary["frequencyHz"] == 160.0
    assert {member["name"] for member in summary["members"]} == {"S001_imagery.csv", "metadata.json"}
    assert summary["objectBytes"] == len(body) == 787103
    assert sum(fetched) == summary["bytesRead"]
    assert 0 < sum(fetched) < len(body) // 4
    # AND its run, predicted to need under 1 GiB, gets the default task
    assert summary["taskSize"] == {"cpu": DEFAULT_TASK_SIZE.cpu, "memoryMiB": DEFAULT_TASK_SIZE.memory_mib}
    # AND should that task run out of memory, its retry gets twice the memory, capped at the 3 GiB maximum
    assert summary["retryTaskSize"] == {"cpu": DEFAULT_TASK_SIZE.cpu, "memoryMiB": TASK_MEMORY_MAX_MIB}
    json.dumps(summary)


def _directory_entry() -> zipfile.ZipInfo:
    return zipfile.ZipInfo("data/")


def _one_byte_lost() -> bytes:
    """A good upload that lost a byte of its first member's data, as a broken transfer would."""
    body = _zip(_good_members())
    middle = 30 + len("recording.csv") + 5
    return body[:middle] + body[middle + 1 :]


def _with_metadata(text: str) -> bytes:
    stored = zipfile.ZipInfo("metadata.json")  # deep nesting deflates beyond the ratio limit
    return _zip([("recording.csv", CSV), (stored, text.encode())])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"this is plainly not a zip archive" * 10, "not a readable zip archive"),
        (_zip([*_good_members(), ("../evil.csv", b"1,2\n")]), "points outside the archive"),
        (_zip([("/etc/evil.json", b"{}"), *_good_members()]), "absolute path"),
        (_zip([*_good_members(), (_directory_entry(), b"")]), "files at its root only"),
        (_zip([("nested/recording.csv", CSV), ("metadata.json", b"{}")]), "files at its root only"),
        (_zip([*_good_members(), ("second.csv", CSV)]), "exactly one .csv file, found 2"),
        (_zip([("recording.csv", CSV)]), "no metadata.json at its root"),
        (_zip([("recording.csv", bytes(2_000_000)), ("metadata.json", b"{}")]), "expands"),
        (_zip([("recording.csv", CSV), ("metadata.json", b'{"Frequency": 160}')]), "EEGChannels"),
        (
            _zip([("recording.csv", CSV), ("metadata.json", b'{"EEGChannels": 1, "Frequency": 160}')]),
            "EEGChannels",
        ),
        (
            _zip([("recording.csv", CSV), ("metadata.json", b'{"EEGChannels": 8, "Frequency": 0}')]),
            "Frequency",
        ),
        (_zip([("recording.csv", CSV), ("metadata.json", b"not json")]), "not valid JSON"),
        (_one_byte_lost(), "not a readable zip archive"),
        (_zip([*_good_members(), (zipfile.ZipInfo(""), b"x")]), "empty name"),
        (_with_metadata('{"EEGChannels": 8, "Frequency": 160, "x": ' + "[" * 30_000 + "]" * 30_000 + "}"), "deeply"),
        (_with_metadata('{"EEGChannels": 1000000000, "Frequency": 160}'), "EEGChannels as a whole number from 2 to"),
        (_with_metadata('{"EEGChannels": ' + "9" * 400 + ', "Frequency": 160}'), "EEGChannels as a whole number"),
        (_with_metadata('{"EEGChannels": 8, "Frequency": ' + "9" * 400 + "}"), "Frequency"),
    ],
    ids=[
        "not-a-zip",
        "traversal",
        "absolute",
        "directory-entry",
        "nested",
        "two-csv",
        "no-metadata",
        "ratio-bomb",
        "no-channels",
        "one-channel",
        "zero-frequency",
        "metadata-not-json",
        "one-byte-lost",
        "empty-name",
        "metadata-nested-too-deeply",
        "a-billion-channels",
        "channels-beyond-float",
        "frequency-beyond-float",
    ],
)
def test_each_bad_upload_raises_invalid_upload_with_a_clear_message(aws, lambda_context, body, message):
    # GIVEN a bad upload
    state = _state_for(aws, body)
    # WHEN it is validated THEN InvalidUpload (the state machine error name) says what is wrong
    with pytest.raises(InvalidUpload, match=message) as raised:
        validate.handler(state, lambda_context)
    assert type(raised.value).__name__ == "InvalidUpload"


def test_a_zip_listing_too_many_members_is_refused_from_its_last_bytes(aws, lambda_context):
    # GIVEN a zip whose central directory lists 10,000 members (zipfile would fetch and build them all)
    body = _zip([(str(number), b"") for number in range(10_000)])
    state = _state_for(aws, body)
    fetched = _count_downloaded_bytes(client("s3"))
    # WHEN it is validated THEN it is refused from its end record, a few dozen bytes
    with pytest.raises(InvalidUpload, match="holds 10000 members"):
        validate.handler(state, lambda_context)
    assert sum(fetched) < 100 < len(body) // 1000


def test_an_upload_over_the_size_limit_is_rejected_before_it_is_read(aws):
    # GIVEN a valid zip one byte larger than the limit
    body = _zip(_good_members())
    run = RunInput.from_dict(_state_for(aws, body))
    fetched = _count_downloaded_bytes(client("s3"))
    # WHEN it is validated THEN it is rejected without downloading anything
    with pytest.raises(InvalidUpload, match=f"the upload is {len(body)} bytes long"):
        validate.validate_upload(
            client("s3"),
            run,
            default_task_size=DEFAULT_TASK_SIZE,
            task_memory_max_mib=TASK_MEMORY_MAX_MIB,
            limits=UploadLimits(max_upload_bytes=len(body) - 1),
        )
    assert fetched == []


def test_a_run_reads_exactly_its_version_after_a_newer_one_arrives(aws, lambda_context):
    # GIVEN a run for a valid version, and a newer, broken version of the same key
    state = _state_for(aws, _zip(_good_members()))
    aws.s3.put_object(Bucket=aws.upload_bucket, Key=state["key"], Body=b"newer, not a zip")
    requested_versions: list[str | None] = []
    client("s3").meta.events.register(
        "before-parameter-build.s3.*", lambda params, **_: requested_versions.append(params.get("VersionId"))
    )
    # WHEN it is validated
    summary = validate.handler(state, lambda_context)
    # THEN the run's version was checked, and only that version was read
    assert summary["objectBytes"] == state["size"]
    assert requested_versions and set(requested_versions) == {state["uploadVersion"]}


def test_a_deleted_upload_version_is_rejected(aws, lambda_context):
    state = _state_for(aws, _zip(_good_members()))
    aws.s3.delete_object(Bucket=aws.upload_bucket, Key=state["key"], VersionId=state["uploadVersion"])
    with pytest.raises(InvalidUpload, match="no longer exists"):
        validate.handler(state, lambda_context)


def _stored_upload(metadata: dict, csv: bytes) -> bytes:
    """A zip whose CSV is stored (a repeated row deflates beyond the ratio limit)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("recording.csv", csv)
    return buffer.getvalue()


@pytest.mark.slow
def test_a_64_channel_upload_gets_a_bigger_task_or_is_refused_above_the_maximum_from_its_first_rows(
    aws, lambda_context
):
    # GIVEN 50 minutes of 64 channels at 160 Hz (480,000 rows): about 2.3 GiB to train, more than
    # the default 2 GiB task
    # (short rows of one digit each, EEG at 0 V; rows of zeros only would not count towards the row length)
    row = ("0," * 64 + "1,0,\n").encode()
    metadata = {**METADATA, "EEGChannels": 64}
    body = _stored_upload(metadata, row * (50 * 60 * 160))
    state = _state_for(aws, body)
    fetched = _count_downloaded_bytes(client("s3"))
    # WHEN it is validated with a 3 GiB maximum THEN its run gets the next Fargate size, read from
    # its first rows
    with log_lines() as lines:
        summary = validate.handler(state, lambda_context)
    assert summary["taskSize"] == {"cpu": DEFAULT_TASK_SIZE.cpu, "memoryMiB": 3072}
    # AND, that being the maximum, no retry with a bigger task
    assert summary["retryTaskSize"] is None
    (valid,) = [line for line in lines if line["message"] == "upload is valid"]
    assert (valid["taskSize"], valid["sessionId"]) == (summary["taskSize"], SESSION)
    assert 2048 < summary["predictedPeakMiB"] <= 3072
    assert sum(fetched) < len(body) // 50
    # WHEN the maximum is the default task THEN it is refused with the facts and the limit
    run = RunInput.from_dict(state)
    with pytest.raises(InvalidUpload, match="64 channels × 50 min at 160 Hz") as raised:
        validate.validate_upload(
            client("s3"), run, default_task_size=DEFAULT_TASK_SIZE, task_memory_max_mib=DEFAULT_TASK_SIZE.memory_mib
        )
    assert "needs about 2.3 GiB of memory to train; this deployment's limit is 2.0 GiB" in raised.value.args[0]


def test_a_csv_without_line_breaks_is_refused_from_its_first_bytes(aws, lambda_context):
    # GIVEN an upload whose CSV is one 2 MB line
    body = _stored_upload(METADATA, b"0.5," * 500_000)
    state = _state_for(aws, body)
    # WHEN it is validated THEN it is refused as malformed, naming the line limit
    with pytest.raises(InvalidUpload, match=r"CSV row 1 is longer than \d+ characters"):
        validate.handler(state, lambda_context)


def test_eeg_beyond_volts_in_the_first_rows_is_refused_before_any_task(aws, lambda_context):
    # GIVEN an upload written in microvolts (its third row's second channel reads 12.5)
    rows = ["1e-05,-2e-05,0,0,", "3e-05,4e-05,0,0,", "-1.5e-05,12.5,0,0,"] * 2000
    metadata = {**METADATA, "EEGChannels": 2}
    state = _state_for(aws, _stored_upload(metadata, ("\r\n".join(rows) + "\r\n").encode()))
    # WHEN it is validated THEN it is refused, naming the first such sample as the classifier would
    with pytest.raises(InvalidUpload, match=r"CSV row 3, column 2: 12.5 is not an EEG sample in volts"):
        validate.handler(state, lambda_context)
