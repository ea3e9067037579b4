"""IAM documents built by ``components.policies`` and ``components.resource_policies`` (no Pulumi engine, no AWS)."""

from __future__ import annotations

import copy
import json

import pytest
from iam_checks import (
    allows,
    as_list,
    conditions_of,
    grants,
    resource_scope_problems,
    resources_of,
    service_wide_statements,
    statements,
)

from components import policies, resource_policies
from policy.rules import wildcard_action_problems

pytestmark = pytest.mark.unit

REGION, ACCOUNT_ID = "eu-west-2", "123456789012"
SCOPE = f"{REGION}:{ACCOUNT_ID}"
UPLOAD_BUCKET_ARN = "arn:aws:s3:::storage-uploads-3f9a"
RESULTS_BUCKET_ARN = "arn:aws:s3:::storage-results-3f9a"
STATUS_TABLE_ARN = f"arn:aws:dynamodb:{SCOPE}:table/storage-status-3f9a"
CLASSIFIER_TABLE_ARN = f"arn:aws:dynamodb:{SCOPE}:table/storage-classifiers-3f9a"
LIMITS_TABLE_ARN = f"arn:aws:dynamodb:{SCOPE}:table/storage-limits-3f9a"
LOG_GROUP_ARN = f"arn:aws:logs:{SCOPE}:log-group:/aws/lambda/processing-fn-3f9a"
QUEUE_ARN = f"arn:aws:sqs:{SCOPE}:processing-upload-queue-3f9a"
RULE_ARN = f"arn:aws:events:{SCOPE}:rule/processing-upload-created-3f9a"
STATE_MACHINE_ARN = f"arn:aws:states:{SCOPE}:stateMachine:processing-3f9a"
REPOSITORY_ARN = f"arn:aws:ecr:{SCOPE}:repository/classifier-repo-3f9a"
CLUSTER_ARN = f"arn:aws:ecs:{SCOPE}:cluster/classifier-cluster-3f9a"
TASK_DEFINITION_ARN = f"arn:aws:ecs:{SCOPE}:task-definition/classifier-classifier-dev:4"
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


def function_basics() -> set[tuple[str, str]]:
    return {
        ("logs:CreateLogStream", LOG_STREAMS),
        ("logs:PutLogEvents", LOG_STREAMS),
        *((action, "*") for action in XRAY_WRITES),
    }


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
            log_group_arn=LOG_GROUP_ARN, status_table_arn=STATUS_TABLE_ARN
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
    "start": {LOG_STREAMS, QUEUE_ARN, STATUS_TABLE_ARN, STATE_MACHINE_ARN},
    "validate": {LOG_STREAMS, UPLOAD_OBJECTS, UPLOAD_BUCKET_ARN},
    "process_results": {
        LOG_STREAMS,
        RESULT_OBJECTS,
        RESULTS_BUCKET_ARN,
        STATUS_TABLE_ARN,
        CLASSIFIER_TABLE_ARN,
    },
    "record_failure": {LOG_STREAMS, RESULT_OBJECTS, RESULTS_BUCKET_ARN, STATUS_TABLE_ARN},
    "reconcile": {LOG_STREAMS, STATUS_TABLE_ARN},
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
        TASK_DEFINITION_ARN,
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


# --- rules for every document ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(all_documents()))
def test_every_document_is_a_versioned_json_policy(name):
    document = all_documents()[name]

    assert json.loads(json.dumps(document)) == document
    assert document["Version"] == "2012-10-17"
    assert document["Statement"]
    assert all(statement["Effect"] in ("Allow", "Deny") for statement in document["Statement"])


@pytest.mark.parametrize("name", sorted(all_documents()))
def test_no_allow_statement_has_a_wildcard_action(name):
    assert wildcard_action_problems(all_documents()[name]) == []


@pytest.mark.parametrize(
    ("injected", "expected"),
    [
        ({"Action": "*"}, "wildcard action(s) ['*']"),
        ({"Action": ["s3:GetObject", "s3:*"]}, "wildcard action(s) ['s3:*']"),
        ({"Action": "s3:Get*"}, "wildcard action(s) ['s3:Get*']"),
        ({"Action": "s3:GetObjec?"}, "wildcard action(s) ['s3:GetObjec?']"),
        ({"NotAction": "iam:*"}, "NotAction"),
    ],
)
def test_wildcard_check_reports_an_injected_wildcard_action(injected, expected):
    document = widened(
        identity_documents()["presign_run"],
        {"Sid": "Injected", "Effect": "Allow", "Resource": UPLOAD_OBJECTS, **injected},
    )

    problems = wildcard_action_problems(document)

    assert len(problems) == 1
    assert problems[0].startswith("statement 'Injected' allows") and expected in problems[0]


