"""Builders of single states of the processing definition and of the parameters of its service
integrations: the Lambda and SNS Task shapes, the Catch and the "outcome recorded?" Choices, the
DynamoDB ``updateItem`` of ``MarkProcessing``, and the ECS ``runTask`` of ``TrainClassifier``.

:mod:`components.asl` assembles them, and the retry's states of :mod:`components.asl_retry_states`, into the
definition. Pure; no Pulumi import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.environment import CONTAINER_RUN_FIELDS, ContainerVariable
from contracts.outcome import OUTCOME_PATH, OUTCOME_RECORDED, OUTCOME_RETRY, OUTCOME_RETRY_SIZE, RetryKind
from contracts.run_access import REDACTED, RUN_ACCESS_PATH
from contracts.run_input import json_path
from contracts.statuses import PARTITION_KEY, SORT_KEY, SessionAttribute, Status
from contracts.task_size import TASK_SIZE_JSON_NAMES, VALIDATION_PATH, task_size_path

UPDATE_ITEM_RESOURCE = "arn:aws:states:::dynamodb:updateItem"
RUN_TASK_SYNC_RESOURCE = "arn:aws:states:::ecs:runTask.sync"
SNS_PUBLISH_RESOURCE = "arn:aws:states:::sns:publish"


def catch_all(next_state: str) -> dict[str, Any]:
    """Send any error to ``next_state`` with ``{Error, Cause}`` at ``$.error`` (the input is kept)."""
    return {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": next_state}


def lambda_task(
    function_arn: str, *, result_path: str, next_state: str, retrier: dict[str, Any], catch_to: str
) -> dict[str, Any]:
    # A plain function ARN as Resource: the whole state is the event and the handler's return
    # value is the result (no Payload wrapper as with arn:aws:states:::lambda:invoke).
    return {
        "Type": "Task",
        "Resource": function_arn,
        "ResultPath": result_path,
        "Retry": [retrier],
        "Catch": [catch_all(catch_to)],
        "Next": next_state,
    }


_OUTCOME_IS_RECORDED = {"Variable": f"{OUTCOME_PATH}.{OUTCOME_RECORDED}", "BooleanEquals": True}


def when_recorded(next_state: str, *, otherwise: str) -> dict[str, Any]:
    """Go on to ``next_state`` only if the handler's status write happened (contracts.outcome)."""
    return {
        "Type": "Choice",
        "Comment": "Notify only an outcome that is the session's (not a superseded run's).",
        "Choices": [{**_OUTCOME_IS_RECORDED, "Next": next_state}],
        "Default": otherwise,
    }


_RETRY = f"{OUTCOME_PATH}.{OUTCOME_RETRY}"
_RETRY_SIZE = f"{OUTCOME_PATH}.{OUTCOME_RETRY_SIZE}"
# IsPresent first: only RecordFailure's retry outcome has the fields, and a Choice errs on a missing one.
_OUTCOME_IS_RETRY = {"And": [{"Variable": _RETRY, "IsPresent": True}, {"Variable": _RETRY, "BooleanEquals": True}]}
_RETRY_IN_SAME_SIZE = {
    "And": [
        _OUTCOME_IS_RETRY,
        {"Variable": _RETRY_SIZE, "IsPresent": True},
        {"Variable": _RETRY_SIZE, "StringEquals": RetryKind.SAME.value},
    ]
}


def when_failure_recorded(
    next_state: str, *, retry_bigger: str, retry_same: str, already_succeeded: str, otherwise: str
) -> dict[str, Any]:
    """`when_recorded` after RecordFailure, whose outcome is the run's success when it found the run
    ``SUCCEEDED`` (ProcessResults' write committed before its step failed): that goes to
    ``already_succeeded``; an outcome with ``retry: true`` (nothing recorded) goes to ``retry_same`` for a
    task that failed to start (``retrySize: "same"``), else to ``retry_bigger`` (a run out of memory with a
    bigger size left; also a retry outcome without ``retrySize``, which RecordFailure gave before it had
    one, so a deploy does not break executions under way)."""
    return {
        "Type": "Choice",
        "Comment": (
            "Train once more in the bigger task Validate sized for a run out of memory, or in the same size "
            "for a task that failed to start; notify only an outcome that is the session's (not a superseded "
            "run's); a run that had already succeeded is notified as a success."
        ),
        "Choices": [
            {**_RETRY_IN_SAME_SIZE, "Next": retry_same},
            {**_OUTCOME_IS_RETRY, "Next": retry_bigger},
            {"And": [_OUTCOME_IS_RECORDED, _outcome_status_is(Status.FAILED)], "Next": next_state},
            {"And": [_OUTCOME_IS_RECORDED, _outcome_status_is(Status.SUCCEEDED)], "Next": already_succeeded},
        ],
        "Default": otherwise,
    }


def _outcome_status_is(status: Status) -> dict[str, Any]:
    return {"Variable": f"{OUTCOME_PATH}.status", "StringEquals": status.value}


def notify_task(
    topic_arn: str, *, subject: str, next_state: str, retrier: dict[str, Any], catch_to: str
) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": SNS_PUBLISH_RESOURCE,
        "Parameters": {
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message.$": f"States.JsonToString({OUTCOME_PATH})",
        },
        "ResultPath": None,
        "Retry": [retrier],
        "Catch": [catch_all(catch_to)],
        "Next": next_state,
    }


