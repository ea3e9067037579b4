"""What the mocks and moto accept but AWS refuses at `pulumi up`: every physical name the program gives or
Pulumi generates, every policy document and the other sized values it declares, checked against AWS's
documented limits for the longest stack name the program accepts, with ARNs of a long region name."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pytest
from mock_answers import REGION
from pulumi_mocks import BuiltStack, new_mocks, run_bootstrap
from resource_types import (
    ALARM,
    AUTHORIZER,
    BUCKET,
    EVENT_RULE,
    FIREWALL_ASSOCIATION,
    FIREWALL_DOMAIN_LIST,
    FIREWALL_RULE,
    FIREWALL_RULE_GROUP,
    FUNCTION,
    LOG_GROUP,
    QUEUE,
    QUEUE_POLICY,
    ROLE,
    ROLE_POLICY,
    SECURITY_GROUP,
    STATE_MACHINE,
    TABLE,
    TASK_DEFINITION,
    VPC_ENDPOINT,
)
from stack_resources import RecordedResource

from components.lambda_function import function_name

pytestmark = pytest.mark.unit

#: The longest stack name the program accepts: its longest function name,
#: ``processing-process-results-fn-{stack}``, then reaches Lambda's 64 characters.
LONGEST_STACK_NAME = "staging-eu-" + "x" * 23
#: The mocks' ARNs name eu-west-2; documents are measured as in this longer region.
LONG_REGION = "ap-southeast-2"
#: What Pulumi's auto-naming appends to a logical name when the program gives no name.
AUTONAME_SUFFIX = "-0a1b2c3"


@dataclass(frozen=True)
class NameRule:
    """A physical name's documented characters (a full match) and length; ``name_input`` holds it."""

    pattern: str
    max_length: int
    min_length: int = 1
    name_input: str = "name"


IAM_NAME = r"[\w+=,.@-]+"  # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
LETTERS_DIGITS_HYPHENS_UNDERSCORES = r"[A-Za-z0-9_-]+"
# Route 53 Resolver CreateFirewallDomainList, CreateFirewallRuleGroup, CreateFirewallRule, AssociateFirewallRuleGroup.
FIREWALL_NAME = r"(?![0-9]+$)[A-Za-z0-9_' -]+"
COGNITO_NAME = r"[\w\s+=,.@-]+"  # CreateUserPool PoolName, CreateUserPoolClient ClientName
SECURITY_GROUP_TEXT = r"[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]"  # a group's name and descriptions
NAME_RULES = {
    ROLE: NameRule(IAM_NAME, 64),
    ROLE_POLICY: NameRule(IAM_NAME, 128),
    FUNCTION: NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 64),  # Lambda CreateFunction
    QUEUE: NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 80),  # SQS CreateQueue
    EVENT_RULE: NameRule(r"[.\-_A-Za-z0-9]+", 64),  # EventBridge PutRule
    # Step Functions CreateStateMachine: a state machine that logs to CloudWatch Logs.
    STATE_MACHINE: NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 80),
    ALARM: NameRule(r"[^\x00-\x1f\x7f]+", 255),  # CloudWatch PutMetricAlarm
    LOG_GROUP: NameRule(r"[.\-_/#A-Za-z0-9]+", 512),  # CloudWatch Logs CreateLogGroup
    "aws:ecs/cluster:Cluster": NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 255),
    TASK_DEFINITION: NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 255, name_input="family"),
    "aws:ecr/repository:Repository": NameRule(
        r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", 256, 2
    ),
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    BUCKET: NameRule(r"(?!.*\.\.)[a-z0-9][a-z0-9.-]*[a-z0-9]", 63, 3, name_input="bucket"),
    TABLE: NameRule(r"[A-Za-z0-9_.-]+", 255, 3),  # DynamoDB CreateTable
    "aws:cognito/userPool:UserPool": NameRule(COGNITO_NAME, 128),
    "aws:cognito/userPoolClient:UserPoolClient": NameRule(COGNITO_NAME, 128),
    "aws:apigatewayv2/api:Api": NameRule(r".+", 128),
    AUTHORIZER: NameRule(r".+", 128),
    "aws:sns/topic:Topic": NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 256),  # SNS CreateTopic
    "aws:cloudwatch/dashboard:Dashboard": NameRule(LETTERS_DIGITS_HYPHENS_UNDERSCORES, 255, name_input="dashboardName"),
    SECURITY_GROUP: NameRule(rf"(?!sg-){SECURITY_GROUP_TEXT}+", 255),  # EC2 CreateSecurityGroup GroupName
    **dict.fromkeys(
        (FIREWALL_DOMAIN_LIST, FIREWALL_RULE_GROUP, FIREWALL_RULE, FIREWALL_ASSOCIATION), NameRule(FIREWALL_NAME, 64)
    ),
}
#: Resources whose identifier AWS makes (or a name the program fixes, such as the ``$default`` stage).
UNNAMED_TYPES = frozenset(
    {
        "aws:apigatewayv2/integration:Integration",
        "aws:apigatewayv2/route:Route",
        "aws:apigatewayv2/stage:Stage",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:cognito/user:User",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        VPC_ENDPOINT,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:kms/key:Key",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "aws:lambda/permission:Permission",
        "aws:route53/resolverFirewallConfig:ResolverFirewallConfig",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:sns/topicSubscription:TopicSubscription",
        QUEUE_POLICY,
    }
)


