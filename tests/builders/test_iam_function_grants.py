"""What the identity policy of each Lambda function and of the task execution role grants: exactly what
its code does, and writes of uploads and results only for the two signers."""

from __future__ import annotations

import pytest
from iam_checks import allows, grants, resources_of, statements
from iam_examples import (
    CLASSIFIER_TABLE_ARN,
    LIMITS_TABLE_ARN,
    LOG_STREAMS,
    QUEUE_ARN,
    RECONCILE_DLQ_ARN,
    REPOSITORY_ARN,
    RESULT_OBJECTS,
    RESULTS_BUCKET_ARN,
    STATE_MACHINE_ARN,
    STATE_MACHINE_EXECUTIONS,
    STATUS_TABLE_ARN,
    UPLOAD_BUCKET_ARN,
    UPLOAD_OBJECTS,
    XRAY_WRITES,
    identity_documents,
    widened,
)

pytestmark = pytest.mark.unit


def function_basics() -> set[tuple[str, str]]:
    return {
        ("logs:CreateLogStream", LOG_STREAMS),
        ("logs:PutLogEvents", LOG_STREAMS),
        *((action, "*") for action in XRAY_WRITES),
    }


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
                ("states:StopExecution", STATE_MACHINE_EXECUTIONS),
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
                ("dynamodb:GetItem", STATUS_TABLE_ARN),
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
                ("dynamodb:GetItem", STATUS_TABLE_ARN),
                ("dynamodb:UpdateItem", STATUS_TABLE_ARN),
            },
        ),
        # Only the conditional FAILED write (no reads of uploads, results or other tables), and
        # Lambda's sending of an ending it failed on to the dead-letter queue.
        (
            "reconcile",
            {
                *function_basics(),
                ("dynamodb:UpdateItem", STATUS_TABLE_ARN),
                ("sqs:SendMessage", RECONCILE_DLQ_ARN),
            },
        ),
        (
            "api",
            {
                *function_basics(),
                ("dynamodb:Query", STATUS_TABLE_ARN),
                ("dynamodb:GetItem", STATUS_TABLE_ARN),
                ("dynamodb:GetItem", CLASSIFIER_TABLE_ARN),
                ("s3:PutObject", UPLOAD_OBJECTS),
                ("s3:GetObject", RESULT_OBJECTS),
                ("s3:GetObjectVersion", RESULT_OBJECTS),
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


def test_the_start_function_stops_only_executions_of_its_own_state_machine():
    document = identity_documents()["start"]

    executions = STATE_MACHINE_EXECUTIONS.removesuffix("*")
    assert allows(document, "states:StopExecution", f"{executions}run-0123abcd")
    assert not allows(document, "states:StopExecution", STATE_MACHINE_ARN)
    other_machine = executions.replace(":processing-3f9a:", ":processing-other:")
    assert not allows(document, "states:StopExecution", f"{other_machine}run-0123abcd")
    assert not allows(document, "states:StopExecution", "*")


def test_functions_cannot_write_uploads_or_results_objects_except_the_two_signers():
    documents = identity_documents()
    for name in ("start", "validate", "process_results", "record_failure", "reconcile"):
        assert not resources_of(documents[name], "s3:PutObject"), name
        assert not resources_of(documents[name], "s3:DeleteObject"), name
    assert resources_of(documents["api"], "s3:PutObject") == {UPLOAD_OBJECTS}
    assert resources_of(documents["presign_run"], "s3:PutObject") == {RESULT_OBJECTS}
