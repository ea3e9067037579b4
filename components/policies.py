"""IAM policy documents of the pipeline, as plain dicts built from plain ARNs.

Each public function returns one document ``{"Version": "2012-10-17", "Statement": [...]}``; the
Pulumi components ``json.dumps`` it inside ``Output.all(...).apply(...)``. No Pulumi import here.

Rules every document follows (``tests/builders`` checks them):

* No Allow statement has a wildcard action (``*``, ``s3:*``, ``s3:Get*``): actions are listed.
* Allow statements name the ARNs (or key prefixes) they were given. ``"Resource": "*"`` appears
  only for actions AWS authorises on no narrower resource (see :data:`RESOURCE_WILDCARD_ACTIONS`)
  and in the KMS key policy, where ``*`` means "this key".
* The one service-wide action is the ``s3:*`` of :func:`tls_only_bucket_policy`, a Deny: a
  Deny meant to block every request without TLS has to cover every action.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.keys import RESULTS_PREFIX, UPLOAD_PREFIX

POLICY_VERSION = "2012-10-17"

#: Rule that Step Functions creates and updates in the account to learn when a ``.sync`` ECS task stops.
ECS_SYNC_EVENTS_RULE = "StepFunctionsGetEventsForECSTaskRule"

#: Actions for which AWS accepts only ``"Resource": "*"`` in an identity policy.
XRAY_WRITE_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
XRAY_SAMPLING_ACTIONS = ("xray:GetSamplingRules", "xray:GetSamplingTargets")
ECR_AUTHORIZATION_ACTIONS = ("ecr:GetAuthorizationToken",)
LOG_DELIVERY_ACTIONS = (
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
)
RESOURCE_WILDCARD_ACTIONS = frozenset(
    (*XRAY_WRITE_ACTIONS, *XRAY_SAMPLING_ACTIONS, *ECR_AUTHORIZATION_ACTIONS, *LOG_DELIVERY_ACTIONS)
)

#: What the account may do to administer the topic key, listed instead of ``kms:*``.
KEY_ADMINISTRATION_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:ListKeyRotations",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:UpdateKeyDescription",
    "kms:ListResourceTags",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:ListGrants",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)
#: What a publisher to an SSE-KMS topic needs on the topic's key.
TOPIC_KEY_USE_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
IMAGE_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")


def assume_role_policy(service: str) -> dict[str, Any]:
    """Trust policy letting one AWS service principal assume the role.

    Parameters
    ----------
    service
        Service principal, e.g. ``"lambda.amazonaws.com"``, ``"ecs-tasks.amazonaws.com"``,
        ``"states.amazonaws.com"``.
    """
    if not service.endswith(".amazonaws.com"):
        raise ValueError(f"expected a service principal such as 'lambda.amazonaws.com', got {service!r}")
    return _document(
        {
            "Sid": "AssumeRoleByService",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }
    )


def start_function_policy(
    *, log_group_arn: str, queue_arn: str, status_table_arn: str, state_machine_arn: str
) -> dict[str, Any]:
    """The start function: consume the upload queue, count the user's active runs, write ``RECEIVED``
    (a conditional UpdateItem), start the execution."""
    return _document(
        *_function_basics(log_group_arn),
        _allow(
            "ConsumeUploadQueue",
            (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ),
            queue_arn,
        ),
        _allow(
            "WriteRunStatus",
            ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"),
            status_table_arn,
        ),
        _allow("StartProcessing", ("states:StartExecution",), state_machine_arn),
    )


def validate_function_policy(*, log_group_arn: str, upload_bucket_arn: str) -> dict[str, Any]:
    """The validate function: read the uploaded zip (head and ranged reads of its central directory)."""
    return _document(
        *_function_basics(log_group_arn),
        _allow("ReadUploads", READ_OBJECT_ACTIONS, object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        _list_keys(upload_bucket_arn),
    )


def process_results_function_policy(
    *, log_group_arn: str, results_bucket_arn: str, status_table_arn: str, classifier_table_arn: str
) -> dict[str, Any]:
    """The process-results function: read and check the run's outputs, record ``SUCCEEDED``
    and the classifier item (one DynamoDB transaction: UpdateItem + PutItem)."""
    return _document(
        *_function_basics(log_group_arn),
        _allow("ReadResults", ("s3:GetObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
        # Also what lists the run's outputs to check they exist.
        _list_keys(results_bucket_arn),
        _allow("RecordSuccess", ("dynamodb:UpdateItem",), status_table_arn),
        _allow("StoreClassifierSummary", ("dynamodb:PutItem",), classifier_table_arn),
    )


def record_failure_function_policy(
    *, log_group_arn: str, results_bucket_arn: str, status_table_arn: str
) -> dict[str, Any]:
    """The record-failure function: read a failed run's manifest (if any) and record ``FAILED``."""
    return _document(
        *_function_basics(log_group_arn),
        _allow("ReadResults", ("s3:GetObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
        _list_keys(results_bucket_arn),
        _allow("RecordFailure", ("dynamodb:UpdateItem",), status_table_arn),
    )


def reconcile_function_policy(*, log_group_arn: str, status_table_arn: str) -> dict[str, Any]:
    """The reconcile function: record ``FAILED`` for the open run of an execution that ended; nothing else."""
    return _document(
        *_function_basics(log_group_arn),
        _allow("RecordEndedRun", ("dynamodb:UpdateItem",), status_table_arn),
    )


def api_function_policy(
    *,
    log_group_arn: str,
    status_table_arn: str,
    classifier_table_arn: str,
    upload_bucket_arn: str,
    results_bucket_arn: str,
    limits_table_arn: str,
) -> dict[str, Any]:
    """The API function: read sessions and classifier summaries, sign uploads and downloads, count
    each user's upload requests.

    A presigned request carries the signer's permissions, so the function needs ``s3:PutObject``
    on ``uploads/*`` for the presigned POST and ``s3:GetObject`` on ``results/*`` for the
    presigned downloads of ``classifier.json``, the report and its figures, and to read a run's
    ``manifest.json`` and ``metrics.json`` for the report route.
    """
    return _document(
        *_function_basics(log_group_arn),
        _allow("ReadSessions", ("dynamodb:Query", "dynamodb:GetItem"), status_table_arn),
        _allow("ReadClassifierSummaries", ("dynamodb:GetItem",), classifier_table_arn),
        _allow("SignUploads", ("s3:PutObject",), object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        _allow("SignResultDownloads", ("s3:GetObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
        _allow("CountUploadRequests", ("dynamodb:UpdateItem",), limits_table_arn),
    )


def presign_run_function_policy(
    *, log_group_arn: str, upload_bucket_arn: str, results_bucket_arn: str
) -> dict[str, Any]:
    """The presign function: sign each run's GET of its upload version and PUTs of its result files.

    A presigned request carries the signer's permissions, so this role holds what the classifier
    task would otherwise need (the task has no role): read uploads (``s3:GetObjectVersion`` for a
    GET of a given version), write results. It lists nothing and reads no result.
    """
    return _document(
        *_function_basics(log_group_arn),
        _allow("SignUploadReads", READ_OBJECT_ACTIONS, object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        _allow("SignResultWrites", ("s3:PutObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
    )


def execution_role_policy(*, repository_arn: str, log_group_arn: str) -> dict[str, Any]:
    """What ECS needs to start the task: pull the image from our repository and ship its logs."""
    return _document(
        # GetAuthorizationToken is account-wide: AWS accepts no resource other than "*".
        _allow("GetRegistryToken", ECR_AUTHORIZATION_ACTIONS, "*"),
        _allow(
            "PullClassifierImage",
            IMAGE_PULL_ACTIONS,
            repository_arn,
        ),
        _allow("WriteTaskLogs", LOG_STREAM_ACTIONS, log_stream_arns(log_group_arn)),
    )


def state_machine_policy(
    *,
    region: str,
    account_id: str,
    function_arns: Sequence[str],
    status_table_arn: str,
    cluster_arn: str,
    task_definition_arn: str,
    execution_role_arn: str,
    topic_arn: str,
    topic_key_arn: str,
) -> dict[str, Any]:
    """The state machine's role: invoke the step functions, update the status, run and watch the
    training task (``.sync``), publish notifications, deliver its logs and traces.

    Raises
    ------
    ValueError
        If ``function_arns`` is empty or a bare string, or ``cluster_arn`` is not an ECS cluster ARN.
    """
    if isinstance(function_arns, str) or not function_arns:
        raise ValueError(f"function_arns must be a non-empty sequence of ARNs, got {function_arns!r}")
    ecs_scope = f"{region}:{account_id}"
    return _document(
        _allow(
            "InvokeStepFunctions",
            ("lambda:InvokeFunction",),
            # Qualified forms too, so a version or alias ARN in the definition keeps working.
            [arn for function_arn in function_arns for arn in (function_arn, f"{function_arn}:*")],
        ),
        _allow("MarkProcessing", ("dynamodb:UpdateItem",), status_table_arn),
        _allow(
            "RunTrainingTask",
            ("ecs:RunTask",),
            task_definition_arn,
            condition={"ArnEquals": {"ecs:cluster": cluster_arn}},
        ),
        _allow(
            "WatchTrainingTask",
            ("ecs:StopTask", "ecs:DescribeTasks"),
            f"arn:aws:ecs:{ecs_scope}:task/{cluster_name(cluster_arn)}/*",
        ),
        _allow(
            "ReceiveTaskStateChanges",
            ("events:PutTargets", "events:PutRule", "events:DescribeRule"),
            f"arn:aws:events:{ecs_scope}:rule/{ECS_SYNC_EVENTS_RULE}",
        ),
        _allow(
            "PassTaskExecutionRole",
            ("iam:PassRole",),
            execution_role_arn,
            condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        _allow("Notify", ("sns:Publish",), topic_arn),
        _allow("EncryptNotifications", TOPIC_KEY_USE_ACTIONS, topic_key_arn),
        # Vended log delivery is configured through these account-level APIs; AWS accepts only "*".
        _allow("DeliverExecutionLogs", LOG_DELIVERY_ACTIONS, "*"),
        # X-Ray trace and sampling APIs take no resource-level permissions; AWS accepts only "*".
        _allow("WriteTraces", (*XRAY_WRITE_ACTIONS, *XRAY_SAMPLING_ACTIONS), "*"),
    )


def queue_policy(*, queue_arn: str, rule_arn: str) -> dict[str, Any]:
    """Queue resource policy: only our EventBridge rule may send upload events to the queue."""
    return _document(
        {
            "Sid": "UploadEventsFromRule",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
    )


def tls_only_bucket_policy(*, bucket_arn: str) -> dict[str, Any]:
    """Bucket policy denying every request to the bucket or its objects made without TLS.

    ``s3:*`` is deliberate and the only service-wide action in this module: it is a Deny, and a
    Deny that is to block plain-HTTP access must cover every action.
    """
    return _document(
        {
            "Sid": "DenyRequestsWithoutTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def topic_key_policy(*, account_id: str) -> dict[str, Any]:
    """Key policy of the notification topic's customer-managed KMS key.

    In a key policy ``"Resource": "*"`` means this key only. The account root may administer the
    key (an explicit action list, no ``kms:*``) and, through IAM policies such as the state
    machine role's, use it for publishing. CloudWatch alarms publish to the encrypted topic as the
    ``cloudwatch.amazonaws.com`` service, which only a customer-managed key can allow; that grant
    is limited to alarms of this account.
    """
    account_root = {"AWS": f"arn:aws:iam::{account_id}:root"}
    return _document(
        {
            "Sid": "AdministerKeyByAccount",
            "Effect": "Allow",
            "Principal": account_root,
            "Action": list(KEY_ADMINISTRATION_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "PublishThroughIamPolicies",
            "Effect": "Allow",
            "Principal": account_root,
            "Action": list(TOPIC_KEY_USE_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "PublishFromCloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": list(TOPIC_KEY_USE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    )


def cluster_name(cluster_arn: str) -> str:
    """The cluster name of an ECS cluster ARN (``arn:aws:ecs:region:account:cluster/NAME``).

    Raises
    ------
    ValueError
        If ``cluster_arn`` is not an ECS cluster ARN.
    """
    parts = cluster_arn.split(":", 5)
    resource = parts[5] if len(parts) == 6 and parts[2] == "ecs" else ""
    kind, _, name = resource.partition("/")
    if kind != "cluster" or not name or "/" in name:
        raise ValueError(f"not an ECS cluster ARN: {cluster_arn!r}")
    return name


def _document(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": [dict(statement) for statement in statements]}


def _allow(
    sid: str,
    actions: Sequence[str],
    resources: str | Sequence[str],
    *,
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
    if condition is not None:
        statement["Condition"] = dict(condition)
    return statement


def _function_basics(log_group_arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Logs to the function's own log group and X-Ray traces: what every function needs."""
    return (
        _allow("WriteFunctionLogs", LOG_STREAM_ACTIONS, log_stream_arns(log_group_arn)),
        # X-Ray writes take no resource-level permissions; AWS accepts only "*".
        _allow("WriteTraces", XRAY_WRITE_ACTIONS, "*"),
    )


def _list_keys(bucket_arn: str) -> dict[str, Any]:
    # Without s3:ListBucket S3 answers a read of a missing key with 403 AccessDenied instead of
    # 404/NoSuchKey, and the handlers could not tell "not there" (a documented outcome, e.g. no
    # manifest) from a real permission error. S3 checks ListBucket on the bucket for that decision
    # without a prefix in the request, so a condition on s3:prefix would defeat it.
    return _allow("ListKeys", ("s3:ListBucket",), bucket_arn)


def object_arns(bucket_arn: str, prefix: str) -> str:
    """The ARN pattern of a bucket's objects under ``prefix``."""
    return f"{bucket_arn}/{prefix}*"


def log_stream_arns(log_group_arn: str) -> str:
    """The ARN pattern of a log group's streams."""
    return f"{log_group_arn}:*"
