"""The IAM documents the builders tests check, built from fixed ARNs.

Every identity policy of ``components.policies`` and every trust, resource and key policy of
``components.resource_policies``, the resources each identity policy may name, and ``widened`` for the
negative twins that add a statement to a built document.
"""

from __future__ import annotations

import copy

from components import policies, resource_policies

REGION, ACCOUNT_ID = "eu-west-2", "123456789012"
SCOPE = f"{REGION}:{ACCOUNT_ID}"
UPLOAD_BUCKET_ARN = "arn:aws:s3:::storage-uploads-3f9a"
RESULTS_BUCKET_ARN = "arn:aws:s3:::storage-results-3f9a"
STATUS_TABLE_ARN = f"arn:aws:dynamodb:{SCOPE}:table/storage-status-3f9a"
CLASSIFIER_TABLE_ARN = f"arn:aws:dynamodb:{SCOPE}:table/storage-classifiers-3f9a"
LIMITS_TABLE_ARN = f"arn:aws:dynamodb:{SCOPE}:table/storage-limits-3f9a"
LOG_GROUP_ARN = f"arn:aws:logs:{SCOPE}:log-group:/aws/lambda/processing-fn-3f9a"
QUEUE_ARN = f"arn:aws:sqs:{SCOPE}:processing-upload-queue-3f9a"
RECONCILE_DLQ_ARN = f"arn:aws:sqs:{SCOPE}:processing-reconcile-dlq-3f9a"
RULE_ARN = f"arn:aws:events:{SCOPE}:rule/processing-upload-created-3f9a"
STATE_MACHINE_ARN = f"arn:aws:states:{SCOPE}:stateMachine:processing-3f9a"
STATE_MACHINE_EXECUTIONS = f"arn:aws:states:{SCOPE}:execution:processing-3f9a:*"
REPOSITORY_ARN = f"arn:aws:ecr:{SCOPE}:repository/classifier-repo-3f9a"
CLUSTER_ARN = f"arn:aws:ecs:{SCOPE}:cluster/classifier-cluster-3f9a"
TASK_DEFINITION_ARN = f"arn:aws:ecs:{SCOPE}:task-definition/classifier-classifier-dev:4"
#: Every revision of its family: what the state machine may run (executions keep the revision they started with).
TASK_DEFINITION_REVISIONS = f"arn:aws:ecs:{SCOPE}:task-definition/classifier-classifier-dev:*"
EXECUTION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/classifier-execution-role-3f9a"
TOPIC_ARN = f"arn:aws:sns:{SCOPE}:processing-topic-3f9a"
TOPIC_KEY_ARN = f"arn:aws:kms:{SCOPE}:key/0b7e3c4a-1d2f-4e5a-9b8c-7d6e5f4a3b2c"
FUNCTION_ARNS = tuple(
    f"arn:aws:lambda:{SCOPE}:function:processing-{part}-fn-3f9a"
    for part in ("validate", "presign-run", "process-results", "record-failure")
)

UPLOAD_OBJECTS = f"{UPLOAD_BUCKET_ARN}/uploads/*"
RESULT_OBJECTS = f"{RESULTS_BUCKET_ARN}/results/*"
LOG_STREAMS = f"{LOG_GROUP_ARN}:*"

