"""Uploads, container stand-ins and the served API the end-to-end tests share."""

from __future__ import annotations

import io
import json
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest
from joserfc.jwk import OctKey

from contracts.environment import ContainerVariable
from contracts.run_access import RUN_ACCESS_FIELD
from contracts.task_size import TaskSize
from sandbox.api_server import make_server, serve_in_background
from sandbox.cli import BUNDLED_SAMPLE, local_api_url
from sandbox.container_images import ImageUnavailable, pull_failure_reason
from sandbox.containers import ContainerLauncher
from sandbox.runner import LocalPipeline

FAKE_CONTAINERS = Path(__file__).with_name("fake_containers.py")
# Few permutations keep each training short; the p-value machinery is tested with the classifier.
FAST_TRAINING = {"FBCSP_PERMUTATIONS": "2"}
# The first of the sample's three runs: 20,000 rows, 15 trials of both classes.
FIRST_RUN_ROWS = 20_000
# C3, Cz and C4 among the sample's columns FC3 FC4 C3 Cz C4 CP3 CPz CP4.
MOTOR_STRIP_COLUMNS = slice(2, 5)
SAMPLE_EEG_CHANNELS = 8


def set_pipeline_environment(patch: pytest.MonkeyPatch, pipeline: LocalPipeline) -> None:
    """Set ``pipeline``'s variables (the emulator's endpoint, credentials and region) through ``patch``, so
    that the handlers this process calls reach that pipeline's emulator."""
    for name, value in pipeline.environment.items():
        patch.setenv(name, value)