def redact_run_access(next_state: str) -> dict[str, Any]:
    """The Pass state that overwrites the run's URLs in the state with :data:`contracts.run_access.REDACTED`
    once the training task has stopped: they are valid for hours, and every later state's input would
    hold them. A string, not ``null``: an explicit ``null`` ``Result`` is not something to rely on, and
    RecordFailure's redaction of that marker changes nothing."""
    return {
        "Type": "Pass",
        "Comment": "The task has stopped: the run's presigned URLs leave the state.",
        "Result": REDACTED,
        "ResultPath": RUN_ACCESS_PATH,
        "Next": next_state,
    }


def outcome_succeed(comment: str | None = None) -> dict[str, Any]:
    """A Succeed state whose output, the execution's, is the outcome alone: DescribeExecution and the
    status-change event on the account's default bus show it, and the rest of the state may hold the
    run's URLs (``$.runAccess``, or a caught task's description at ``$.error``)."""
    return {"Type": "Succeed", **({"Comment": comment} if comment else {}), "OutputPath": OUTCOME_PATH}


def _task_size_text(field_name: str) -> str:
    """The run's task size field as the string ECS and DynamoDB numbers take (Validate gives integers)."""
    return f"States.Format('{{}}', {task_size_path(VALIDATION_PATH, field_name)})"


def update_item_task(
    parameters: dict[str, Any], *, comment: str, next_state: str, retrier: dict[str, Any], catch_to: str
) -> dict[str, Any]:
    """A DynamoDB ``updateItem`` Task whose result is dropped (the state is kept)."""
    return {
        "Type": "Task",
        "Comment": comment,
        "Resource": UPDATE_ITEM_RESOURCE,
        "Parameters": parameters,
        "ResultPath": None,
        "Retry": [retrier],
        "Catch": [catch_all(catch_to)],
        "Next": next_state,
    }


def status_key() -> dict[str, Any]:
    """The run's status item: its user and session."""
    return {PARTITION_KEY: {"S.$": json_path("user_id")}, SORT_KEY: {"S.$": json_path("session_id")}}


def task_size_value() -> dict[str, Any]:
    """The run's task size as a DynamoDB map of numbers."""
    return {
        "M": {json_name: {"N.$": _task_size_text(field_name)} for field_name, json_name in TASK_SIZE_JSON_NAMES.items()}
    }


def mark_processing_parameters(status_table_name: str) -> dict[str, Any]:
    attribute = SessionAttribute
    return {
        "TableName": status_table_name,
        "Key": status_key(),
        "UpdateExpression": (
            f"SET #status = :processing, {attribute.STARTED_AT} = :enteredTime, "
            f"{attribute.UPDATED_AT} = :enteredTime, {attribute.EXECUTION_ARN} = :executionArn, "
            f"{attribute.TASK_SIZE} = :taskSize"
        ),
        "ConditionExpression": f"{attribute.RUN_ID} = :runId AND #status = :received",
        # `status` is a DynamoDB reserved word.
        "ExpressionAttributeNames": {"#status": attribute.STATUS.value},
        "ExpressionAttributeValues": {
            ":processing": {"S": Status.PROCESSING.value},
            ":received": {"S": Status.RECEIVED.value},
            ":runId": {"S.$": json_path("run_id")},
            ":enteredTime": {"S.$": "$$.State.EnteredTime"},
            ":executionArn": {"S.$": "$$.Execution.Id"},
            ":taskSize": task_size_value(),
        },
    }


def run_task_parameters(
    *,
    cluster_arn: str,
    task_definition_arn: str,
    container_name: str,
    subnet_ids: Sequence[str],
    security_group_ids: Sequence[str],
) -> dict[str, Any]:
    environment = [
        *(
            {"Name": variable.value, "Value.$": json_path(field_name)}
            for variable, field_name in CONTAINER_RUN_FIELDS.items()
        ),
        # The run's presigned URLs: the only way the container reaches S3.
        {"Name": ContainerVariable.RUN_ACCESS.value, "Value.$": RUN_ACCESS_PATH},
        # Fargate shows a task its host's CPUs, not its size: the analysis sizes its threads by this.
        {"Name": ContainerVariable.TASK_CPU.value, "Value.$": _task_size_text("cpu")},
    ]
    return {
        "Cluster": cluster_arn,
        "TaskDefinition": task_definition_arn,
        "LaunchType": "FARGATE",
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": list(subnet_ids),
                "SecurityGroups": list(security_group_ids),
                "AssignPublicIp": "DISABLED",
            }
        },
        # Task-level Cpu and Memory are strings in the ECS API, a container's Memory an integer;
        # the container's hard limit is raised with the task's (the task definition sets one).
        "Overrides": {
            "Cpu.$": _task_size_text("cpu"),
            "Memory.$": _task_size_text("memory_mib"),
            "ContainerOverrides": [
                {
                    "Name": container_name,
                    "Environment": environment,
                    "Memory.$": task_size_path(VALIDATION_PATH, "memory_mib"),
                }
            ],
        },
    }