@pytest.mark.parametrize("name", sorted(ALLOWED_RESOURCES))
def test_identity_policies_name_only_the_given_arns_and_prefixes(name):
    document = identity_documents()[name]

    assert (
        resource_scope_problems(
            document, ALLOWED_RESOURCES[name], star_resource_actions=STAR_RESOURCE_ACTIONS
        )
        == []
    )


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Action": "s3:GetObject", "Resource": "*"}, "grants ['s3:GetObject'] on every resource"),
        ({"Action": XRAY_WRITES[0], "Resource": "*"}, None),
        ({"Action": [XRAY_WRITES[0], "sqs:SendMessage"], "Resource": "*"}, "grants ['sqs:SendMessage']"),
        ({"Action": "s3:GetObject", "Resource": f"{RESULTS_BUCKET_ARN}/*"}, "is not one of the given"),
        ({"Action": "s3:GetObject", "Resource": "arn:aws:s3:::storage-*"}, "is not one of the given"),
        ({"Action": "dynamodb:GetItem", "Resource": f"arn:aws:dynamodb:{SCOPE}:table/*"}, "is not one of"),
        ({"Action": "s3:GetObject", "NotResource": UPLOAD_OBJECTS}, "NotResource"),
    ],
)
def test_scope_check_reports_a_broad_resource(statement, expected):
    document = widened(identity_documents()["api"], {"Sid": "Injected", "Effect": "Allow", **statement})

    problems = resource_scope_problems(
        document, ALLOWED_RESOURCES["api"], star_resource_actions=STAR_RESOURCE_ACTIONS
    )

    if expected is None:  # the control case: an action AWS authorises only on "*"
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0], problems


