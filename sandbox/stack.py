"""Creates, on an emulated AWS endpoint, the resources the Pulumi program declares.

Settings come from the dev stack file (``Pulumi.dev.yaml``, validated by ``components.config``), and
the event pattern, queue trigger and state machine definition from the components' own builders.
Only what the pipeline's behaviour depends on is created: versioned buckets with EventBridge
notifications, the two tables, the upload queue with its dead-letter queue, the EventBridge rules
feeding the queue and the reconcile function, the Lambda functions (their code is dispatched to
``handlers/`` in process),
the ECS cluster and Fargate task definition, the notification topic, and the state machine with
the very definition :func:`components.asl.build_definition` produces for ``pulumi up``.
IAM is not enforced by moto, so one role stands in for all of them.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from components.asl import AslResources, RetryPolicy, build_definition
from components.cluster import CONTAINER_NAME, container_definition
from components.config import PROJECT_NAME, StackSettings
from components.stack_file import stack_file_settings
from components.state_machine import START_BATCH_SIZE, active_run_window_seconds, upload_event_pattern
from contracts.environment import FunctionVariable
from contracts.execution_events import status_change_pattern
from contracts.limits import LIMITS_TABLE_KEY
from contracts.statuses import PARTITION_KEY, SORT_KEY

from .containers import REPO_ROOT, SANDBOX_IMAGE

DEV_STACK_FILE = REPO_ROOT / "Pulumi.dev.yaml"
DEFAULT_PREFIX = f"{PROJECT_NAME}-sandbox"
#: Retries of the handler states are quicker than on AWS: nothing here is throttled.
SANDBOX_RETRY = RetryPolicy(interval_seconds=1, backoff_rate=1.0, max_attempts=2)
HANDLER_MODULES = {
    "start": "handlers.start",
    "validate": "handlers.validate",
    "process-results": "handlers.process_results",
    "record-failure": "handlers.record_failure",
    "reconcile": "handlers.reconcile",
    "api": "handlers.api",
}


_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com", "ecs-tasks.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class LocalStack:
    """Names and ARNs of the emulated resources."""

    prefix: str
    upload_bucket: str
    results_bucket: str
    status_table: str
    classifier_table: str
    queue_url: str
    dead_letter_queue_url: str
    state_machine_arn: str
    cluster_arn: str
    task_definition_arn: str
    topic_arn: str
    limits_table: str
    #: The per-user caps of the stack settings, how long a run may last (components.state_machine)
    #: and the task memory the validate function checks uploads against.
    user_limits: dict[FunctionVariable, str]

    def function_name(self, part: str) -> str:
        return f"{self.prefix}-{part}"

    def handler_environment(self) -> dict[str, str]:
        """The function variables (:class:`contracts.environment.FunctionVariable`) naming its resources."""
        return {
            FunctionVariable.STATUS_TABLE: self.status_table,
            FunctionVariable.CLASSIFIER_TABLE: self.classifier_table,
            FunctionVariable.UPLOAD_BUCKET: self.upload_bucket,
            FunctionVariable.RESULTS_BUCKET: self.results_bucket,
            FunctionVariable.STATE_MACHINE_ARN: self.state_machine_arn,
            FunctionVariable.LIMITS_TABLE: self.limits_table,
            **self.user_limits,
        }


def _placeholder_code() -> bytes:
    """Lambda needs a deployment package; the invocations never run it (see moto_patches)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "The sandbox dispatches this function to handlers/ in process.\n")
    return buffer.getvalue()


def _create_bucket(s3, name: str, region: str, *, eventbridge: bool) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if eventbridge:
        s3.put_bucket_notification_configuration(
            Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )


def create_session_table(dynamodb, name: str) -> None:
    """A table keyed like the status and classifier tables: ``userId`` (hash), ``sessionId`` (range)."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_limits_table(dynamodb, name: str) -> None:
    """The per-user limits table: one string key, ``counterId`` (TTL is not emulated)."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": LIMITS_TABLE_KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": LIMITS_TABLE_KEY, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _create_network(ec2) -> tuple[str, str]:
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    group_id = ec2.create_security_group(
        GroupName="classifier-task", Description="classifier task", VpcId=vpc_id
    )["GroupId"]
    return subnet_id, group_id


def dev_settings() -> StackSettings:
    """The dev stack's validated settings, which the sandbox emulates."""
    return stack_file_settings(DEV_STACK_FILE)


