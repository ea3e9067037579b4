"""Checks on recorded resources: each returns the list of problems it finds (empty = the property holds).

The tests assert ``== []`` on the real program and, for the negative twins, feed a copy with one
property removed (``StackResources.mutated``/``without``) and assert the check reports it.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_mocks import REPO_ROOT, RecordedResource, StackResources

BUCKET = "aws:s3/bucket:Bucket"
TABLE = "aws:dynamodb/table:Table"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROUTE = "aws:apigatewayv2/route:Route"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
STAGE = "aws:apigatewayv2/stage:Stage"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
PROVIDER = "pulumi:providers:aws"


def bucket_problems(stack: StackResources, bucket: RecordedResource) -> list[str]:
    """Encryption, versioning, public access block, ownership, TLS-only policy, lifecycle, EventBridge."""
    problems = []

    def settings(type_token: str) -> list[dict[str, Any]]:
        return [item.inputs for item in stack.attached_to(type_token, "bucket", bucket.resource_id)]

    encryption = settings(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    rules = [rule for config in encryption for rule in config.get("rules", [])]
    if not any(
        rule.get("applyServerSideEncryptionByDefault", {}).get("sseAlgorithm") in ("AES256", "aws:kms")
        and rule.get("bucketKeyEnabled")
        for rule in rules
    ):
        problems.append("no default server-side encryption with bucket key")
    if not any(
        item.get("versioningConfiguration", {}).get("status") == "Enabled"
        for item in settings("aws:s3/bucketVersioning:BucketVersioning")
    ):
        problems.append("versioning is not enabled")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if not any(
        all(item.get(flag) is True for flag in flags)
        for item in settings("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    ):
        problems.append("public access is not blocked on all four settings")
    if not any(
        item.get("rule", {}).get("objectOwnership") == "BucketOwnerEnforced"
        for item in settings("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    ):
        problems.append("ACLs are not disabled (ownership is not BucketOwnerEnforced)")
    if not any(
        denies_insecure_transport(json.loads(item["policy"]), bucket.outputs["arn"])
        for item in settings("aws:s3/bucketPolicy:BucketPolicy")
    ):
        problems.append("no bucket policy denying requests without TLS")
    if not any(
        item.get("eventbridge") is True for item in settings("aws:s3/bucketNotification:BucketNotification")
    ):
        problems.append("EventBridge notifications are off")
    lifecycle = settings("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    if not any(rule.get("status") == "Enabled" for item in lifecycle for rule in item.get("rules", [])):
        problems.append("no enabled lifecycle rule")
    return problems


def denies_insecure_transport(policy: Mapping[str, Any], bucket_arn: str) -> bool:
    """Whether a bucket policy denies every action on the bucket and its objects when TLS is not used."""
    for statement in _statements(policy):
        condition = statement.get("Condition", {}).get("Bool", {})
        resources = set(as_list(statement.get("Resource")))
        if (
            statement.get("Effect") == "Deny"
            and str(condition.get("aws:SecureTransport")).lower() == "false"
            and {bucket_arn, f"{bucket_arn}/*"} <= resources
            and set(as_list(statement.get("Action"))) & {"s3:*"}
        ):
            return True
    return False


def table_problems(table: RecordedResource) -> list[str]:
    """Keys per spec §4 (``userId`` hash / ``sessionId`` range, both S), on-demand, PITR, SSE."""
    inputs, problems = table.inputs, []
    attributes = {item["name"]: item["type"] for item in inputs.get("attributes", [])}
    if (inputs.get("hashKey"), inputs.get("rangeKey")) != ("userId", "sessionId"):
        problems.append(
            f"key schema is {inputs.get('hashKey')}/{inputs.get('rangeKey')}, not userId/sessionId"
        )
    if attributes != {"userId": "S", "sessionId": "S"}:
        problems.append(f"key attributes are {attributes}")
    if inputs.get("billingMode") != "PAY_PER_REQUEST":
        problems.append("billing is not on-demand")
    if inputs.get("pointInTimeRecovery", {}).get("enabled") is not True:
        problems.append("point-in-time recovery is off")
    if inputs.get("serverSideEncryption", {}).get("enabled") is not True:
        problems.append("server-side encryption is off")
    return problems


def queue_problems(
    queue: RecordedResource, dead_letter_queue: RecordedResource, max_receive_count: int
) -> list[str]:
    """Both queues encrypted; the queue redrives to the DLQ after ``max_receive_count`` receives."""
    problems = [
        f"{item.name} is not encrypted"
        for item in (queue, dead_letter_queue)
        if not (item.inputs.get("sqsManagedSseEnabled") or item.inputs.get("kmsMasterKeyId"))
    ]
    redrive = json.loads(queue.inputs.get("redrivePolicy") or "{}")
    if redrive.get("deadLetterTargetArn") != dead_letter_queue.outputs["arn"]:
        problems.append("the queue does not redrive to the dead-letter queue")
    if redrive.get("maxReceiveCount") != max_receive_count:
        problems.append(f"maxReceiveCount is {redrive.get('maxReceiveCount')}, expected {max_receive_count}")
    return problems


def route_problems(stack: StackResources) -> list[str]:
    """Every route uses JWT authorization with the API's JWT authorizer."""
    jwt_authorizers = {
        item.resource_id for item in stack.of_type(AUTHORIZER) if item.inputs.get("authorizerType") == "JWT"
    }
    return [
        f"route {route.inputs.get('routeKey')!r} is not protected by the JWT authorizer"
        for route in stack.of_type(ROUTE)
        if route.inputs.get("authorizationType") != "JWT"
        or route.inputs.get("authorizerId") not in jwt_authorizers
    ]


