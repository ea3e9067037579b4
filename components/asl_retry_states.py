"""The states between RecordFailure's retry outcome and the next training: switching the run's task size
(to the retry's, or keeping it and waiting after a failed start) and recording it on the session.

:mod:`components.asl` puts them in the definition. Pure; no Pulumi import.
"""

from __future__ import annotations

from typing import Any

from components.asl_states import status_key, task_size_value, update_item_task
from contracts.outcome import START_RETRY_WAIT_SECONDS
from contracts.run_input import json_path
from contracts.statuses import SessionAttribute, Status
from contracts.task_size import RETRY_TASK_SIZE_KEY, TASK_SIZE_KEY, VALIDATION_PATH

USE_RETRY_TASK_SIZE = "UseRetryTaskSize"
USE_SAME_TASK_SIZE = "UseSameTaskSize"
WAIT_BEFORE_START_RETRY = "WaitBeforeStartRetry"
RECORD_RETRY_TASK_SIZE = "RecordRetryTaskSize"


def retry_states(
    status_table_name: str, *, next_state: str, retrier: dict[str, Any], catch_to: str
) -> dict[str, dict[str, Any]]:
    """The states from RecordFailure's retry outcomes to ``next_state`` (PresignRun, then training).

    After running out of memory the retry's size becomes the run's; after a failed start the run's size
    becomes the retry's, and the retry waits :data:`contracts.outcome.START_RETRY_WAIT_SECONDS`. Either way
    the two sizes are then equal, which RecordFailure reads as the execution's one retry spent (so whatever
    fails in the retry is recorded). Both then record the run's size on the session (the update also renews
    its ``updatedAt``, from which a run counts as active)."""
    return {
        USE_RETRY_TASK_SIZE: {
            "Type": "Pass",
            "Comment": "The run ran out of memory: its retry trains in the bigger task Validate sized for it.",
            "InputPath": f"{VALIDATION_PATH}.{RETRY_TASK_SIZE_KEY}",
            "ResultPath": f"{VALIDATION_PATH}.{TASK_SIZE_KEY}",
            "Next": RECORD_RETRY_TASK_SIZE,
        },
        USE_SAME_TASK_SIZE: {
            "Type": "Pass",
            "Comment": (
                "The task failed to start: its retry trains in the same size, which becomes the retry size "
                "(the execution's one retry is spent)."
            ),
            "InputPath": f"{VALIDATION_PATH}.{TASK_SIZE_KEY}",
            "ResultPath": f"{VALIDATION_PATH}.{RETRY_TASK_SIZE_KEY}",
            "Next": WAIT_BEFORE_START_RETRY,
        },
        WAIT_BEFORE_START_RETRY: {
            "Type": "Wait",
            "Comment": "Let a passing cause of the failed start (ENI or ECR throttling, capacity) clear.",
            "Seconds": START_RETRY_WAIT_SECONDS,
            "Next": RECORD_RETRY_TASK_SIZE,
        },
        RECORD_RETRY_TASK_SIZE: update_item_task(
            record_retry_task_size_parameters(status_table_name),
            comment="The session's task size becomes the retry's, only while this run is PROCESSING.",
            next_state=next_state,
            retrier=retrier,
            catch_to=catch_to,
        ),
    }


def record_retry_task_size_parameters(status_table_name: str) -> dict[str, Any]:
    """The update that stores the retry's task size on the session, only while this run is PROCESSING."""
    attribute = SessionAttribute
    return {
        "TableName": status_table_name,
        "Key": status_key(),
        "UpdateExpression": f"SET {attribute.TASK_SIZE} = :taskSize, {attribute.UPDATED_AT} = :enteredTime",
        "ConditionExpression": f"{attribute.RUN_ID} = :runId AND #status = :processing",
        "ExpressionAttributeNames": {"#status": attribute.STATUS.value},
        "ExpressionAttributeValues": {
            ":processing": {"S": Status.PROCESSING.value},
            ":runId": {"S.$": json_path("run_id")},
            ":enteredTime": {"S.$": "$$.State.EnteredTime"},
            ":taskSize": task_size_value(),
        },
    }