def test_the_tls_deny_is_the_only_service_wide_action():
    (statement,) = service_wide_statements(all_documents().values())

    assert statement == {
        "Sid": "DenyRequestsWithoutTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [UPLOAD_BUCKET_ARN, f"{UPLOAD_BUCKET_ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_service_wide_check_finds_a_second_one():
    documents = all_documents()
    documents["queue"] = widened(
        documents["queue"], {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE_ARN}
    )

    assert sorted(statement["Action"] for statement in service_wide_statements(documents.values())) == [
        "s3:*",
        "sqs:*",
    ]


# --- what each identity policy grants ------------------------------------------------------------------


def test_the_presign_function_signs_only_reads_of_uploads_and_writes_of_results():
    document = identity_documents()["presign_run"]

    assert statements(document)[2:] == [
        {
            "Sid": "SignUploadReads",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": UPLOAD_OBJECTS,
        },
        {"Sid": "SignResultWrites", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": RESULT_OBJECTS},
    ]
    upload = f"{UPLOAD_BUCKET_ARN}/uploads/u1/s1/rec.zip"
    result = f"{RESULTS_BUCKET_ARN}/results/u1/s1/run-1/manifest.json"
    assert allows(document, "s3:GetObjectVersion", upload)
    assert allows(document, "s3:PutObject", result)
    assert not allows(document, "s3:PutObject", upload)
    assert not allows(document, "s3:GetObject", result)
    assert not allows(document, "s3:DeleteObject", result)
    assert not allows(document, "s3:ListBucket", UPLOAD_BUCKET_ARN)
    assert not allows(document, "s3:GetObject", f"{UPLOAD_BUCKET_ARN}/other/secret.zip")


def test_allows_check_sees_a_widened_presign_role():
    document = widened(
        identity_documents()["presign_run"],
        {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": f"{UPLOAD_BUCKET_ARN}/*"},
    )

    assert allows(document, "s3:PutObject", f"{UPLOAD_BUCKET_ARN}/uploads/u1/s1/rec.zip")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "start",
            {
                *function_basics(),
                ("sqs:ReceiveMessage", QUEUE_ARN),
                ("sqs:DeleteMessage", QUEUE_ARN),
                ("sqs:GetQueueAttributes", QUEUE_ARN),
                ("sqs:ChangeMessageVisibility", QUEUE_ARN),
                ("dynamodb:GetItem", STATUS_TABLE_ARN),
                ("dynamodb:Query", STATUS_TABLE_ARN),
                ("dynamodb:UpdateItem", STATUS_TABLE_ARN),
                ("states:StartExecution", STATE_MACHINE_ARN),
            },
        ),
        (
            "validate",
            {
                *function_basics(),
                ("s3:GetObject", UPLOAD_OBJECTS),
                ("s3:GetObjectVersion", UPLOAD_OBJECTS),
                ("s3:ListBucket", UPLOAD_BUCKET_ARN),
            },
        ),
        (
            "process_results",
            {
                *function_basics(),
                ("s3:GetObject", RESULT_OBJECTS),
                ("s3:ListBucket", RESULTS_BUCKET_ARN),
                ("dynamodb:UpdateItem", STATUS_TABLE_ARN),
                ("dynamodb:PutItem", CLASSIFIER_TABLE_ARN),
            },
        ),
        (
            "record_failure",
            {
                *function_basics(),
                ("s3:GetObject", RESULT_OBJECTS),
                ("s3:ListBucket", RESULTS_BUCKET_ARN),
                ("dynamodb:UpdateItem", STATUS_TABLE_ARN),
            },
        ),
        # Only the conditional FAILED write: no reads of uploads, results or other tables.
        ("reconcile", {*function_basics(), ("dynamodb:UpdateItem", STATUS_TABLE_ARN)}),
        (
            "api",
            {
                *function_basics(),
                ("dynamodb:Query", STATUS_TABLE_ARN),
                ("dynamodb:GetItem", STATUS_TABLE_ARN),
                ("dynamodb:GetItem", CLASSIFIER_TABLE_ARN),
                ("s3:PutObject", UPLOAD_OBJECTS),
                ("s3:GetObject", RESULT_OBJECTS),
                ("dynamodb:UpdateItem", LIMITS_TABLE_ARN),
            },
        ),
        (
            "execution_role",
            {
                ("ecr:GetAuthorizationToken", "*"),
                ("ecr:BatchGetImage", REPOSITORY_ARN),
                ("ecr:GetDownloadUrlForLayer", REPOSITORY_ARN),
                ("ecr:BatchCheckLayerAvailability", REPOSITORY_ARN),
                ("logs:CreateLogStream", LOG_STREAMS),
                ("logs:PutLogEvents", LOG_STREAMS),
            },
        ),
    ],
)
def test_each_role_gets_exactly_what_its_code_does(name, expected):
    assert grants(identity_documents()[name]) == expected


def test_functions_cannot_write_uploads_or_results_objects_except_the_two_signers():
    documents = identity_documents()
    for name in ("start", "validate", "process_results", "record_failure", "reconcile"):
        assert not resources_of(documents[name], "s3:PutObject"), name
        assert not resources_of(documents[name], "s3:DeleteObject"), name
    assert resources_of(documents["api"], "s3:PutObject") == {UPLOAD_OBJECTS}
    assert resources_of(documents["presign_run"], "s3:PutObject") == {RESULT_OBJECTS}


def test_state_machine_passes_only_the_task_execution_role_and_only_to_ecs_tasks():
    document = identity_documents()["state_machine"]

    assert resources_of(document, "iam:PassRole") == {EXECUTION_ROLE_ARN}
    assert conditions_of(document, "iam:PassRole") == [
        {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    ]


def test_state_machine_runs_only_the_task_definition_on_the_cluster():
    document = identity_documents()["state_machine"]

    assert resources_of(document, "ecs:RunTask") == {TASK_DEFINITION_ARN}
    assert conditions_of(document, "ecs:RunTask") == [{"ArnEquals": {"ecs:cluster": CLUSTER_ARN}}]
    task_arns = f"arn:aws:ecs:{SCOPE}:task/classifier-cluster-3f9a/*"
    assert (
        resources_of(document, "ecs:StopTask") == resources_of(document, "ecs:DescribeTasks") == {task_arns}
    )


def test_pass_role_and_run_task_checks_see_a_widened_state_machine_policy():
    document = widened(
        identity_documents()["state_machine"],
        {"Effect": "Allow", "Action": ["iam:PassRole", "ecs:RunTask"], "Resource": "*"},
    )

    assert resources_of(document, "iam:PassRole") == {EXECUTION_ROLE_ARN, "*"}
    assert "*" in resources_of(document, "ecs:RunTask")
    assert {} in conditions_of(document, "iam:PassRole")


def test_state_machine_invokes_its_functions_with_or_without_qualifier():
    document = identity_documents()["state_machine"]

    assert resources_of(document, "lambda:InvokeFunction") == {
        *FUNCTION_ARNS,
        *(f"{arn}:*" for arn in FUNCTION_ARNS),
    }
    assert allows(document, "lambda:InvokeFunction", f"{FUNCTION_ARNS[0]}:live")


def test_state_machine_can_run_the_sync_integration_and_publish_encrypted_notifications():
    document = identity_documents()["state_machine"]
    sync_rule = f"arn:aws:events:{SCOPE}:rule/StepFunctionsGetEventsForECSTaskRule"

    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        assert resources_of(document, action) == {sync_rule}
    assert resources_of(document, "sns:Publish") == {TOPIC_ARN}
    assert (
        resources_of(document, "kms:GenerateDataKey")
        == resources_of(document, "kms:Decrypt")
        == {TOPIC_KEY_ARN}
    )
    assert resources_of(document, "dynamodb:UpdateItem") == {STATUS_TABLE_ARN}


def test_state_machine_log_delivery_and_tracing_are_granted_where_aws_requires_star():
    star_actions = {
        action for action, resource in grants(identity_documents()["state_machine"]) if resource == "*"
    }

    assert star_actions == STAR_RESOURCE_ACTIONS - {"ecr:GetAuthorizationToken"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"cluster_arn": "classifier-cluster-3f9a"}, "not an ECS cluster ARN"),
        (
            {"cluster_arn": f"arn:aws:ecs:{SCOPE}:service/classifier-cluster-3f9a/web"},
            "not an ECS cluster ARN",
        ),
        ({"function_arns": []}, "function_arns"),
        ({"function_arns": FUNCTION_ARNS[0]}, "function_arns"),
    ],
)
def test_state_machine_policy_rejects_malformed_arguments(arguments, message):
    values = {
        "region": REGION,
        "account_id": ACCOUNT_ID,
        "function_arns": list(FUNCTION_ARNS),
        "status_table_arn": STATUS_TABLE_ARN,
        "cluster_arn": CLUSTER_ARN,
        "task_definition_arn": TASK_DEFINITION_ARN,
        "execution_role_arn": EXECUTION_ROLE_ARN,
        "topic_arn": TOPIC_ARN,
        "topic_key_arn": TOPIC_KEY_ARN,
    }

    with pytest.raises(ValueError, match=message):
        policies.state_machine_policy(**{**values, **arguments})


def test_cluster_name_is_the_last_part_of_the_cluster_arn():
    assert policies.cluster_name(CLUSTER_ARN) == "classifier-cluster-3f9a"


# --- trust, resource and key policies ----------------------------------------------------------------


@pytest.mark.parametrize(
    "service", ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "states.amazonaws.com"]
)
def test_trust_policy_lets_only_the_service_assume_the_role(service):
    (statement,) = statements(policies.assume_role_policy(service))

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": service}
    assert as_list(statement["Action"]) == ["sts:AssumeRole"]


def test_trust_policy_rejects_a_principal_that_is_not_a_service():
    with pytest.raises(ValueError, match="service principal"):
        policies.assume_role_policy(f"arn:aws:iam::{ACCOUNT_ID}:root")


def test_queue_accepts_messages_only_from_the_upload_rule():
    (statement,) = statements(resource_policies.queue_policy(queue_arn=QUEUE_ARN, rule_arn=RULE_ARN))

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Resource"] == QUEUE_ARN
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": RULE_ARN}}


ACCOUNT_ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
CLOUDWATCH = {"Service": "cloudwatch.amazonaws.com"}


def test_topic_key_is_administered_by_the_account_and_used_by_this_accounts_alarms():
    document = resource_policies.topic_key_policy(account_id=ACCOUNT_ID)
    root_actions = {
        action
        for statement in statements(document)
        if statement["Principal"] == ACCOUNT_ROOT
        for action in statement["Action"]
    }
    (cloudwatch,) = [statement for statement in statements(document) if statement["Principal"] == CLOUDWATCH]

    assert {
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    } <= root_actions
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    # In a key policy "*" is the key itself; nothing else may appear.
    assert {statement["Resource"] for statement in statements(document)} == {"*"}
    assert all(statement["Effect"] == "Allow" for statement in statements(document))


def test_topic_key_policy_grants_nothing_to_other_principals():
    document = resource_policies.topic_key_policy(account_id=ACCOUNT_ID)

    assert all(statement["Principal"] in (ACCOUNT_ROOT, CLOUDWATCH) for statement in statements(document))