def function_problems(stack: StackResources, function: RecordedResource) -> list[str]:
    """Runtime, X-Ray, a log group with retention named after the function, a handler that exists."""
    inputs, problems = function.inputs, []
    if inputs.get("runtime") != "python3.12":
        problems.append(f"{function.name}: runtime is {inputs.get('runtime')}")
    if inputs.get("tracingConfig", {}).get("mode") != "Active":
        problems.append(f"{function.name}: X-Ray tracing is not active")
    log_groups = stack.attached_to(LOG_GROUP, "name", f"/aws/lambda/{inputs.get('name')}")
    if not any(group.inputs.get("retentionInDays") for group in log_groups):
        problems.append(f"{function.name}: no log group with retention")
    problems += handler_problems(inputs.get("handler", ""), REPO_ROOT)
    return problems


def handler_problems(handler: str, root: Path) -> list[str]:
    """The handler string names a module file under ``handlers/`` that defines a top-level ``handler``."""
    *module_parts, attribute = handler.split(".")
    if not module_parts or module_parts[0] != "handlers":
        return [f"handler {handler!r} is not in the handlers package"]
    path = root.joinpath(*module_parts).with_suffix(".py")
    if not path.is_file():
        return [f"handler {handler!r}: {path.relative_to(root)} does not exist"]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    names |= {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    names |= {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return [] if attribute in names else [f"handler {handler!r}: {path.name} defines no {attribute!r}"]


def s3_scope_problems(
    policy: Mapping[str, Any], allowed_prefixes: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """Every S3 statement names only the given buckets (``arn``) or objects under their prefixes.

    ``allowed_prefixes`` maps a bucket ARN to the key prefixes objects may be under.
    """
    problems = []
    allowed = {arn for arn in allowed_prefixes} | {
        f"{arn}/{prefix}*" for arn, prefixes in allowed_prefixes.items() for prefix in prefixes
    }
    for statement in _statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        if not any(action.startswith("s3:") for action in actions):
            continue
        if any(action in ("s3:*", "*") for action in actions):
            problems.append(f"wildcard S3 action in {actions}")
        for resource in as_list(statement.get("Resource")):
            if not _within(resource, allowed):
                problems.append(f"S3 resource {resource!r} is outside the stack's buckets and prefixes")
    return problems


def _within(resource: str, allowed: set[str]) -> bool:
    if resource in allowed:
        return True
    # A narrower resource under an allowed prefix (e.g. `.../results/*/manifest.json`) is fine too.
    return any(
        pattern.endswith("*") and resource.startswith(pattern[:-1]) and resource != pattern[:-1]
        for pattern in allowed
    )


def network_problems(stack: StackResources) -> list[str]:
    """No internet path; the endpoints Fargate needs exist; the task security group is closed."""
    problems = []
    for forbidden in (
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    ):
        if stack.of_type(forbidden):
            problems.append(f"the stack declares {forbidden}")
    for route_table in stack.of_type("aws:ec2/routeTable:RouteTable"):
        if route_table.inputs.get("routes"):
            problems.append(f"{route_table.name} has routes beyond the local one")
    if stack.of_type("aws:ec2/route:Route"):
        problems.append("the stack declares explicit routes")
    # "com.amazonaws.eu-west-2.ecr.api" -> "ecr.api"
    endpoints = {
        item.inputs.get("serviceName", "").split(".", 3)[-1]: item for item in stack.of_type(VPC_ENDPOINT)
    }
    for service in ("s3", "dynamodb"):
        if endpoints.get(service) is None or endpoints[service].inputs.get("vpcEndpointType") != "Gateway":
            problems.append(f"no {service} gateway endpoint")
    for service in ("ecr.api", "ecr.dkr", "logs"):
        endpoint = endpoints.get(service)
        if endpoint is None or endpoint.inputs.get("vpcEndpointType") != "Interface":
            problems.append(f"no {service} interface endpoint")
        elif endpoint.inputs.get("privateDnsEnabled") is not True:
            problems.append(f"the {service} endpoint has no private DNS")
    for subnet in stack.of_type("aws:ec2/subnet:Subnet"):
        if subnet.inputs.get("mapPublicIpOnLaunch"):
            problems.append(f"{subnet.name} assigns public IPs")
    return problems


def task_security_group_problems(group: RecordedResource) -> list[str]:
    """No ingress; egress only HTTPS."""
    problems = []
    if group.inputs.get("ingress"):
        problems.append(f"{group.name} allows ingress")
    egress = group.inputs.get("egress", [])
    if not egress:
        problems.append(f"{group.name} has no egress to the endpoints")
    for rule in egress:
        if (rule.get("protocol"), rule.get("fromPort"), rule.get("toPort")) != ("tcp", 443, 443):
            problems.append(f"{group.name} allows egress beyond HTTPS: {rule}")
        if "0.0.0.0/0" in rule.get("cidrBlocks", []):
            problems.append(f"{group.name} allows egress to the internet")
    return problems


def tagging_problems(stack: StackResources, expected_tags: Mapping[str, str]) -> list[str]:
    """Every AWS resource is created through a provider whose default tags include ``expected_tags``."""
    tagged_providers = set()
    for provider in stack.of_type(PROVIDER):
        tags = json.loads(provider.inputs.get("defaultTags") or "{}").get("tags", {})
        if all(tags.get(key) == value for key, value in expected_tags.items()):
            # A provider reference is "<provider urn>::<provider id>";
            # the urn ends "...$pulumi:providers:aws::<name>".
            tagged_providers.add(f"{PROVIDER}::{provider.name}::{provider.resource_id}")
    return [
        f"{item.type_token} {item.name} is not created through the tagged provider"
        for item in stack.resources
        if item.type_token.startswith("aws:")
        and not any(item.provider.endswith(f"${reference}") for reference in tagged_providers)
    ]


def alarm_problems(stack: StackResources, topic_arn: str) -> list[str]:
    """Alarms on DLQ depth, failed executions, execution time and each function's errors, all to the topic."""
    alarms = stack.of_type(ALARM)
    problems = [
        f"{alarm.name} notifies {alarm.inputs.get('alarmActions')}"
        for alarm in alarms
        if alarm.inputs.get("alarmActions") != [topic_arn]
    ]
    metrics = [(alarm.inputs.get("namespace"), alarm.inputs.get("metricName")) for alarm in alarms]
    for metric in (
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/States", "ExecutionsFailed"),
        ("AWS/States", "ExecutionTime"),
    ):
        if metric not in metrics:
            problems.append(f"no alarm on {metric}")
    watched = {
        alarm.inputs.get("dimensions", {}).get("FunctionName")
        for alarm in alarms
        if alarm.inputs.get("metricName") == "Errors"
    }
    for function in stack.of_type(FUNCTION):
        if function.inputs["name"] not in watched:
            problems.append(f"no Errors alarm on {function.inputs['name']}")
    return problems


def _statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy.get("Statement"))


def as_list(value: Any) -> list[Any]:
    """A policy field that may be a single value or a list, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def unscoped_resource_problems(stack: StackResources, wildcard_actions: frozenset[str]) -> list[str]:
    """Every role-policy resource belongs to this stack; ``"*"`` only for actions AWS cannot scope.

    A resource is in scope when it starts with the ARN of a resource the stack declared (a bucket
    ARN covers its key prefixes, a log group ARN its streams), is a task of this stack's cluster,
    or is the rule Step Functions manages for ``.sync`` ECS tasks.
    """
    scopes = {item.outputs["arn"] for item in stack.resources if isinstance(item.outputs.get("arn"), str)}
    for cluster in stack.of_type("aws:ecs/cluster:Cluster"):
        scopes.add(cluster.outputs["arn"].replace(":cluster/", ":task/") + "/")
    account_region = stack.of_type("aws:ecs/cluster:Cluster")[0].outputs["arn"].split(":cluster/")[0]
    scopes.add(account_region.replace(":ecs:", ":events:") + ":rule/StepFunctionsGetEventsForECSTaskRule")
    problems = []
    for policy in stack.of_type(ROLE_POLICY):
        for statement in _statements(json.loads(policy.inputs["policy"])):
            actions = set(as_list(statement.get("Action")))
            for resource in as_list(statement.get("Resource")):
                if resource == "*" and not actions <= wildcard_actions:
                    problems.append(f"{policy.name}: {sorted(actions - wildcard_actions)} on '*'")
                elif resource != "*" and not any(resource.startswith(scope) for scope in scopes):
                    problems.append(f"{policy.name}: {resource} is not a resource of this stack")
    return problems
