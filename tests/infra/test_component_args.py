"""Argument classes reject bad combinations before any resource is declared (no engine needed)."""

import dataclasses

import pytest

from components.cluster import ClassifierClusterArgs
from components.lambda_function import LambdaFunctionSpec
from components.policies import validate_function_policy
from components.state_machine_args import ProcessingStateMachineArgs
from components.status_api_args import StatusApiArgs
from components.storage import PipelineStorageArgs, StorageLocations
from contracts.task_size import TaskSize

pytestmark = pytest.mark.unit

BUCKET_ARN = "arn:aws:s3:::bucket"
STORAGE = StorageLocations(
    **dict.fromkeys((field.name for field in dataclasses.fields(StorageLocations)), "value")
)


def test_storage_rejects_a_zero_day_lifecycle():
    with pytest.raises(ValueError, match="upload_expiration_days must be at least 1 day"):
        PipelineStorageArgs(upload_expiration_days=0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"task_cpu": 256, "task_memory": 4096}, "not a Fargate size"),
        ({"subnet_ids": ["subnet-1"]}, "must be given together"),
        ({"subnet_ids": [], "security_group_ids": []}, "must not be empty"),
        ({}, "table_arns must name the stack's tables"),
    ],
)
def test_cluster_args_reject_invalid_sizes_and_half_given_networks(overrides, message):
    with pytest.raises(ValueError, match=message):
        ClassifierClusterArgs(upload_bucket_arn=BUCKET_ARN, results_bucket_arn=BUCKET_ARN, **overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"train_timeout_seconds": 10}, "train_timeout_seconds must be at least 60"),
        ({"max_receive_count": 0}, "max_receive_count must be at least 1"),
        ({"max_active_runs_per_user": 0}, "max_active_runs_per_user must be at least 1"),
        ({"start_max_concurrency": 1}, "start_max_concurrency must be within"),
        ({"task_memory_max_mib": 1024}, "below the default task's 2048 MiB"),
        ({"default_task_size": TaskSize(256, 4096)}, "not a Fargate size"),
    ],
)
def test_state_machine_args_reject_out_of_range_values(overrides, message):
    cluster_references = dict.fromkeys(
        ("cluster_arn", "cluster_name", "task_definition_arn", "execution_role_arn"), "value"
    )
    with pytest.raises(ValueError, match=message):
        ProcessingStateMachineArgs(
            storage=STORAGE,
            **cluster_references,
            subnet_ids=["s"],
            security_group_ids=["g"],
            **{"default_task_size": TaskSize(1024, 2048), "task_memory_max_mib": 8192, **overrides},
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"jwt_issuer": "https://issuer.example.org"}, "must be given together"),
        ({"jwt_issuer": "http://issuer.example.org", "jwt_audience": ["a"]}, "https://"),
        ({"jwt_issuer": "https://issuer.example.org", "jwt_audience": []}, "at least one audience"),
        ({"throttling_rate_limit": 0}, "throttling limits must be positive"),
        ({"cors_allow_origins": ["*"]}, "must name origins, not"),
        ({"max_upload_requests_per_minute": 0}, "max_upload_requests_per_minute must be at least 1"),
    ],
)
def test_status_api_args_reject_inconsistent_issuer_settings(overrides, message):
    with pytest.raises(ValueError, match=message):
        StatusApiArgs(storage=STORAGE, alarm_topic_arn="arn:aws:sns:eu-west-2:123456789012:topic", **overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"module": "no_such_handler"}, r"handlers/no_such_handler.py does not exist"),
        ({"timeout_seconds": 901}, "outside Lambda's 1..900"),
        ({"memory_mb": 64}, "outside Lambda's 128..10240"),
        ({"reserved_concurrency": 0}, "reserved_concurrency must be at least 1"),
    ],
)
def test_lambda_spec_rejects_missing_handlers_and_invalid_sizes(overrides, message):
    arguments = {
        "part": "validate-fn",
        "module": "validate",
        "memory_mb": 256,
        "timeout_seconds": 60,
        "environment": {},
        "policy_builder": validate_function_policy,
    }
    with pytest.raises(ValueError, match=message):
        LambdaFunctionSpec(**{**arguments, **overrides})
