"""Resources the emulator cannot hold are reported, never dropped silently, and the report says so once."""

from __future__ import annotations

import json

import boto3
import pytest
import requests

from sandbox.emulation import Emulator, make_deploy, make_invoke
from sandbox.emulator import free_port, start_server
from sandbox.program import DeclaredResource, DeployedStack, report_line

pytestmark = pytest.mark.moto

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture
def deploy(monkeypatch):
    port = free_port()
    server = start_server(port)
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    session = boto3.session.Session("key", "secret", region_name="eu-west-2")
    emulator = Emulator(session, "eu-west-2", "123456789012", "test")
    try:
        yield make_deploy(emulator), emulator
    finally:
        requests.post(f"{endpoint}/moto-api/reset", timeout=10)
        server.stop()


def test_an_aws_managed_policy_moto_does_not_hold_is_reported_not_emulated(deploy):
    deploy_resource, emulator = deploy
    role = deploy_resource("aws:iam/role:Role", "worker-role", {"assumeRolePolicy": TRUST}, True)
    own = emulator.client("iam").create_policy(
        PolicyName="own",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]

    managed = deploy_resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "worker-logs",
        {
            "role": role.resource_id,
            "policyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        },
        True,
    )
    customer = deploy_resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "worker-own",
        {"role": role.resource_id, "policyArn": own},
        True,
    )

    assert role.emulated and customer.emulated
    assert not managed.emulated
    attached = emulator.client("iam").list_attached_role_policies(RoleName=role.resource_id)[
        "AttachedPolicies"
    ]
    assert [policy["PolicyArn"] for policy in attached] == [own]


def test_a_type_without_a_creator_is_answered_but_not_emulated(deploy):
    deploy_resource, _ = deploy
    answer = deploy_resource("aws:xray/group:Group", "traces", {"groupName": "traces"}, True)
    assert not answer.emulated
    assert answer.resource_id.startswith("traces-")
    assert deploy_resource("eegpipeline:storage:PipelineStorage", "storage", {}, False) is None


def test_the_report_counts_what_was_created_and_lists_what_was_not():
    def declared(type_token, emulated, logical_only=False):
        return DeclaredResource(type_token, "x", {}, "id", {}, emulated=emulated, logical_only=logical_only)

    stack = DeployedStack(
        resources=[
            declared("eegpipeline:storage:PipelineStorage", False, logical_only=True),
            declared("aws:s3/bucket:Bucket", True),
            declared("aws:s3/bucket:Bucket", True),
            declared("aws:cloudwatch/dashboard:Dashboard", False),
            declared("awsx:ecr:Image", False),
            declared("aws:cloudwatch/dashboard:Dashboard", False),
        ]
    )
    assert report_line(stack) == (
        "stack: 6 resources declared, 2 emulated; "
        "not emulated: aws:cloudwatch/dashboard:Dashboard ×2, awsx:ecr:Image ×1"
    )


def test_a_provider_function_the_sandbox_cannot_answer_is_named_in_the_error():
    invoke = make_invoke(Emulator.__new__(Emulator))
    with pytest.raises(LookupError, match="does not answer the provider function aws:ec2/getAmi:getAmi"):
        invoke("aws:ec2/getAmi:getAmi", {})