@pytest.fixture(scope="module")
def longest_named_stacks(build_both_stacks) -> list[BuiltStack]:
    """Both stacks, built for the longest stack name: what grows with the stack name is at its largest."""
    return build_both_stacks(LONGEST_STACK_NAME)


def aws_resources(stacks: list[BuiltStack]) -> list[RecordedResource]:
    return [item for stack in stacks for item in stack.resources.resources if item.type_token.startswith("aws:")]


def physical_name(resource: RecordedResource, rule: NameRule) -> str:
    """The name AWS gets: the program's, or the logical name with Pulumi's auto-name suffix."""
    return resource.inputs.get(rule.name_input) or f"{resource.name}{AUTONAME_SUFFIX}"


def test_every_physical_name_fits_its_services_rules(longest_named_stacks):
    problems = []
    for resource in aws_resources(longest_named_stacks):
        rule = NAME_RULES.get(resource.type_token)
        if rule is None:
            continue
        name = physical_name(resource, rule)
        if not rule.min_length <= len(name) <= rule.max_length or not re.fullmatch(rule.pattern, name):
            problems.append(f"{resource.type_token} {name!r} ({len(name)} characters)")

    assert problems == []


def test_every_resource_type_of_the_stack_is_known_to_the_name_rules(longest_named_stacks):
    types = {resource.type_token for resource in aws_resources(longest_named_stacks)}

    assert types - NAME_RULES.keys() - UNNAMED_TYPES == set()
    assert NAME_RULES.keys() <= types, "a rule for a type the stack no longer declares"


@pytest.mark.parametrize(
    ("stack", "message"),
    [
        # Pulumi accepts periods in stack names; Lambda, CloudWatch dashboards and ECS task families do not.
        ("staging.eu", "may hold only letters, digits, hyphens and underscores"),
        (LONGEST_STACK_NAME + "x", "is longer than 64 characters"),
    ],
)
def test_a_stack_name_aws_would_refuse_in_a_function_name_stops_the_program(stack, message):
    new_mocks(stack=stack)

    with pytest.raises(ValueError, match=message):
        function_name("processing", "process-results-fn")


def test_role_paths_and_security_group_descriptions_fit_their_rules(longest_named_stacks):
    resources = aws_resources(longest_named_stacks)
    paths = {resource.inputs["path"] for resource in resources if resource.type_token == ROLE}
    descriptions = [
        text
        for resource in resources
        if resource.type_token == SECURITY_GROUP
        for text in (
            resource.inputs["description"],
            *(rule.get("description", "") for rule in resource.inputs.get("ingress", [])),
            *(rule.get("description", "") for rule in resource.inputs.get("egress", [])),
        )
    ]

    assert paths and descriptions
    # IAM CreateRole Path: 1-512 characters, "/" or "/.../" of printable ASCII.
    assert all(len(path) <= 512 and re.fullmatch(r"/|/[\x21-\x7e]+/", path) for path in paths), paths
    # EC2 CreateSecurityGroup: descriptions take the group name's characters, up to 255.
    assert all(len(text) <= 255 and re.fullmatch(f"{SECURITY_GROUP_TEXT}*", text) for text in descriptions)


# Sizes as AWS counts them: IAM leaves white space out, the other services count every character or byte.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
INLINE_ROLE_POLICIES_CHARACTERS = 10_240  # all inline policies of one role together
MANAGED_POLICY_CHARACTERS = 6_144  # the permissions boundary
TRUST_POLICY_CHARACTERS = 2_048  # the default quota
# IAM policy documents may hold tab, line feed, carriage return and U+0020-U+00FF only.
IAM_DOCUMENT_CHARACTERS = re.compile(r"[\t\n\r\x20-\xff]*")
BUCKET_POLICY_BYTES = 20 * 1024  # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html
QUEUE_POLICY_BYTES = 8_192  # https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html
KEY_POLICY_BYTES = 32 * 1024  # KMS CreateKey / PutKeyPolicy: Policy
ENDPOINT_POLICY_CHARACTERS = 20_480  # https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
FUNCTION_ENVIRONMENT_BYTES = 4 * 1024  # https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
STATE_MACHINE_DEFINITION_BYTES = 1024 * 1024  # https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html


