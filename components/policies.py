"""Identity policies of the pipeline's roles, as plain dicts built from plain ARNs: the trust policy,
each function's role, the classifier task's execution role and the state machine's role.

Each public function returns one document ``{"Version": "2012-10-17", "Statement": [...]}``; the
Pulumi components ``json.dumps`` it inside ``Output.all(...).apply(...)``. No Pulumi import here.
The resource policies of the queue, buckets and topic key are in :mod:`components.resource_policies`.

Rules every document follows (``tests/builders`` checks them):

* No Allow statement has a wildcard action (``*``, ``s3:*``, ``s3:Get*``): actions are listed.
* Allow statements name the ARNs (or key prefixes) they were given. ``"Resource": "*"`` appears
  only for actions AWS authorises on no narrower resource (see
  :data:`components.policy_statements.RESOURCE_WILDCARD_ACTIONS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.policy_statements import (
    ECR_AUTHORIZATION_ACTIONS,
    IMAGE_PULL_ACTIONS,
    LOG_DELIVERY_ACTIONS,
    LOG_STREAM_ACTIONS,
    READ_OBJECT_ACTIONS,
    TOPIC_KEY_USE_ACTIONS,
    XRAY_SAMPLING_ACTIONS,
    XRAY_WRITE_ACTIONS,
    allow,
    document,
    log_stream_arns,
    object_arns,
    task_definition_revisions,
)
from contracts.keys import RESULTS_PREFIX, UPLOAD_PREFIX, execution_arn_for

#: Rule that Step Functions creates and updates in the account to learn when a ``.sync`` ECS task stops.
ECS_SYNC_EVENTS_RULE = "StepFunctionsGetEventsForECSTaskRule"


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
    return document(
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
    (a conditional UpdateItem), start the execution, and stop the execution of a run a re-upload
    replaced while it was still waiting or training (this state machine's executions only)."""
    return document(
        *_function_basics(log_group_arn),
        allow(
            "ConsumeUploadQueue",
            (
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ),
            queue_arn,
        ),
        allow(
            "WriteRunStatus",
            ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"),
            status_table_arn,
        ),
        allow("StartProcessing", ("states:StartExecution",), state_machine_arn),
        allow("StopReplacedRuns", ("states:StopExecution",), execution_arn_for(state_machine_arn, "*")),
    )


