"""The policy pack's rules (policy/rules.py) over the resources the Pulumi mocks capture.

The stacks the program declares must pass every rule; each rule must reject the deliberately broken
resource of its negative twin, so a rule that checks nothing fails here.
"""

import json
from collections.abc import Mapping

import pytest

from policy.rules import (
    BUCKET,
    BUCKET_COMPANIONS,
    RULES,
    Resource,
    every_bucket_encrypted_and_blocked,
    no_anonymous_principals,
    violations,
)

pytestmark = pytest.mark.unit


def as_policy_resources(stack):
    """Each resource's inputs and its physical id.

    The mocks record no URNs or property dependencies, so a companion finds its bucket by value here: its
    ``bucket`` input holds the bucket's id, which a bucket's own inputs lack.
    """
    return [Resource(item.type_token, item.name, {**item.inputs, "id": item.resource_id}) for item in stack.resources]


@pytest.mark.parametrize("stack_fixture", ["self_contained_stack", "external_stack"])
def test_the_declared_stacks_pass_every_policy(request, stack_fixture):
    stack = request.getfixturevalue(stack_fixture).resources

    assert violations(as_policy_resources(stack)) == []


def test_every_rule_has_a_unique_name_and_a_description():
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(rule.description for rule in RULES)


def _first(stack, type_token):
    return stack.of_type(type_token)[0].name


def _broken(stack, type_token, change):
    return as_policy_resources(stack.mutated(type_token, _first(stack, type_token), change))


def _set(key, value):
    return lambda inputs: inputs.__setitem__(key, value)


def _policy_with_action(action):
    document = {"Version": "2012-10-17", "Statement": [{"Sid": "Broad", "Effect": "Allow", "Action": action,
                                                         "Resource": "*"}]}
    return _set("policy", json.dumps(document))


