"""Policies of the VPC endpoints (components.endpoint_policies), as pure documents."""

import pytest
from iam_checks import allows
from iam_examples import (
    LIMITS_TABLE_ARN,
    REGION,
    REPOSITORY_ARN,
    RESULTS_BUCKET_ARN,
    SCOPE,
    STATUS_TABLE_ARN,
    UPLOAD_BUCKET_ARN,
)

from components import endpoint_policies
from policy.rules import wildcard_action_problems

pytestmark = pytest.mark.unit

TABLE_ARNS = [STATUS_TABLE_ARN, LIMITS_TABLE_ARN]
TASK_LOG_GROUP_ARN = f"arn:aws:logs:{SCOPE}:log-group:classifier-task-logs-3f9a"


def documents():
    return {
        "s3": endpoint_policies.s3_endpoint_policy(
            region=REGION, upload_bucket_arn=UPLOAD_BUCKET_ARN, results_bucket_arn=RESULTS_BUCKET_ARN
        ),
        "dynamodb": endpoint_policies.dynamodb_endpoint_policy(table_arns=TABLE_ARNS),
        "ecr": endpoint_policies.ecr_endpoint_policy(repository_arn=REPOSITORY_ARN),
        "logs": endpoint_policies.logs_endpoint_policy(log_group_arn=TASK_LOG_GROUP_ARN),
    }


@pytest.mark.parametrize("name", sorted(documents()))
def test_every_endpoint_policy_lists_its_actions_and_names_its_resources(name):
    document = documents()[name]

    assert wildcard_action_problems(document) == []
    for statement in document["Statement"]:
        assert statement["Principal"] == "*"
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert resources != ["*"] or statement["Action"] == ["ecr:GetAuthorizationToken"]


def test_the_s3_endpoint_reaches_the_stacks_uploads_and_results_and_ecrs_layer_bucket_only():
    document = documents()["s3"]

    assert allows(document, "s3:GetObject", f"{UPLOAD_BUCKET_ARN}/uploads/u1/s1/rec.zip")
    assert allows(document, "s3:PutObject", f"{RESULTS_BUCKET_ARN}/results/u1/s1/run-1/manifest.json")
    assert allows(document, "s3:GetObject", "arn:aws:s3:::prod-eu-west-2-starport-layer-bucket/sha256/ab12")
    assert not allows(document, "s3:PutObject", f"{UPLOAD_BUCKET_ARN}/uploads/u1/s1/rec.zip")
    assert not allows(document, "s3:GetObject", "arn:aws:s3:::someone-elses-bucket/data.csv")
    assert not allows(document, "s3:PutObject", "arn:aws:s3:::attacker-drop-bucket/eeg.zip")
    assert not allows(document, "s3:GetObject", "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/x")


def test_the_dynamodb_endpoint_reaches_the_stacks_tables_only():
    document = documents()["dynamodb"]

    assert all(allows(document, "dynamodb:UpdateItem", arn) for arn in TABLE_ARNS)
    assert not allows(document, "dynamodb:GetItem", f"arn:aws:dynamodb:{SCOPE}:table/other")
    assert not allows(document, "dynamodb:Scan", TABLE_ARNS[0])
    with pytest.raises(ValueError, match="table_arns"):
        endpoint_policies.dynamodb_endpoint_policy(table_arns=[])


def test_the_ecr_and_logs_endpoints_reach_the_stacks_repository_and_log_group_only():
    ecr, logs = documents()["ecr"], documents()["logs"]

    assert allows(ecr, "ecr:BatchGetImage", REPOSITORY_ARN)
    assert not allows(ecr, "ecr:BatchGetImage", f"arn:aws:ecr:{SCOPE}:repository/other")
    assert not allows(ecr, "ecr:PutImage", REPOSITORY_ARN)
    assert allows(logs, "logs:PutLogEvents", f"{TASK_LOG_GROUP_ARN}:log-stream:classifier/classifier/t1")
    assert not allows(logs, "logs:PutLogEvents", f"arn:aws:logs:{SCOPE}:log-group:other:*")
    assert not allows(logs, "logs:GetLogEvents", f"{TASK_LOG_GROUP_ARN}:log-stream:classifier/classifier/t1")