def validate_function_policy(*, log_group_arn: str, upload_bucket_arn: str) -> dict[str, Any]:
    """The validate function: read the uploaded zip (head and ranged reads of its central directory)."""
    return document(
        *_function_basics(log_group_arn),
        allow("ReadUploads", READ_OBJECT_ACTIONS, object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        _list_keys(upload_bucket_arn),
    )


def process_results_function_policy(
    *, log_group_arn: str, results_bucket_arn: str, status_table_arn: str, classifier_table_arn: str
) -> dict[str, Any]:
    """The process-results function: read and check the run's outputs, record ``SUCCEEDED``
    and the classifier item (one DynamoDB transaction: UpdateItem + PutItem); read the session back
    when the write's condition fails (a retried attempt finding its earlier attempt's write)."""
    return document(
        *_function_basics(log_group_arn),
        allow("ReadResults", ("s3:GetObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
        # Also what lists the run's outputs to check they exist.
        _list_keys(results_bucket_arn),
        allow("RecordSuccess", ("dynamodb:GetItem", "dynamodb:UpdateItem"), status_table_arn),
        allow("StoreClassifierSummary", ("dynamodb:PutItem",), classifier_table_arn),
    )


def record_failure_function_policy(
    *, log_group_arn: str, results_bucket_arn: str, status_table_arn: str
) -> dict[str, Any]:
    """The record-failure function: read a failed run's manifest (if any) and record ``FAILED``; read
    the session back when the write's condition fails (as the process-results function does)."""
    return document(
        *_function_basics(log_group_arn),
        allow("ReadResults", ("s3:GetObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
        _list_keys(results_bucket_arn),
        allow("RecordFailure", ("dynamodb:GetItem", "dynamodb:UpdateItem"), status_table_arn),
    )


def reconcile_function_policy(
    *, log_group_arn: str, status_table_arn: str, dead_letter_queue_arn: str
) -> dict[str, Any]:
    """The reconcile function: record ``FAILED`` for the open run of an execution that ended; nothing else.

    Lambda sends an event the function failed on to its on-failure destination, the dead-letter
    queue, with the function's role.
    """
    return document(
        *_function_basics(log_group_arn),
        allow("RecordEndedRun", ("dynamodb:UpdateItem",), status_table_arn),
        allow("KeepUnrecordedEndings", ("sqs:SendMessage",), dead_letter_queue_arn),
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
    on ``uploads/*`` for the presigned POST and ``s3:GetObject`` and ``s3:GetObjectVersion`` on
    ``results/*`` for the presigned downloads of ``classifier.json``, the report and its figures,
    and to read a run's ``manifest.json`` and ``metrics.json`` for the report route (at the
    versions ``process_results`` checked, when the session recorded them).
    """
    return document(
        *_function_basics(log_group_arn),
        allow("ReadSessions", ("dynamodb:Query", "dynamodb:GetItem"), status_table_arn),
        allow("ReadClassifierSummaries", ("dynamodb:GetItem",), classifier_table_arn),
        allow("SignUploads", ("s3:PutObject",), object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        allow("SignResultDownloads", READ_OBJECT_ACTIONS, object_arns(results_bucket_arn, RESULTS_PREFIX)),
        allow("CountUploadRequests", ("dynamodb:UpdateItem",), limits_table_arn),
    )


def presign_run_function_policy(
    *, log_group_arn: str, upload_bucket_arn: str, results_bucket_arn: str
) -> dict[str, Any]:
    """The presign function: sign each run's GET of its upload version and PUTs of its result files.

    A presigned request carries the signer's permissions, so this role holds what the classifier
    task would otherwise need (the task has no role): read uploads (``s3:GetObjectVersion`` for a
    GET of a given version), write results. It lists nothing and reads no result.
    """
    return document(
        *_function_basics(log_group_arn),
        allow("SignUploadReads", READ_OBJECT_ACTIONS, object_arns(upload_bucket_arn, UPLOAD_PREFIX)),
        allow("SignResultWrites", ("s3:PutObject",), object_arns(results_bucket_arn, RESULTS_PREFIX)),
    )


def execution_role_policy(*, repository_arn: str, log_group_arn: str) -> dict[str, Any]:
    """What ECS needs to start the task: pull the image from our repository and ship its logs."""
    return document(
        # GetAuthorizationToken is account-wide: AWS accepts no resource other than "*".
        allow("GetRegistryToken", ECR_AUTHORIZATION_ACTIONS, "*"),
        allow(
            "PullClassifierImage",
            IMAGE_PULL_ACTIONS,
            repository_arn,
        ),
        allow("WriteTaskLogs", LOG_STREAM_ACTIONS, log_stream_arns(log_group_arn)),
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
        If ``function_arns`` is empty or a bare string, ``cluster_arn`` is not an ECS cluster ARN, or
        ``task_definition_arn`` not a task definition revision's.
    """
    if isinstance(function_arns, str) or not function_arns:
        raise ValueError(f"function_arns must be a non-empty sequence of ARNs, got {function_arns!r}")
    ecs_scope = f"{region}:{account_id}"
    return document(
        allow(
            "InvokeStepFunctions",
            ("lambda:InvokeFunction",),
            # Qualified forms too, so a version or alias ARN in the definition keeps working.
            [arn for function_arn in function_arns for arn in (function_arn, f"{function_arn}:*")],
        ),
        allow("MarkProcessing", ("dynamodb:UpdateItem",), status_table_arn),
        allow(
            "RunTrainingTask",
            ("ecs:RunTask",),
            # Every revision: an execution keeps the definition it started with, and with it the revision
            # to run, for hours; a deploy that registers a new revision updates this one role at once.
            task_definition_revisions(task_definition_arn),
            condition={"ArnEquals": {"ecs:cluster": cluster_arn}},
        ),
        allow(
            "WatchTrainingTask",
            ("ecs:StopTask", "ecs:DescribeTasks"),
            f"arn:aws:ecs:{ecs_scope}:task/{cluster_name(cluster_arn)}/*",
        ),
        allow(
            "ReceiveTaskStateChanges",
            ("events:PutTargets", "events:PutRule", "events:DescribeRule"),
            f"arn:aws:events:{ecs_scope}:rule/{ECS_SYNC_EVENTS_RULE}",
        ),
        allow(
            "PassTaskExecutionRole",
            ("iam:PassRole",),
            execution_role_arn,
            condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        ),
        allow("Notify", ("sns:Publish",), topic_arn),
        allow("EncryptNotifications", TOPIC_KEY_USE_ACTIONS, topic_key_arn),
        # Vended log delivery is configured through these account-level APIs; AWS accepts only "*".
        allow("DeliverExecutionLogs", LOG_DELIVERY_ACTIONS, "*"),
        # X-Ray trace and sampling APIs take no resource-level permissions; AWS accepts only "*".
        allow("WriteTraces", (*XRAY_WRITE_ACTIONS, *XRAY_SAMPLING_ACTIONS), "*"),
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


def _function_basics(log_group_arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Logs to the function's own log group and X-Ray traces: what every function needs."""
    return (
        allow("WriteFunctionLogs", LOG_STREAM_ACTIONS, log_stream_arns(log_group_arn)),
        # X-Ray writes take no resource-level permissions; AWS accepts only "*".
        allow("WriteTraces", XRAY_WRITE_ACTIONS, "*"),
    )


def _list_keys(bucket_arn: str) -> dict[str, Any]:
    # Without s3:ListBucket S3 answers a read of a missing key with 403 AccessDenied instead of
    # 404/NoSuchKey, and the handlers could not tell "not there" (a documented outcome, e.g. no
    # manifest) from a real permission error. S3 checks ListBucket on the bucket for that decision
    # without a prefix in the request, so a condition on s3:prefix would defeat it.
    return allow("ListKeys", ("s3:ListBucket",), bucket_arn)
