"""Per-user limits: sessions waiting or training at once (start), upload forms per minute (API).

Both are plain functions of a DynamoDB client, so the start and API handlers call them whatever
their plumbing. The active-run count reads the status table; the upload-request count is a
counter item per user and minute in the limits table, raised by one conditional update (atomic,
so concurrent requests cannot all slip under the cap) and removed by the table's TTL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from contracts.limits import (
    LIMITS_TABLE_KEY,
    LIMITS_TABLE_TTL_ATTRIBUTE,
    REQUESTS_ATTRIBUTE,
    upload_requests_counter_id,
)
from contracts.statuses import SessionAttribute, Status
from handlers.common.timestamps import iso_utc

#: How long a spent counter stays before TTL may remove it (TTL deletes lazily; the key's window
#: decides the count, not the deletion).
COUNTER_RETENTION = timedelta(hours=1)
ACTIVE_STATUSES = (Status.RECEIVED, Status.PROCESSING)


@dataclass(frozen=True)
class MinuteWindow:
    """The calendar minute a request falls in."""

    label: str
    retry_after_seconds: int
    expires_at: int

    @classmethod
    def of(cls, now: datetime) -> MinuteWindow:
        start = now.astimezone(UTC).replace(second=0, microsecond=0)
        end = start + timedelta(minutes=1)
        return cls(
            label=start.strftime("%Y%m%dT%H%MZ"),
            retry_after_seconds=max(1, int((end - now).total_seconds() + 0.999)),
            expires_at=int((end + COUNTER_RETENTION).timestamp()),
        )


def upload_request_update(table: str, user_id: str, window: MinuteWindow, limit: int) -> dict[str, Any]:
    """The conditional UpdateItem counting one ``POST /sessions`` of ``user_id`` in ``window``."""
    return {
        "TableName": table,
        "Key": {LIMITS_TABLE_KEY: {"S": upload_requests_counter_id(user_id, window.label)}},
        "UpdateExpression": "ADD #requests :one SET #expiresAt = :expiresAt",
        "ConditionExpression": "attribute_not_exists(#requests) OR #requests < :limit",
        "ExpressionAttributeNames": {
            "#requests": REQUESTS_ATTRIBUTE,
            "#expiresAt": LIMITS_TABLE_TTL_ATTRIBUTE,
        },
        "ExpressionAttributeValues": {
            ":one": {"N": "1"},
            ":limit": {"N": str(limit)},
            ":expiresAt": {"N": str(window.expires_at)},
        },
    }


def take_upload_request(dynamodb: Any, table: str, user_id: str, *, now: datetime, limit: int) -> int | None:
    """Count one upload request of ``user_id``; ``None`` when allowed, else the seconds to wait.

    Raises
    ------
    botocore.exceptions.ClientError
        On any DynamoDB error other than the cap being reached.
    """
    window = MinuteWindow.of(now)
    try:
        dynamodb.update_item(**upload_request_update(table, user_id, window, limit))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return window.retry_after_seconds
        raise
    return None


def active_runs_query(
    table: str, user_id: str, *, since: datetime, other_than_session: str
) -> dict[str, Any]:
    """Query counting the user's sessions waiting or training, updated since ``since``, except one."""
    values: Mapping[str, str] = {
        ":userId": user_id,
        ":since": iso_utc(since),
        ":sessionId": other_than_session,
        **{f":active{index}": status.value for index, status in enumerate(ACTIVE_STATUSES)},
    }
    active = ", ".join(f":active{index}" for index in range(len(ACTIVE_STATUSES)))
    return {
        "TableName": table,
        "KeyConditionExpression": "#userId = :userId",
        "FilterExpression": f"#status IN ({active}) AND #updatedAt >= :since AND #sessionId <> :sessionId",
        "ExpressionAttributeNames": {
            "#userId": SessionAttribute.USER_ID.value,
            "#sessionId": SessionAttribute.SESSION_ID.value,
            "#status": SessionAttribute.STATUS.value,
            "#updatedAt": SessionAttribute.UPDATED_AT.value,
        },
        "ExpressionAttributeValues": {name: {"S": value} for name, value in values.items()},
        "Select": "COUNT",
        "ConsistentRead": True,
    }


def count_active_runs(
    dynamodb: Any, table: str, user_id: str, *, since: datetime, other_than_session: str
) -> int:
    """How many of the user's other sessions are RECEIVED or PROCESSING and were updated since ``since``.

    Sessions older than that are stale (their run cannot still be going) and do not count.
    """
    request = active_runs_query(table, user_id, since=since, other_than_session=other_than_session)
    count = 0
    while True:
        response = dynamodb.query(**request)
        count += response.get("Count", 0)
        if "LastEvaluatedKey" not in response:
            return count
        request = {**request, "ExclusiveStartKey": response["LastEvaluatedKey"]}


@dataclass(frozen=True)
class ActiveRunCap:
    """The most sessions one user may have waiting or training at once (``maxActiveRunsPerUser``).

    Attributes
    ----------
    dynamodb, status_table
        Where the sessions are.
    max_active_runs
        The cap.
    window
        How long a run can last at most; sessions not updated within it are stale and not counted.
    """

    dynamodb: Any
    status_table: str
    max_active_runs: int
    window: timedelta

    def refusal(self, user_id: str, session_id: str, *, now: datetime) -> str | None:
        """``None`` when another session of the user may start now, else the reason it may not."""
        active = count_active_runs(
            self.dynamodb, self.status_table, user_id, since=now - self.window, other_than_session=session_id
        )
        if active < self.max_active_runs:
            return None
        return (
            f"You already have {active} sessions waiting or training; this deployment processes at most "
            f"{self.max_active_runs} at once for one user. Upload this session again once one of them "
            "has finished."
        )