def in_long_region(text: str) -> str:
    return text.replace(REGION, LONG_REGION)


def iam_size(text: str) -> int:
    return len("".join(in_long_region(text).split()))


def byte_size(text: str) -> int:
    return len(in_long_region(text).encode())


def character_size(text: str) -> int:
    return len(in_long_region(text))


def documents_of(resources: list[RecordedResource], type_token: str, field: str = "policy") -> list[str]:
    return [resource.inputs[field] for resource in resources if resource.type_token == type_token]


#: Resource documents: type, input, how AWS measures it, its limit.
RESOURCE_DOCUMENT_LIMITS = (
    (ROLE, "assumeRolePolicy", iam_size, TRUST_POLICY_CHARACTERS),
    ("aws:s3/bucketPolicy:BucketPolicy", "policy", byte_size, BUCKET_POLICY_BYTES),
    (QUEUE_POLICY, "policy", byte_size, QUEUE_POLICY_BYTES),
    ("aws:kms/key:Key", "policy", byte_size, KEY_POLICY_BYTES),
    (VPC_ENDPOINT, "policy", character_size, ENDPOINT_POLICY_CHARACTERS),
    (STATE_MACHINE, "definition", byte_size, STATE_MACHINE_DEFINITION_BYTES),
)


def test_every_policy_document_and_the_definition_fit_their_services_size_limits(longest_named_stacks):
    resources = aws_resources(longest_named_stacks)
    inline_by_role: dict[tuple[int, str], int] = defaultdict(int)
    for index, stack in enumerate(longest_named_stacks):
        for resource in stack.resources.of_type(ROLE_POLICY):
            inline_by_role[(index, resource.inputs["role"])] += iam_size(resource.inputs["policy"])
    largest = {
        (type_token, field): (max(map(measure, documents_of(resources, type_token, field))), limit)
        for type_token, field, measure, limit in RESOURCE_DOCUMENT_LIMITS
    }
    largest[(ROLE_POLICY, "policy")] = (max(inline_by_role.values()), INLINE_ROLE_POLICIES_CHARACTERS)

    assert {document: sizes for document, sizes in largest.items() if sizes[0] > sizes[1]} == {}


def test_every_iam_document_holds_only_characters_iam_accepts(longest_named_stacks):
    resources = aws_resources(longest_named_stacks)
    documents = [*documents_of(resources, ROLE_POLICY), *documents_of(resources, ROLE, "assumeRolePolicy")]

    assert documents
    assert all(IAM_DOCUMENT_CHARACTERS.fullmatch(text) for text in documents)


def test_every_function_environment_fits_lambdas_limit(longest_named_stacks):
    environments = [
        resource.inputs["environment"]["variables"]
        for resource in aws_resources(longest_named_stacks)
        if resource.type_token == FUNCTION
    ]
    sizes = [sum(len(key.encode()) + len(value.encode()) for key, value in env.items()) for env in environments]

    assert max(sizes) <= FUNCTION_ENVIRONMENT_BYTES


def test_the_bootstraps_documents_fit_iams_size_limits():
    """The longest environment name and a state bucket of the longest bucket name: its largest documents."""
    stack = run_bootstrap(environments='["staging"]', stateBucketArn=f"arn:aws:s3:::{'b' * 63}").resources.resources
    inline = [iam_size(text) for text in documents_of(stack, ROLE_POLICY)]  # one inline policy per role
    boundary = [iam_size(text) for text in documents_of(stack, "aws:iam/policy:Policy")]
    trust = [iam_size(text) for text in documents_of(stack, ROLE, "assumeRolePolicy")]

    assert len(inline) == len(trust) == 2 and len(boundary) == 1
    assert max(inline) <= INLINE_ROLE_POLICIES_CHARACTERS
    assert max(boundary) <= MANAGED_POLICY_CHARACTERS
    assert max(trust) <= TRUST_POLICY_CHARACTERS


def test_every_alarm_period_is_one_cloudwatch_accepts(longest_named_stacks):
    alarms = [resource.inputs for resource in aws_resources(longest_named_stacks) if resource.type_token == ALARM]

    # PutMetricAlarm: Period 10, 20, 30 or a multiple of 60; below an hour, Period x EvaluationPeriods at most a day.
    assert alarms
    assert all(alarm["period"] in (10, 20, 30) or alarm["period"] % 60 == 0 for alarm in alarms)
    assert all(alarm["period"] * alarm["evaluationPeriods"] <= 86_400 for alarm in alarms)
