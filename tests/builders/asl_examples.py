"""What the ASL tests build the state machine definition from, and what they expect of it.

The fixed resources and training timeout, the errors each kind of task may retry, and the names of
the Lambda and Task states.
"""

from __future__ import annotations

from components.asl import AslResources

ACCOUNT_SCOPE = "eu-west-2:123456789012"
RESOURCES = AslResources(
    validate_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-validate-fn",
    presign_run_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-presign-run-fn",
    process_results_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-process-results-fn",
    record_failure_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-record-failure-fn",
    status_table_name="storage-status-3f9a",
    cluster_arn=f"arn:aws:ecs:{ACCOUNT_SCOPE}:cluster/classifier-cluster-3f9a",
    task_definition_arn=f"arn:aws:ecs:{ACCOUNT_SCOPE}:task-definition/classifier-classifier-dev:4",
    container_name="classifier",
    subnet_ids=("subnet-0a1b2c3d", "subnet-4e5f6a7b"),
    security_group_ids=("sg-0c1d2e3f",),
    topic_arn=f"arn:aws:sns:{ACCOUNT_SCOPE}:processing-topic-3f9a",
)
TRAIN_TIMEOUT_SECONDS = 5400

LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
ECS_CAPACITY_ERRORS = (
    "ECS.AmazonECSException",
    "ECS.ServerException",
    "ECS.ThrottlingException",
    "ECS.LimitExceededException",
    "AmazonECS.Unknown",
)
DYNAMODB_TRANSIENT_ERRORS = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.InternalServerErrorException",
)
SNS_TRANSIENT_ERRORS = (
    "SNS.InternalErrorException",
    "SNS.KMSThrottlingException",
    "SNS.ThrottlingException",
)
NOTIFY_STATES = ("NotifySuccess", "NotifyFailure")
LAMBDA_STATES = ("Validate", "PresignRun", "ProcessResults", "RecordFailure")
DYNAMODB_STATES = ("MarkProcessing", "RecordRetryTaskSize")
TASK_STATES = (*LAMBDA_STATES, *DYNAMODB_STATES, "TrainClassifier", *NOTIFY_STATES)
