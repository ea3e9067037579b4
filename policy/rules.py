"""The pipeline's policies as pure functions of resource types and properties (engine names, camelCase).

``__main__.py`` wraps each rule in a CrossGuard policy; the unit tests run the same functions over
the resources the Pulumi mocks capture, so a violation fails the test suite before any preview.
A rule returns the violation messages it found (an empty list when the resource complies).

Only the standard library is used: the policy pack runs in its own virtualenv.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

REQUIRED_TAG_KEYS = ("project", "environment")
ALLOWED_ROUTE_AUTHORIZATION = ("JWT", "AWS_IAM", "CUSTOM")
PUBLIC_ACCESS_BLOCK_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
# Managed policies that grant everything (or nearly) and must never be attached by this stack.
BROAD_MANAGED_POLICIES = ("arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/PowerUserAccess")

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_ACLS = ("aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
POLICY_DOCUMENT_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy")
# A bucket and a queue also take their policy as an argument of their own (``policy``).
RESOURCE_POLICY_TYPES = (
    BUCKET_POLICY,
    BUCKET,
    "aws:sqs/queuePolicy:QueuePolicy",
    "aws:sqs/queue:Queue",
    "aws:kms/key:Key",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
)
ROLE = "aws:iam/role:Role"
POLICY_ATTACHMENT_TYPES = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",)
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROUTE = "aws:apigatewayv2/route:Route"
AWS_PROVIDER = "pulumi:providers:aws"


@dataclass(frozen=True)
class Resource:
    """What a stack-level rule sees of one resource; ``property_dependencies``: argument -> URNs its value came from."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


