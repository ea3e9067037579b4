"""Fixtures for the handler tests: real-shape events, and moto with the pipeline's tables, buckets,
queue and state machine created as the Pulumi program declares them (keys, versioning)."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from handler_support import (
    ACCOUNT,
    ACTIVE_RUN_WINDOW_SECONDS,
    DEFAULT_TASK_SIZE,
    MAX_ACTIVE_RUNS_PER_USER,
    MAX_UPLOAD_REQUESTS_PER_MINUTE,
    PIPELINE_NAME,
    REGION,
    SESSION,
    TASK_MEMORY_MAX_MIB,
    USER,
    LambdaContext,
    create_limits_table,
    create_session_table,
    mark_processing,
    record_received,
    run_state,
)
from handler_support import load_event as read_event
from moto import mock_aws

from contracts.environment import FunctionVariable
from handlers.common import clients
from handlers.common.status import StatusStore


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    """``load_event(name)`` returns a fresh copy of ``tests/events/{name}.json`` to edit in the test."""
    return read_event


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@dataclass(frozen=True)
class Stack:
    upload_bucket: str
    results_bucket: str
    status_table: str
    classifier_table: str
    limits_table: str
    queue_url: str
    state_machine_arn: str
    s3: Any
    dynamodb: Any
    stepfunctions: Any


@pytest.fixture(scope="session")
def fixture_clients(boto3_session: boto3.session.Session) -> dict[str, Any]:
    """The clients `aws` creates the resources with, made once: moto serves a client made before
    ``mock_aws`` starts as well, and each start empties the emulated services, so only the client
    objects are shared (making four per test was most of the fixture's time). Session fixtures are set
    up before the per-test fake environment, so the fake credentials are given here."""
    return {
        service: boto3_session.client(
            service,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's fake keys
        )
        for service in ("s3", "dynamodb", "stepfunctions", "sqs")
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, fixture_clients: dict[str, Any]) -> Iterator[Stack]:
    """Moto with the pipeline's resources, and the Lambda environment pointing at them."""
    with mock_aws():
        clients.clear_cache()
        s3, dynamodb, stepfunctions = (fixture_clients[name] for name in ("s3", "dynamodb", "stepfunctions"))
        for bucket in ("eeg-test-uploads", "eeg-test-results"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        for table in ("eeg-test-status", "eeg-test-classifiers"):
            create_session_table(dynamodb, table)
        create_limits_table(dynamodb, "eeg-test-limits")
        queue_url = fixture_clients["sqs"].create_queue(QueueName="eeg-test-uploads-queue")["QueueUrl"]
        # No execution is run here: moto stores StartExecution calls, which is what the tests assert.
        state_machine_arn = stepfunctions.create_state_machine(
            name="eeg-test-pipeline",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/eeg-test-states",
        )["stateMachineArn"]
        stack = Stack(
            upload_bucket="eeg-test-uploads",
            results_bucket="eeg-test-results",
            status_table="eeg-test-status",
            classifier_table="eeg-test-classifiers",
            limits_table="eeg-test-limits",
            queue_url=queue_url,
            state_machine_arn=state_machine_arn,
            s3=s3,
            dynamodb=dynamodb,
            stepfunctions=stepfunctions,
        )
        for name, value in {
            FunctionVariable.STATUS_TABLE: stack.status_table,
            FunctionVariable.CLASSIFIER_TABLE: stack.classifier_table,
            FunctionVariable.UPLOAD_BUCKET: stack.upload_bucket,
            FunctionVariable.RESULTS_BUCKET: stack.results_bucket,
            FunctionVariable.STATE_MACHINE_ARN: stack.state_machine_arn,
            FunctionVariable.LIMITS_TABLE: stack.limits_table,
            FunctionVariable.MAX_UPLOAD_REQUESTS_PER_MINUTE: str(MAX_UPLOAD_REQUESTS_PER_MINUTE),
            FunctionVariable.MAX_ACTIVE_RUNS_PER_USER: str(MAX_ACTIVE_RUNS_PER_USER),
            FunctionVariable.ACTIVE_RUN_WINDOW_SECONDS: str(ACTIVE_RUN_WINDOW_SECONDS),
            FunctionVariable.TASK_CPU: str(DEFAULT_TASK_SIZE.cpu),
            FunctionVariable.TASK_MEMORY_MIB: str(DEFAULT_TASK_SIZE.memory_mib),
            FunctionVariable.TASK_MEMORY_MAX_MIB: str(TASK_MEMORY_MAX_MIB),
            FunctionVariable.RUN_ACCESS_SECONDS: str(ACTIVE_RUN_WINDOW_SECONDS),
            FunctionVariable.PIPELINE_NAME: PIPELINE_NAME,
            FunctionVariable.LOG_LEVEL: "DEBUG",
        }.items():
            monkeypatch.setenv(name, value)
        yield stack
        clients.clear_cache()


@pytest.fixture
def processing_run(aws: Stack) -> dict[str, Any]:
    """The state of a run that is PROCESSING (start and MarkProcessing done) for USER and SESSION."""
    state = run_state(aws.upload_bucket, USER, SESSION, "v1")
    record_received(StatusStore(aws.dynamodb, aws.status_table), state)
    mark_processing(aws.dynamodb, aws.status_table, state)
    return state