def sample_members() -> dict[str, bytes]:
    with zipfile.ZipFile(BUNDLED_SAMPLE) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(destination: Path, members: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    destination.write_bytes(buffer.getvalue())
    return destination


def _csv_name(members: dict[str, bytes]) -> str:
    return next(name for name in members if name.endswith(".csv"))


def with_csv_rows(members: dict[str, bytes], transform) -> dict[str, bytes]:
    """The members with the CSV's rows (text lines) passed through ``transform``."""
    csv_name = _csv_name(members)
    rows = transform(members[csv_name].decode().splitlines())
    return {**members, csv_name: ("\n".join(rows) + "\n").encode()}


def small_recording(destination: Path) -> Path:
    """A real recording small enough for many sessions: the sample's first run only."""
    return write_zip(destination, with_csv_rows(sample_members(), lambda rows: rows[:FIRST_RUN_ROWS]))


def smallest_recording(destination: Path) -> Path:
    """The first run over C3, Cz and C4 only: the cheapest real recording that still trains (a third
    less CPU per container than :func:`small_recording`)."""

    def keep_motor_strip(row: str) -> str:
        values = row.split(",")
        return ",".join([*values[MOTOR_STRIP_COLUMNS], *values[SAMPLE_EEG_CHANNELS:]])

    members = with_csv_rows(sample_members(), lambda rows: [keep_motor_strip(row) for row in rows[:FIRST_RUN_ROWS]])
    metadata = json.loads(members["metadata.json"])
    metadata["EEGChannels"] = len(range(SAMPLE_EEG_CHANNELS)[MOTOR_STRIP_COLUMNS])
    return write_zip(destination, {**members, "metadata.json": json.dumps(metadata).encode()})


#: Samples between two cues of :func:`dense_cue_upload`: just over the classifier's 1 s minimum at 160 Hz.
DENSE_CUE_SPACING = 161
#: Samples each of its cues is held on the trigger, and the seconds kept free of cues at either end
#: (an epoch spans -3 s to +7 s around its cue).
_CUE_SAMPLES, _CUE_FREE_START_S, _CUE_FREE_END_S = 20, 3, 7


def dense_cue_upload(destination: Path) -> Path:
    """The sample's rows three times over with T1 and T2 alternating every second (about 1,090 cues) where
    the paradigm has one every 8 s: Validate bounds it to 139 cues and predicts about 970 MiB (a 1 GiB task
    at least), while its training's resident memory is over 1 GiB for more than half its run and peaks at
    about 1,400-1,460 MiB (measured 2026-12-03 with `FBCSP_TASK_CPU=256 python -m fbcsp train UPLOAD
    --permutations 2`, resident memory polled every 50 ms as the sandbox polls it; the sample once or twice
    over stays within 1 GiB, or nearly, since the analysis' budget came to count its features)."""
    sfreq = int(json.loads(sample_members()["metadata.json"])["Frequency"])

    def trigger(sample: int, first: int, last: int) -> int:
        offset = sample - first
        if not first <= sample < last or offset % DENSE_CUE_SPACING >= _CUE_SAMPLES:
            return 0
        return 1 + (offset // DENSE_CUE_SPACING) % 2

    def with_dense_cues(rows: list[str]) -> list[str]:
        # each row ends "<classifier column>,<trigger>,": the trigger is the second field from the end
        first, last = _CUE_FREE_START_S * sfreq, len(rows) - _CUE_FREE_END_S * sfreq
        split = [row.split(",") for row in rows]
        return [
            ",".join([*values[:-2], str(trigger(sample, first, last)), values[-1]])
            for sample, values in enumerate(split)
        ]

    return write_zip(destination, with_csv_rows(sample_members(), lambda rows: with_dense_cues(rows * 3)))


def four_times_the_sample(destination: Path) -> Path:
    """The sample's rows four times over: 25 minutes, predicted to need more than 2 GiB."""
    return write_zip(destination, with_csv_rows(sample_members(), lambda rows: rows * 4))


def one_class_upload(destination: Path) -> Path:
    """The sample with every T2 cue erased from the trigger column: well formed, one class."""
    return write_zip(
        destination,
        with_csv_rows(sample_members(), lambda rows: [row[: -len("2,")] + "0," if row.endswith(",2,") else row
                                                      for row in rows]),
    )


def nan_upload(destination: Path) -> Path:
    """The sample with one sample of the first channel replaced by NaN."""

    def spoil(rows: list[str]) -> list[str]:
        first = rows[1000].split(",")
        return [*rows[:1000], ",".join(["NaN", *first[1:]]), *rows[1001:]]

    return write_zip(destination, with_csv_rows(sample_members(), spoil))


def dead_electrode_upload(destination: Path) -> Path:
    """The sample with its first channel (C3) written as zeros throughout: an unconnected electrode."""
    return write_zip(
        destination, with_csv_rows(sample_members(), lambda rows: ["0.0" + row[row.index(",") :] for row in rows])
    )


def two_csv_upload(destination: Path) -> Path:
    members = sample_members()
    return write_zip(destination, {**members, "second.csv": members[_csv_name(members)][:1000]})


def no_metadata_upload(destination: Path) -> Path:
    members = sample_members()
    return write_zip(destination, {name: content for name, content in members.items() if name.endswith(".csv")})


class ScriptedLauncher(ContainerLauncher):
    """Runs the real classifier, except for sessions whose id (or whose user's id) names a behaviour.

    ``fake-<mode>-...`` runs ``fake_containers.py <mode>`` with the image's command;
    ``image-missing-...`` names an image that cannot be pulled. The user id serves for sessions whose
    id the API makes (``POST /sessions``).
    """

    def command(self, image, environment, **task):
        session_id = environment.get("SESSION_ID", "")
        if session_id.startswith("image-missing"):
            raise ImageUnavailable(pull_failure_reason("123456789012.dkr.ecr.eu-west-2.amazonaws.com/eeg:gone"))
        command = super().command(image, environment, **task)
        scripted = [name for name in (session_id, environment.get("USER_ID", "")) if name.startswith("fake-")]
        if scripted:
            mode = scripted[0].removeprefix("fake-").rsplit("-", 1)[0]
            return (sys.executable, str(FAKE_CONTAINERS), mode, *command)
        return command


@contextmanager
def served_api(pipeline: LocalPipeline, key: OctKey) -> Iterator[str]:
    """The Status API of ``pipeline`` on a free port, as ``sandbox serve`` runs it; yields its URL."""
    server = make_server(pipeline.api_handler(), key, port=0)
    serve_in_background(server)
    try:
        yield local_api_url(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def client_as_role(pipeline, role_logical_name: str, service: str):
    """A client of the emulator signed with the credentials of one declared role."""
    (role,) = [item for item in pipeline.deployed.of_type("aws:iam/role:Role") if item.name == role_logical_name]
    credentials = pipeline.roles.environment(role.outputs["arn"])
    return boto3.session.Session(
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
        region_name=pipeline.settings.region,
    ).client(service, endpoint_url=pipeline.endpoint)


def execution_end(sfn, execution_arn: str, timeout_seconds: float = 300) -> dict:
    """The described execution once it is no longer running (the timeout is a safety net on a loaded machine)."""
    deadline = time.monotonic() + timeout_seconds
    while (described := sfn.describe_execution(executionArn=execution_arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise AssertionError("the execution did not finish")
        time.sleep(0.05)
    return described


#: The query parameter every presigned URL carries.
SIGNATURE_PARAMETER = "X-Amz-Signature"


def presigned_run_accesses(sfn, execution_arn: str) -> list[str]:
    """The ``RUN_ACCESS`` values the execution's PresignRun steps put in its state, one per training."""
    history = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [
        json.loads(event["stateExitedEventDetails"]["output"])[RUN_ACCESS_FIELD]
        for event in history
        if event.get("stateExitedEventDetails", {}).get("name") == "PresignRun"
    ]


def shown_beyond_history(described: dict) -> str:
    """What an ended execution shows besides its history: its output, error and cause, as DescribeExecution
    gives them and its status-change event on the default bus carries them."""
    return json.dumps([described.get(field) for field in ("output", "error", "cause")])


def task_of_run(pipeline, run_id: str) -> dict:
    """The ECS task (as ``DescribeTasks`` describes it) whose container was given ``run_id``."""
    ecs, cluster = pipeline.session.client("ecs"), pipeline.stack.cluster_arn
    task_arns = ecs.list_tasks(cluster=cluster)["taskArns"]
    for task in ecs.describe_tasks(cluster=cluster, tasks=task_arns)["tasks"] if task_arns else []:
        variables = {
            variable["name"]: variable["value"]
            for override in task["overrides"]["containerOverrides"]
            for variable in override.get("environment", [])
        }
        if variables.get(ContainerVariable.RUN_ID) == run_id:
            return task
    raise LookupError(f"no task was run for {run_id}")


def subscribe_a_queue(pipeline) -> str:
    """A queue receiving the notification topic's messages, as an operator's subscriber would."""
    sqs = pipeline.session.client("sqs")
    queue_url = sqs.create_queue(QueueName="notifications-probe")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pipeline.session.client("sns").subscribe(
        TopicArn=pipeline.stack.topic_arn, Protocol="sqs", Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    return queue_url


def notification_bodies(pipeline) -> list[dict]:
    """Every notification the queue of :func:`subscribe_a_queue` holds (and takes them off it)."""
    sqs, bodies = pipeline.session.client("sqs"), []
    while batch := sqs.receive_message(
        QueueUrl=pipeline.notifications_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    ).get("Messages", []):
        bodies += [json.loads(message["Body"]) for message in batch]
    return bodies


#: Config keys (of Pulumi.dev.yaml) for tasks smaller than the dev stack's: a default task too small
#: for any recording (every prediction exceeds 512 MiB) and a 1 GiB maximum, which the bundled
#: recordings fit; so each run is given a bigger task than the default, and one needing more is refused.
SMALL_TASK = {"taskCpu": 256, "taskMemory": 512, "taskMemoryMax": 1024}
#: The task every run of a SMALL_TASK stack is given: 1 GiB holds the real classifier (peak RSS about
#: 0.6 GB) and stops a runaway quickly.
SIZED_TASK = TaskSize(SMALL_TASK["taskCpu"], SMALL_TASK["taskMemoryMax"])