BROKEN = {
    "table without encryption": ("aws:dynamodb/table:Table", _set("serverSideEncryption", {"enabled": False}),
                                 "encryption-at-rest"),
    "queue without encryption": ("aws:sqs/queue:Queue", _set("sqsManagedSseEnabled", False), "encryption-at-rest"),
    "topic without key": ("aws:sns/topic:Topic", lambda inputs: inputs.pop("kmsMasterKeyId"), "encryption-at-rest"),
    "bucket encryption without algorithm": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        _set("rules", [{"bucketKeyEnabled": True}]), "encryption-at-rest",
    ),
    "public access block off": ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                                _set("restrictPublicBuckets", False), "no-public-buckets"),
    "anonymous bucket policy": (
        "aws:s3/bucketPolicy:BucketPolicy",
        _set("policy", json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::b/*"}]})),
        "no-public-buckets",
    ),
    "bucket argument with a public ACL": ("aws:s3/bucket:Bucket", _set("acl", "public-read"), "no-public-buckets"),
    "bucket argument policy open to anyone": (
        "aws:s3/bucket:Bucket",
        _set("policy", json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})),
        "no-public-buckets",
    ),
    "bucket policy allowing all but one principal": (
        "aws:s3/bucketPolicy:BucketPolicy",
        _set("policy", json.dumps({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
                                                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})),
        "no-public-buckets",
    ),
    "repository without encryption": ("aws:ecr/repository:Repository",
                                      lambda inputs: inputs.pop("encryptionConfigurations"), "encryption-at-rest"),
    "star action": ("aws:iam/rolePolicy:RolePolicy", _policy_with_action("*"), "no-wildcard-iam-actions"),
    "service star action": ("aws:iam/rolePolicy:RolePolicy", _policy_with_action(["s3:GetObject", "s3:*"]),
                            "no-wildcard-iam-actions"),
    "prefix pattern action": ("aws:iam/rolePolicy:RolePolicy", _policy_with_action("s3:Get*"),
                              "no-wildcard-iam-actions"),
    "one-character pattern action": ("aws:iam/rolePolicy:RolePolicy", _policy_with_action("s3:GetObjec?"),
                                     "no-wildcard-iam-actions"),
    "queue policy pattern action": ("aws:sqs/queuePolicy:QueuePolicy", _policy_with_action("sqs:Send*"),
                                    "no-wildcard-iam-actions"),
    "key policy star action": ("aws:kms/key:Key", _policy_with_action("kms:*"), "no-wildcard-iam-actions"),
    "bucket argument policy star action": ("aws:s3/bucket:Bucket", _policy_with_action("s3:*"),
                                           "no-wildcard-iam-actions"),
    "queue argument policy pattern action": ("aws:sqs/queue:Queue", _policy_with_action("sqs:*"),
                                             "no-wildcard-iam-actions"),
    "endpoint policy star action": ("aws:ec2/vpcEndpoint:VpcEndpoint", _policy_with_action("*"),
                                    "no-wildcard-iam-actions"),
    "trust policy pattern action": (
        "aws:iam/role:Role",
        _set("assumeRolePolicy", json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:*",
                                                            "Principal": {"Service": "lambda.amazonaws.com"}}]})),
        "no-wildcard-iam-actions",
    ),
    "role with an administrator policy": ("aws:iam/role:Role", _set("managedPolicyArns", [
        "arn:aws:iam::aws:policy/AdministratorAccess"]), "no-wildcard-iam-actions"),
    "queue policy open to anyone": (
        "aws:sqs/queuePolicy:QueuePolicy",
        _set("policy", json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                                                  "Resource": "arn:aws:sqs:eu-west-2:1:q"}]})),
        "no-anonymous-principals",
    ),
    "key policy for everyone but one": (
        "aws:kms/key:Key",
        _set("policy", json.dumps({"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
                                                  "Action": "kms:Decrypt", "Resource": "*"}]})),
        "no-anonymous-principals",
    ),
    "trust policy open to any account": (
        "aws:iam/role:Role",
        _set("assumeRolePolicy", json.dumps({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                            "Principal": {"AWS": "*"}}]})),
        "no-anonymous-principals",
    ),
    "log group kept forever": ("aws:cloudwatch/logGroup:LogGroup", lambda inputs: inputs.pop("retentionInDays"),
                               "log-retention-set"),
    "route without authorizer": ("aws:apigatewayv2/route:Route", _set("authorizationType", "NONE"),
                                 "routes-require-authorizer"),
    "JWT route without authorizer id": ("aws:apigatewayv2/route:Route", lambda inputs: inputs.pop("authorizerId"),
                                        "routes-require-authorizer"),
    "provider without project tag": (
        "pulumi:providers:aws", _set("defaultTags", json.dumps({"tags": {"environment": "dev"}})),
        "default-tags-present",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_rule_rejects_its_broken_twin(self_contained_stack, case):
    type_token, change, rule_name = BROKEN[case]

    found = violations(_broken(self_contained_stack.resources, type_token, change))

    assert found, f"{case} passed every policy"
    assert all(message.startswith(f"{rule_name}: ") for message in found), found


@pytest.mark.parametrize("companion", list(BUCKET_COMPANIONS))
def test_a_bucket_without_its_companion_is_reported(self_contained_stack, companion):
    stack = self_contained_stack.resources
    _, results = stack.of_type(BUCKET)
    (results_companion,) = stack.attached_to(companion, "bucket", results.resource_id)

    found = violations(as_policy_resources(stack.without(companion, results_companion.name)))

    assert found == [f"buckets-encrypted-and-blocked: bucket {results.name} has no {BUCKET_COMPANIONS[companion]}"]


@pytest.mark.parametrize("companion", list(BUCKET_COMPANIONS))
def test_a_bucket_whose_companion_points_at_another_bucket_is_reported(self_contained_stack, companion):
    stack = self_contained_stack.resources
    uploads, results = stack.of_type(BUCKET)
    (results_companion,) = stack.attached_to(companion, "bucket", results.resource_id)
    both_on_uploads = stack.mutated(companion, results_companion.name, _set("bucket", uploads.resource_id))

    found = violations(as_policy_resources(both_on_uploads))

    assert found == [f"buckets-encrypted-and-blocked: bucket {results.name} has no {BUCKET_COMPANIONS[companion]}"]


UNKNOWN = object()


class PreviewProps(Mapping):
    """Props as a preview hands them to a policy: reading a value not yet known fails (in the pack, the policy is
    then skipped as "can't run during preview"), so a rule that reads one fails this test."""

    def __init__(self, **values):
        self._values = values

    def __getitem__(self, key):
        if self._values[key] is UNKNOWN:
            raise AssertionError(f"the rule read {key!r}, unknown during a preview")
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


def _urn(type_token, name):
    return f"urn:pulumi:dev::eeg-pipeline::{type_token}::{name}"


def _new_bucket(name):
    """A bucket a preview is about to create: its name is known (autonamed), its id is not."""
    return Resource(BUCKET, name, PreviewProps(bucket=f"{name}-1a2b3c4", id=UNKNOWN), urn=_urn(BUCKET, name))


def _new_companion(type_token, name, bucket):
    """A companion given ``bucket=bucket.id``: the engine knows which resource the value comes from, not the value."""
    return Resource(type_token, name, PreviewProps(bucket=UNKNOWN), urn=_urn(type_token, name),
                    property_dependencies={"bucket": (bucket.urn,)})


def test_a_preview_matches_each_companion_to_the_bucket_its_argument_comes_from():
    uploads, results = _new_bucket("uploads"), _new_bucket("results")
    companions = [
        _new_companion(type_token, f"{bucket.name}-{index}", bucket)
        for bucket in (uploads, results)
        for index, type_token in enumerate(BUCKET_COMPANIONS)
    ]

    assert every_bucket_encrypted_and_blocked([uploads, results, *companions]) == []


def test_a_preview_reports_the_bucket_whose_companions_come_from_another_bucket():
    uploads, results = _new_bucket("uploads"), _new_bucket("results")
    companions = [
        _new_companion(type_token, f"{owner}-{index}", uploads)
        for owner in ("uploads", "results")
        for index, type_token in enumerate(BUCKET_COMPANIONS)
    ]

    assert every_bucket_encrypted_and_blocked([uploads, results, *companions]) == [
        "bucket results has no default-encryption configuration",
        "bucket results has no public access block",
    ]


def test_an_admin_policy_attachment_is_reported():
    attachment = Resource(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "deploy-admin",
        {"role": "deploy", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )

    assert violations([attachment]) == [
        "no-wildcard-iam-actions: aws:iam/rolePolicyAttachment:RolePolicyAttachment deploy-admin: "
        "attachment of arn:aws:iam::aws:policy/AdministratorAccess"
    ]


def test_a_one_and_all_principal_held_by_a_condition_is_accepted():
    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "sqs:SendMessage",
        "Resource": "arn:aws:sqs:eu-west-2:1:q",
        "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:eu-west-2:1:rule/r"}},
    }

    assert no_anonymous_principals("aws:sqs/queuePolicy:QueuePolicy", {"policy": {"Statement": [statement]}}) == []
