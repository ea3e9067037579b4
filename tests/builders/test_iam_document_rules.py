"""Rules every built IAM document keeps: versioned JSON, no wildcard action, only the given resources,
one service-wide statement (the TLS deny); each check with its negative twin."""

from __future__ import annotations

import json

import pytest
from iam_checks import resource_scope_problems, service_wide_statements
from iam_examples import (
    ALLOWED_RESOURCES,
    QUEUE_ARN,
    RESULTS_BUCKET_ARN,
    SCOPE,
    STAR_RESOURCE_ACTIONS,
    UPLOAD_BUCKET_ARN,
    UPLOAD_OBJECTS,
    XRAY_WRITES,
    all_documents,
    identity_documents,
    widened,
)

from policy.rules import wildcard_action_problems

pytestmark = pytest.mark.unit


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