# Written out here rather than imported, so that widening the module's exception list fails a test.
XRAY_WRITES = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
STAR_RESOURCE_ACTIONS = frozenset(
    {
        *XRAY_WRITES,
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "ecr:GetAuthorizationToken",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)


def identity_documents() -> dict[str, dict]:
    """Every identity policy, built from the ARNs above."""
    return {
        "start": policies.start_function_policy(
            log_group_arn=LOG_GROUP_ARN,
            queue_arn=QUEUE_ARN,
            status_table_arn=STATUS_TABLE_ARN,
            state_machine_arn=STATE_MACHINE_ARN,
        ),
        "validate": policies.validate_function_policy(
            log_group_arn=LOG_GROUP_ARN, upload_bucket_arn=UPLOAD_BUCKET_ARN
        ),
        "process_results": policies.process_results_function_policy(
            log_group_arn=LOG_GROUP_ARN,
            results_bucket_arn=RESULTS_BUCKET_ARN,
            status_table_arn=STATUS_TABLE_ARN,
            classifier_table_arn=CLASSIFIER_TABLE_ARN,
        ),
        "record_failure": policies.record_failure_function_policy(
            log_group_arn=LOG_GROUP_ARN,
            results_bucket_arn=RESULTS_BUCKET_ARN,
            status_table_arn=STATUS_TABLE_ARN,
        ),
        "reconcile": policies.reconcile_function_policy(
            log_group_arn=LOG_GROUP_ARN, status_table_arn=STATUS_TABLE_ARN, dead_letter_queue_arn=RECONCILE_DLQ_ARN
        ),
        "api": policies.api_function_policy(
            log_group_arn=LOG_GROUP_ARN,
            status_table_arn=STATUS_TABLE_ARN,
            classifier_table_arn=CLASSIFIER_TABLE_ARN,
            upload_bucket_arn=UPLOAD_BUCKET_ARN,
            results_bucket_arn=RESULTS_BUCKET_ARN,
            limits_table_arn=LIMITS_TABLE_ARN,
        ),
        "presign_run": policies.presign_run_function_policy(
            log_group_arn=LOG_GROUP_ARN, upload_bucket_arn=UPLOAD_BUCKET_ARN, results_bucket_arn=RESULTS_BUCKET_ARN
        ),
        "execution_role": policies.execution_role_policy(
            repository_arn=REPOSITORY_ARN, log_group_arn=LOG_GROUP_ARN
        ),
        "state_machine": policies.state_machine_policy(
            region=REGION,
            account_id=ACCOUNT_ID,
            function_arns=list(FUNCTION_ARNS),
            status_table_arn=STATUS_TABLE_ARN,
            cluster_arn=CLUSTER_ARN,
            task_definition_arn=TASK_DEFINITION_ARN,
            execution_role_arn=EXECUTION_ROLE_ARN,
            topic_arn=TOPIC_ARN,
            topic_key_arn=TOPIC_KEY_ARN,
        ),
    }


def resource_documents() -> dict[str, dict]:
    """Trust, resource and key policies."""
    return {
        "assume_role": policies.assume_role_policy("lambda.amazonaws.com"),
        "queue": resource_policies.queue_policy(queue_arn=QUEUE_ARN, rule_arn=RULE_ARN),
        "tls_only_bucket": resource_policies.tls_only_bucket_policy(bucket_arn=UPLOAD_BUCKET_ARN),
        "topic_key": resource_policies.topic_key_policy(account_id=ACCOUNT_ID),
    }


def all_documents() -> dict[str, dict]:
    return {**identity_documents(), **resource_documents()}


#: The resources each identity policy may name: exactly the ARNs and prefixes it was given.
ALLOWED_RESOURCES = {
    "start": {LOG_STREAMS, QUEUE_ARN, STATUS_TABLE_ARN, STATE_MACHINE_ARN, STATE_MACHINE_EXECUTIONS},
    "validate": {LOG_STREAMS, UPLOAD_OBJECTS, UPLOAD_BUCKET_ARN},
    "process_results": {
        LOG_STREAMS,
        RESULT_OBJECTS,
        RESULTS_BUCKET_ARN,
        STATUS_TABLE_ARN,
        CLASSIFIER_TABLE_ARN,
    },
    "record_failure": {LOG_STREAMS, RESULT_OBJECTS, RESULTS_BUCKET_ARN, STATUS_TABLE_ARN},
    "reconcile": {LOG_STREAMS, STATUS_TABLE_ARN, RECONCILE_DLQ_ARN},
    "api": {
        LOG_STREAMS,
        STATUS_TABLE_ARN,
        CLASSIFIER_TABLE_ARN,
        UPLOAD_OBJECTS,
        RESULT_OBJECTS,
        LIMITS_TABLE_ARN,
    },
    "presign_run": {LOG_STREAMS, UPLOAD_OBJECTS, RESULT_OBJECTS},
    "execution_role": {REPOSITORY_ARN, LOG_STREAMS},
    "state_machine": {
        *FUNCTION_ARNS,
        *(f"{arn}:*" for arn in FUNCTION_ARNS),
        STATUS_TABLE_ARN,
        TASK_DEFINITION_REVISIONS,
        f"arn:aws:ecs:{SCOPE}:task/classifier-cluster-3f9a/*",
        f"arn:aws:events:{SCOPE}:rule/StepFunctionsGetEventsForECSTaskRule",
        EXECUTION_ROLE_ARN,
        TOPIC_ARN,
        TOPIC_KEY_ARN,
    },
}


def widened(document: dict, statement: dict) -> dict:
    copied = copy.deepcopy(document)
    copied["Statement"].append(statement)
    return copied