def create_stack(
    session,
    settings: StackSettings,
    *,
    prefix: str = DEFAULT_PREFIX,
    retry: RetryPolicy = SANDBOX_RETRY,
    train_timeout_seconds: int | None = None,
) -> LocalStack:
    """Create every emulated resource through ``session`` (a boto3 session aimed at the emulator).

    ``train_timeout_seconds`` overrides the settings' training timeout (whole minutes) when given.
    """
    region = settings.region
    s3, dynamodb, sqs = session.client("s3"), session.client("dynamodb"), session.client("sqs")
    iam, lambda_client, events = session.client("iam"), session.client("lambda"), session.client("events")
    ecs, ec2, sns, sfn = session.client("ecs"), session.client("ec2"), session.client("sns"), session.client(
        "stepfunctions"
    )

    upload_bucket, results_bucket = f"{prefix}-uploads", f"{prefix}-results"
    _create_bucket(s3, upload_bucket, region, eventbridge=True)
    _create_bucket(s3, results_bucket, region, eventbridge=False)
    status_table, classifier_table = f"{prefix}-status", f"{prefix}-classifiers"
    create_session_table(dynamodb, status_table)
    create_session_table(dynamodb, classifier_table)
    limits_table = f"{prefix}-limits"
    create_limits_table(dynamodb, limits_table)

    role_arn = iam.create_role(RoleName=f"{prefix}-role", AssumeRolePolicyDocument=json.dumps(_TRUST_POLICY))[
        "Role"
    ]["Arn"]

    dead_letter_queue_url = sqs.create_queue(QueueName=f"{prefix}-uploads-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=f"{prefix}-uploads",
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(settings.max_receive_count)}
            )
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    function_arns = {
        part: lambda_client.create_function(
            FunctionName=f"{prefix}-{part}",
            Runtime="python3.12",
            Role=role_arn,
            Handler=f"{module}.handler",
            Code={"ZipFile": _placeholder_code()},
        )["FunctionArn"]
        for part, module in HANDLER_MODULES.items()
    }

    subnet_id, group_id = _create_network(ec2)
    cluster_arn = ecs.create_cluster(clusterName=f"{prefix}-cluster")["cluster"]["clusterArn"]
    task_definition_arn = ecs.register_task_definition(
        family=f"{prefix}-classifier",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=str(settings.task_cpu),
        memory=str(settings.task_memory),
        taskRoleArn=role_arn,
        executionRoleArn=role_arn,
        # The component's own definition: read-only root, /tmp on the scratch volume, its environment.
        containerDefinitions=[
            container_definition(
                image_uri=SANDBOX_IMAGE,
                memory_mib=settings.task_memory,
                log_group_name=f"/aws/ecs/{prefix}-classifier",
                region=settings.region,
            )
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    topic_arn = sns.create_topic(Name=f"{prefix}-notifications")["TopicArn"]

    definition = build_definition(
        AslResources(
            validate_function_arn=function_arns["validate"],
            process_results_function_arn=function_arns["process-results"],
            record_failure_function_arn=function_arns["record-failure"],
            status_table_name=status_table,
            results_bucket_name=results_bucket,
            cluster_arn=cluster_arn,
            task_definition_arn=task_definition_arn,
            container_name=CONTAINER_NAME,
            subnet_ids=[subnet_id],
            security_group_ids=[group_id],
            topic_arn=topic_arn,
        ),
        train_timeout_seconds=train_timeout_seconds or settings.train_timeout_seconds,
        retry=retry,
    )
    state_machine_arn = sfn.create_state_machine(
        name=f"{prefix}-processing", definition=json.dumps(definition), roleArn=role_arn
    )["stateMachineArn"]

    rule_name = f"{prefix}-upload-created"
    events.put_rule(Name=rule_name, EventPattern=json.dumps(upload_event_pattern(upload_bucket)))
    events.put_targets(Rule=rule_name, Targets=[{"Id": "upload-queue", "Arn": queue_arn}])
    ended_rule = f"{prefix}-execution-ended"
    events.put_rule(Name=ended_rule, EventPattern=json.dumps(status_change_pattern(state_machine_arn)))
    events.put_targets(Rule=ended_rule, Targets=[{"Id": "reconcile", "Arn": function_arns["reconcile"]}])
    lambda_client.create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName=function_arns["start"],
        BatchSize=START_BATCH_SIZE,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )

    return LocalStack(
        prefix=prefix,
        upload_bucket=upload_bucket,
        results_bucket=results_bucket,
        status_table=status_table,
        classifier_table=classifier_table,
        queue_url=queue_url,
        dead_letter_queue_url=dead_letter_queue_url,
        state_machine_arn=state_machine_arn,
        cluster_arn=cluster_arn,
        task_definition_arn=task_definition_arn,
        topic_arn=topic_arn,
        limits_table=limits_table,
        user_limits={
            FunctionVariable.MAX_ACTIVE_RUNS_PER_USER: str(settings.max_active_runs_per_user),
            FunctionVariable.MAX_UPLOAD_REQUESTS_PER_MINUTE: str(settings.max_upload_requests_per_minute),
            FunctionVariable.TASK_MEMORY_MIB: str(settings.task_memory),
            FunctionVariable.ACTIVE_RUN_WINDOW_SECONDS: str(
                active_run_window_seconds(settings.train_timeout_seconds)
            ),
        },
    )