ResourceRule = Callable[[str, Mapping[str, Any]], list[str]]
StackRule = Callable[[Sequence[Resource]], list[str]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: ResourceRule | StackRule
    stack_level: bool = False


def _as_object(value: Any) -> Any:
    """Documents may arrive as JSON text (policy strings) or already parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _as_list(value: Any) -> list[Any]:
    """A value that may be one item or many (the engine hands lists over as read-only sequences)."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def encryption_at_rest(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Tables, queues, topics and image repositories are encrypted at rest."""
    if resource_type == "aws:dynamodb/table:Table":
        if not (_as_object(props.get("serverSideEncryption")) or {}).get("enabled"):
            return ["DynamoDB table without server-side encryption (serverSideEncryption.enabled)"]
    elif resource_type == "aws:sqs/queue:Queue":
        if not (props.get("sqsManagedSseEnabled") or props.get("kmsMasterKeyId")):
            return ["SQS queue without encryption (sqsManagedSseEnabled or kmsMasterKeyId)"]
    elif resource_type == "aws:sns/topic:Topic":
        if not props.get("kmsMasterKeyId"):
            return ["SNS topic without a KMS key (kmsMasterKeyId)"]
    elif resource_type == "aws:ecr/repository:Repository":
        if not _as_list(props.get("encryptionConfigurations")):
            return ["ECR repository without encryptionConfigurations"]
    elif resource_type == BUCKET_ENCRYPTION:
        rules = _as_list(_as_object(props.get("rules")))
        defaults = [(rule or {}).get("applyServerSideEncryptionByDefault") or {} for rule in rules]
        if not any(default.get("sseAlgorithm") for default in defaults):
            return ["bucket encryption configuration without a default sseAlgorithm"]
    return []


def no_public_buckets(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Public access blocks block everything, no public canned ACLs, no anonymous Allow in bucket policies.

    The bucket's own ``acl`` and ``policy`` arguments are checked like the separate resources.
    """
    if resource_type == BUCKET_PUBLIC_ACCESS_BLOCK:
        off = [flag for flag in PUBLIC_ACCESS_BLOCK_FLAGS if props.get(flag) is not True]
        return [f"bucket public access block leaves {', '.join(off)} off"] if off else []
    problems = []
    if resource_type in (BUCKET, *BUCKET_ACLS) and props.get("acl") in PUBLIC_CANNED_ACLS:
        problems.append(f"bucket ACL {props['acl']!r} makes objects public")
    if resource_type in (BUCKET, BUCKET_POLICY):
        document = _as_object(props.get("policy")) or {}
        problems += [
            f"bucket policy statement {statement.get('Sid', index)!r} allows anyone (Principal '*' or NotPrincipal)"
            for index, statement in enumerate(_as_list(document.get("Statement")))
            if statement.get("Effect") == "Allow" and _allows_anyone(statement)
        ]
    return problems


def _allows_anyone(statement: Mapping[str, Any]) -> bool:
    """An Allow with ``NotPrincipal`` grants every principal but the ones it names, anonymous ones included."""
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))


#: Resource policies whose principals say who may act (a VPC endpoint's policy says what may pass
#: through it, always with ``Principal: "*"``; a bucket's are ``no-public-buckets``' to check).
PRINCIPAL_POLICY_TYPES = ("aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/queue:Queue", "aws:kms/key:Key")


def no_anonymous_principals(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Queue, key and trust policies allow no one-and-all (``Principal '*'`` or NotPrincipal) without a Condition.

    With a condition (``aws:SourceArn``, ``aws:SourceAccount``, ...) such a statement is the usual way to
    admit one service's calls on the stack's behalf.
    """
    if resource_type in PRINCIPAL_POLICY_TYPES:
        document, what = props.get("policy"), "policy"
    elif resource_type == ROLE:
        document, what = props.get("assumeRolePolicy"), "trust policy"
    else:
        return []
    return [
        f"{what} statement {statement.get('Sid', index)!r} allows anyone (Principal '*' or NotPrincipal) "
        "without a Condition"
        for index, statement in enumerate(_as_list((_as_object(document) or {}).get("Statement")))
        if statement.get("Effect") == "Allow" and _allows_anyone(statement) and not statement.get("Condition")
    ]


def is_wildcard_action(action: str) -> bool:
    """IAM expands ``*`` and ``?`` anywhere in an action name, so either makes it a pattern (``s3:Get*``)."""
    return "*" in action or "?" in action


def wildcard_action_problems(document: Any) -> list[str]:
    """Allow statements of an IAM document (JSON text or parsed) granting a wildcard action or NotAction."""
    problems = []
    for index, statement in enumerate(_as_list((_as_object(document) or {}).get("Statement"))):
        if statement.get("Effect") != "Allow":
            continue
        label = statement.get("Sid", index)
        if "NotAction" in statement:
            problems.append(f"statement {label!r} allows NotAction (everything else)")
        wildcards = [action for action in _as_list(statement.get("Action")) if is_wildcard_action(action)]
        if wildcards:
            problems.append(f"statement {label!r} allows wildcard action(s) {wildcards}")
    return problems


def no_wildcard_iam_actions(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """IAM documents name their actions: no ``*`` or ``?`` in an allowed action, no NotAction, no admin policies.

    Identity policies, trust policies and the resource policies of buckets, queues and keys alike.
    """
    if resource_type in POLICY_DOCUMENT_TYPES + RESOURCE_POLICY_TYPES:
        return wildcard_action_problems(props.get("policy"))
    if resource_type == ROLE:
        problems = wildcard_action_problems(props.get("assumeRolePolicy"))
        for inline in _as_list(_as_object(props.get("inlinePolicies"))):
            problems += wildcard_action_problems((inline or {}).get("policy"))
        broad = [arn for arn in _as_list(props.get("managedPolicyArns")) if arn in BROAD_MANAGED_POLICIES]
        return problems + [f"role attaches {arn}" for arn in broad]
    if resource_type in POLICY_ATTACHMENT_TYPES and props.get("policyArn") in BROAD_MANAGED_POLICIES:
        return [f"attachment of {props['policyArn']}"]
    return []


def log_retention_set(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every log group expires its events."""
    if resource_type != LOG_GROUP:
        return []
    retention = props.get("retentionInDays")
    # Numbers reach policies as protobuf doubles.
    if not isinstance(retention, int | float) or isinstance(retention, bool) or retention <= 0:
        return ["log group without retentionInDays (its logs would be kept forever)"]
    return []


def routes_require_authorizer(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every HTTP API route is behind an authorizer."""
    if resource_type != ROUTE:
        return []
    authorization = props.get("authorizationType")
    route = props.get("routeKey")
    if authorization not in ALLOWED_ROUTE_AUTHORIZATION:
        return [
            f"route {route!r} has authorizationType {authorization!r}; expected one of {ALLOWED_ROUTE_AUTHORIZATION}"
        ]
    if authorization in ("JWT", "CUSTOM") and not props.get("authorizerId"):
        return [f"route {route!r} uses {authorization} without an authorizerId"]
    return []


def default_tags_present(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The AWS provider tags every resource it creates with the project and the environment."""
    if resource_type != AWS_PROVIDER:
        return []
    default_tags = _as_object(props.get("defaultTags")) or {}
    tags = _as_object(default_tags.get("tags")) or {}
    missing = [key for key in REQUIRED_TAG_KEYS if not tags.get(key)]
    return [f"AWS provider default tags lack {missing}"] if missing else []


#: What each bucket needs one of, given the bucket in its ``bucket`` argument.
BUCKET_COMPANIONS = {BUCKET_ENCRYPTION: "default-encryption configuration",
                     BUCKET_PUBLIC_ACCESS_BLOCK: "public access block"}


def _buckets_named_by(companion: Resource, buckets: Sequence[Resource]) -> list[Resource]:
    """The bucket a companion's ``bucket`` argument came from, else the buckets whose name or id it holds.

    During a preview that argument is a new bucket's id, unknown (reading it would stop the policy), but the
    engine knows where it came from. The mocks, and a bucket named by a literal, leave no such source.
    """
    sources = companion.property_dependencies.get("bucket", ())
    from_source = [bucket for bucket in buckets if bucket.urn in sources]
    if from_source:
        return from_source
    named = companion.props.get("bucket")
    return [item for item in buckets if named is not None and named in (item.props.get("bucket"), item.props.get("id"))]


def every_bucket_encrypted_and_blocked(resources: Sequence[Resource]) -> list[str]:
    """Each bucket has a default-encryption configuration and a public access block of its own, matched by
    ``_buckets_named_by``: two on one bucket leave the other bucket reported, by name."""
    buckets = [item for item in resources if item.type == BUCKET]
    problems = []
    for companion_type, what in BUCKET_COMPANIONS.items():
        # By identity: comparing Resources would read all their values, unknown ones included.
        covered = {id(bucket) for item in resources if item.type == companion_type
                   for bucket in _buckets_named_by(item, buckets)}
        problems += [f"bucket {bucket.name} has no {what}" for bucket in buckets if id(bucket) not in covered]
    return problems


RULES: tuple[Rule, ...] = (
    Rule("encryption-at-rest", "Tables, queues, topics, repositories and buckets are encrypted at rest.",
         encryption_at_rest),
    Rule("no-public-buckets", "Buckets block public access; no public ACLs or anonymous Allow statements.",
         no_public_buckets),
    Rule("no-wildcard-iam-actions", "IAM documents name their actions: no '*' or '?' in one, no NotAction.",
         no_wildcard_iam_actions),
    Rule("no-anonymous-principals", "Queue, key and trust policies admit no one-and-all principal without a Condition.",
         no_anonymous_principals),
    Rule("log-retention-set", "Every log group has a retention period.", log_retention_set),
    Rule("routes-require-authorizer", "Every HTTP API route is behind an authorizer.", routes_require_authorizer),
    Rule("default-tags-present", "The AWS provider tags every resource with project and environment.",
         default_tags_present),
    Rule("buckets-encrypted-and-blocked", "Every bucket has its own default encryption and public access block.",
         every_bucket_encrypted_and_blocked, stack_level=True),
)


def violations(resources: Iterable[Resource]) -> list[str]:
    """Every violation of every rule in a set of resources, as ``rule: type name: message``."""
    resources = list(resources)
    found = []
    for rule in RULES:
        if rule.stack_level:
            found += [f"{rule.name}: {message}" for message in rule.check(resources)]
            continue
        for item in resources:
            messages = rule.check(item.type, item.props)
            found += [f"{rule.name}: {item.type} {item.name}: {message}" for message in messages]
    return found
