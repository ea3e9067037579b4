"""The IAM adjustments of the sandbox, checked against a real moto server with IAM enforced.

Requests are authorised against the resources and actions AWS uses, the Step Functions
interpreter calls services with the state machine's role, presigned requests act as their signer,
the TLS-only bucket policy does not refuse the sandbox's requests, and every denial is reported.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sandbox_support import execution_end

from sandbox import moto_patches
from sandbox.emulator import free_port, start_server
from sandbox.iam_actions import requested_permissions
from sandbox.identities import RoleSessions, create_administrator, iam_enforced
from sandbox.moto_patches.iam import query_signature

pytestmark = pytest.mark.moto

REGION, ACCOUNT = "eu-west-2", "123456789012"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/allowed"


def _trust(service):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def _policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class NoContainers:
    def start(self, task, overrides):
        raise AssertionError("no task is run here")


@pytest.fixture
def enforced(monkeypatch):
    """An enforced emulator with two tables, a bucket under a TLS-only policy, and two roles."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("MOTO_PORT", str(port))
    roles, denials = RoleSessions(), []
    with moto_patches.adjusted_moto(
        lambda function, event: {}, NoContainers(), roles.credentials, denials.append
    ):
        server = start_server(port)
        try:
            bootstrap = boto3.session.Session("bootstrap", "bootstrap", region_name=REGION)
            key_id, secret = create_administrator(bootstrap.client("iam", endpoint_url=endpoint))
            admin = boto3.session.Session(key_id, secret, region_name=REGION)
            for table in ("allowed", "other"):
                admin.client("dynamodb", endpoint_url=endpoint).create_table(
                    TableName=table,
                    AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                )
            s3 = admin.client("s3", endpoint_url=endpoint)
            s3.create_bucket(Bucket="data", CreateBucketConfiguration={"LocationConstraint": REGION})
            tls_only = {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
            s3.put_bucket_policy(Bucket="data", Policy=_policy(tls_only))
            iam = admin.client("iam", endpoint_url=endpoint)
            worker = iam.create_role(
                RoleName="worker", AssumeRolePolicyDocument=_trust("lambda.amazonaws.com")
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName="worker",
                PolicyName="p",
                PolicyDocument=_policy(
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
                        "Resource": TABLE_ARN,
                    },
                    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::data/shared/*"},
                ),
            )
            machine = iam.create_role(
                RoleName="machine", AssumeRolePolicyDocument=_trust("states.amazonaws.com")
            )["Role"]["Arn"]
            roles.assume(admin.client("sts", endpoint_url=endpoint), [worker, machine])
            with iam_enforced(endpoint):
                yield {
                    "endpoint": endpoint,
                    "admin": admin,
                    "roles": roles,
                    "denials": denials,
                    "worker": worker,
                    "machine": machine,
                }
        finally:
            requests.post(f"{endpoint}/moto-api/reset", timeout=10)
            server.stop()


def _as(enforced, role_arn, service):
    key_id, secret, token = enforced["roles"].credentials(role_arn)
    return boto3.session.Session(key_id, secret, token, region_name=REGION).client(
        service, endpoint_url=enforced["endpoint"]
    )


def test_a_role_may_use_the_table_its_policy_names_and_no_other(enforced):
    dynamodb = _as(enforced, enforced["worker"], "dynamodb")
    dynamodb.put_item(TableName="allowed", Item={"k": {"S": "1"}})

    with pytest.raises(ClientError, match="not authorized to perform: dynamodb:PutItem"):
        dynamodb.put_item(TableName="other", Item={"k": {"S": "1"}})
    with pytest.raises(ClientError, match="not authorized to perform: dynamodb:GetItem"):
        dynamodb.get_item(TableName="allowed", Key={"k": {"S": "1"}})
    denied = [(denial.action, denial.resource) for denial in enforced["denials"]]
    assert denied == [
        ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other"),
        ("dynamodb:GetItem", TABLE_ARN),
    ]
    assert all("assumed-role/worker/" in denial.principal_arn for denial in enforced["denials"])


def test_the_tls_only_bucket_policy_lets_allowed_requests_through_and_presigned_urls_act_as_their_signer(
    enforced,
):
    enforced["admin"].client("s3", endpoint_url=enforced["endpoint"]).put_object(
        Bucket="data", Key="shared/a", Body=b"a"
    )
    enforced["admin"].client("s3", endpoint_url=enforced["endpoint"]).put_object(
        Bucket="data", Key="private/b", Body=b"b"
    )
    s3 = _as(enforced, enforced["worker"], "s3")

    assert s3.get_object(Bucket="data", Key="shared/a")["Body"].read() == b"a"
    allowed = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "data", "Key": "shared/a"}, ExpiresIn=60
    )
    refused = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "data", "Key": "private/b"}, ExpiresIn=60
    )
    assert requests.get(allowed, timeout=10).content == b"a"
    assert requests.get(refused, timeout=10).status_code == 403
    assert ("s3:GetObject", "arn:aws:s3:::data/private/b") in [
        (d.action, d.resource) for d in enforced["denials"]
    ]


def _update_machine(table):
    return {
        "StartAt": "Mark",
        "States": {
            "Mark": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": {
                    "TableName": table,
                    "Key": {"k": {"S": "1"}},
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "x"}},
                },
                "End": True,
            }
        },
    }


def _execute(sfn, definition, role_arn):
    machine = sfn.create_state_machine(
        name=f"m{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=role_arn
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    return execution_end(sfn, execution["executionArn"])


def test_the_state_machines_service_calls_use_its_role(enforced):
    sfn = enforced["admin"].client("stepfunctions", endpoint_url=enforced["endpoint"])
    iam = enforced["admin"].client("iam", endpoint_url=enforced["endpoint"])

    assert _execute(sfn, _update_machine("allowed"), enforced["machine"])["status"] == "FAILED"
    assert [d.action for d in enforced["denials"]] == ["dynamodb:UpdateItem"]
    assert "assumed-role/machine/" in enforced["denials"][0].principal_arn

    iam.put_role_policy(
        RoleName="machine",
        PolicyName="p",
        PolicyDocument=_policy({"Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": TABLE_ARN}),
    )
    assert _execute(sfn, _update_machine("allowed"), enforced["machine"])["status"] == "SUCCEEDED"


def test_a_transaction_is_authorised_item_by_item_on_each_table():
    parameters = {
        "TransactItems": [
            {"Update": {"TableName": "status", "Key": {}}},
            {"Put": {"TableName": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/classifiers", "Item": {}}},
        ]
    }
    assert requested_permissions(
        "dynamodb",
        "TransactWriteItems",
        parameters=parameters,
        path="/",
        query={},
        region=REGION,
        account=ACCOUNT,
    ) == [
        ("dynamodb:UpdateItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/status"),
        ("dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/classifiers"),
    ]


def test_invocations_and_tasks_are_authorised_on_the_function_and_the_task():
    def permissions(service, action, **request):
        defaults = {"parameters": {}, "path": "/", "query": {}}
        return requested_permissions(
            service, action, **{**defaults, **request}, region=REGION, account=ACCOUNT
        )

    assert permissions("lambda", "Invoke", path="/2015-03-31/functions/validate/invocations") == [
        ("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:validate")
    ]
    assert permissions(
        "ecs",
        "DescribeTasks",
        parameters={"cluster": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/c", "tasks": ["t1"]},
    ) == [("ecs:DescribeTasks", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/c/t1")]
    assert permissions("ecs", "RunTask", parameters={"taskDefinition": "family:3"}) == [
        ("ecs:RunTask", f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/family:3")
    ]
    assert permissions("sqs", "SendMessage") is None


def _with_key(url: str, key: str) -> str:
    parts = urlsplit(url)
    bucket = parts.path.split("/")[1]
    return urlunsplit(parts._replace(path=f"/{bucket}/{key}"))


def test_a_presigned_url_works_only_for_what_was_signed(enforced):
    admin_s3 = enforced["admin"].client("s3", endpoint_url=enforced["endpoint"])
    admin_s3.put_object(Bucket="data", Key="shared/alice", Body=b"alice")
    admin_s3.put_object(Bucket="data", Key="shared/bob", Body=b"bob")
    signer = _as(enforced, enforced["worker"], "s3")
    alice = signer.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "shared/alice"}, ExpiresIn=60)

    assert requests.get(alice, timeout=10).content == b"alice"
    # The signer may read shared/bob too, but this URL was signed for shared/alice only.
    moved = requests.get(_with_key(alice, "shared/bob"), timeout=10)
    assert moved.status_code == 403
    assert "SignatureDoesNotMatch" in moved.text
    as_put = requests.put(alice, data=b"overwritten", timeout=10)
    assert as_put.status_code == 403
    assert admin_s3.get_object(Bucket="data", Key="shared/alice")["Body"].read() == b"alice"


def test_a_presigned_url_signed_correctly_but_used_past_its_expiry_is_refused(enforced):
    enforced["admin"].client("s3", endpoint_url=enforced["endpoint"]).put_object(
        Bucket="data", Key="shared/a", Body=b"a"
    )
    signer = _as(enforced, enforced["worker"], "s3")
    fresh = signer.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "shared/a"}, ExpiresIn=60)
    parts = urlsplit(fresh)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    credentials = Credentials(*enforced["roles"].credentials(enforced["worker"]))

    def signed_at(timestamp: str) -> str:
        fields = {name: value for name, value in query.items() if name != "X-Amz-Signature"}
        unsigned = urlunsplit(parts._replace(query=urlencode({**fields, "X-Amz-Date": timestamp}, quote_via=quote)))
        return f"{unsigned}&X-Amz-Signature={query_signature(credentials, 'GET', unsigned, {}, REGION, timestamp)}"

    # The signing the check uses reproduces the signer's own signature ...
    assert signed_at(query["X-Amz-Date"]) == fresh
    assert requests.get(fresh, timeout=10).status_code == 200
    # ... so the same URL as if signed two hours ago carries a valid signature over an expired window.
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    expired = requests.get(signed_at(two_hours_ago), timeout=10)
    assert expired.status_code == 403
    # ... which S3 refuses saying so (the container tells this refusal from others: fbcsp.presigned)
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "<Message>Request has expired</Message>" in expired.text
