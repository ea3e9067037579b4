"""The status table: the conditional writes that enforce :mod:`contracts.statuses`' transitions.

Every write is conditional, so a late or duplicate event never moves a session backwards: a
write whose condition fails returns ``False`` and the caller logs it (the session moved on), it
is not an error.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from contracts.statuses import (
    FINAL_STATUSES,
    NEW_RUN_STATUSES,
    PARTITION_KEY,
    SORT_KEY,
    SessionAttribute,
    Status,
    statuses_before,
)
from handlers.common.dynamodb_items import (
    attribute_values,
    deserialize_value,
    is_condition_failure,
    item_key,
    plain_item,
    plain_key,
    update_request,
)
from handlers.common.output_versions import OUTPUT_VERSIONS


@dataclass(frozen=True, kw_only=True)
class NewRun:
    """What ``start`` records for one upload version."""

    user_id: str
    session_id: str
    run_id: str
    upload_key: str
    upload_version: str
    uploaded_at: str
    upload_sequencer: str


def normalise_sequencer(sequencer: str | None) -> str:
    """An S3 event sequencer padded so that string order equals event order for one key."""
    return (sequencer or "").upper().ljust(64, "0")


#: The execution of the open run a new run replaced, noted by the write that replaced it and removed
#: once it is stopped; until then no later run is recorded over it.
REPLACED_EXECUTION_ARN = "replacedExecutionArn"
_PREVIOUS_RUN_ATTRIBUTES = (
    "error",
    "failureDetail",
    "result",
    OUTPUT_VERSIONS,
    SessionAttribute.STARTED_AT,
    "finishedAt",
    SessionAttribute.EXECUTION_ARN,
    SessionAttribute.TASK_SIZE,
)
#: The item still holds the run ``start`` read, in the status it read, with no execution left to
#: stop, so what start decided from the read still holds: ``uploadedAt``/``uploadSequencer`` come
#: with the ``runId``, and ``MarkProcessing`` stores ``executionArn`` in the write that moves the status.
_SAME_STORED_RUN = (
    f"#runId = :readRunId AND #status = :readStatus AND attribute_not_exists(#{REPLACED_EXECUTION_ARN})"
)


@dataclass(frozen=True, kw_only=True)
class StoredRun:
    """The run a session's item holds, as ``start`` reads it before recording a newer one."""

    run_id: str
    status: Status
    uploaded_at: str
    upload_sequencer: str
    #: The run's execution, once ``MarkProcessing`` stored it.
    execution_arn: str | None = None
    #: The execution of the run this one replaced, noted until it is stopped.
    replaced_execution_arn: str | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> "StoredRun":
        return cls(
            run_id=item[SessionAttribute.RUN_ID],
            status=Status(item[SessionAttribute.STATUS]),
            uploaded_at=item["uploadedAt"],
            upload_sequencer=item["uploadSequencer"],
            execution_arn=item.get(SessionAttribute.EXECUTION_ARN),
            replaced_execution_arn=item.get(REPLACED_EXECUTION_ARN),
        )

    @property
    def is_open(self) -> bool:
        """Whether the run is still waiting or training."""
        return self.status not in FINAL_STATUSES

    def is_older_than(self, run: NewRun) -> bool:
        """Whether ``run``'s upload came after this run's (event time, then S3's sequencer)."""
        return (self.uploaded_at, self.upload_sequencer) < (run.uploaded_at, run.upload_sequencer)


class StatusStore:
    """Reads and conditional writes of the status table through a DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._dynamodb = dynamodb
        self.table = table

    def get(self, user_id: str, session_id: str) -> dict[str, Any] | None:
        """The session's item as plain values, or ``None``."""
        response = self._dynamodb.get_item(
            TableName=self.table,
            Key=item_key(user_id, session_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return plain_item(item) if item else None

    def holds_run(self, user_id: str, session_id: str, run_id: str, status: Status) -> bool:
        """Whether the session's current run is ``run_id`` and is in ``status`` (a consistent read)."""
        item = self.get(user_id, session_id) or {}
        return item.get(SessionAttribute.RUN_ID) == run_id and item.get(SessionAttribute.STATUS) == status.value

    def _conditional_update(self, request: Mapping[str, Any]) -> dict[str, Any] | None:
        """The UpdateItem response, or ``None`` when its condition failed."""
        try:
            return self._dynamodb.update_item(**request)
        except ClientError as error:
            if is_condition_failure(error):
                return None
            raise

    def stored_run(self, user_id: str, session_id: str) -> StoredRun | None:
        """The session's run (a consistent read), or ``None`` when the session has no item."""
        item = self.get(user_id, session_id)
        return StoredRun.from_item(item) if item else None

    def start_run(
        self,
        run: NewRun,
        *,
        over: StoredRun | None,
        replaced_execution_arn: str | None = None,
        now: str,
        status: Status = Status.RECEIVED,
        error: Mapping[str, str] | None = None,
    ) -> bool:
        """Record a new run (``RECEIVED``, or ``FAILED`` with ``error`` for a rejected upload) over
        ``over``, the session's run as :meth:`stored_run` read it (``None``: no item).

        The write is conditioned on the item being as read, so what the caller decided from
        ``over`` still holds when it lands. It clears what the previous run left, and when that run
        was open it notes ``replaced_execution_arn`` (the execution to stop) in the same write, so
        no end of the caller between the write and the stop loses it. Returns ``False`` when the
        item changed since it was read.
        """
        if status not in NEW_RUN_STATUSES:
            raise ValueError(f"a run cannot start in {status}")
        if (status is Status.FAILED) != (error is not None):
            raise ValueError("a rejected upload (FAILED) needs an error, and only it")
        if over is not None and (not over.is_older_than(run) or over.replaced_execution_arn is not None):
            raise ValueError("a run replaces only a run of an older upload with no execution left to stop")
        if (over is not None and over.is_open) != (replaced_execution_arn is not None):
            raise ValueError("the execution of the open run it replaces, and only of one, is noted")
        set_values: dict[str, Any] = {
            SessionAttribute.STATUS: status.value,
            SessionAttribute.RUN_ID: run.run_id,
            "uploadKey": run.upload_key,
            "uploadVersion": run.upload_version,
            "uploadedAt": run.uploaded_at,
            "uploadSequencer": run.upload_sequencer,
            SessionAttribute.UPDATED_AT: now,
        }
        if error is not None:
            set_values.update({"error": dict(error), "finishedAt": now})
        if replaced_execution_arn is not None:
            set_values[REPLACED_EXECUTION_ARN] = replaced_execution_arn
        request = update_request(
            self.table,
            plain_key(run.user_id, run.session_id),
            set_values=set_values,
            set_if_missing={"createdAt": now},
            remove=tuple(name for name in _PREVIOUS_RUN_ATTRIBUTES if name not in set_values),
            condition="attribute_not_exists(#userId)" if over is None else _SAME_STORED_RUN,
            condition_values={} if over is None else {"readRunId": over.run_id, "readStatus": over.status.value},
        )
        return self._conditional_update(request) is not None

    def forget_replaced_execution(self, user_id: str, session_id: str, execution_arn: str) -> bool:
        """Remove the note of ``execution_arn``, stopped now; ``False`` when the item no longer notes it."""
        request = update_request(
            self.table,
            plain_key(user_id, session_id),
            set_values={},
            remove=(REPLACED_EXECUTION_ARN,),
            condition=f"#{REPLACED_EXECUTION_ARN} = :{REPLACED_EXECUTION_ARN}",
            condition_values={REPLACED_EXECUTION_ARN: execution_arn},
        )
        return self._conditional_update(request) is not None

    def finish_request(
        self,
        user_id: str,
        session_id: str,
        run_id: str,
        new: Status,
        *,
        now: str,
        attributes: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The UpdateItem parameters that move this run to a final status, guarded by the transition table."""
        if new not in FINAL_STATUSES:
            raise ValueError(f"{new} is not a final status")
        sources = statuses_before(new)
        placeholders = {f"from{index}": source.value for index, source in enumerate(sources)}
        condition = "#runId = :runId AND #status IN (" + ", ".join(f":{name}" for name in placeholders) + ")"
        return update_request(
            self.table,
            plain_key(user_id, session_id),
            set_values={
                SessionAttribute.STATUS: new.value,
                SessionAttribute.UPDATED_AT: now,
                "finishedAt": now,
                **attributes,
            },
            condition=condition,
            condition_values={SessionAttribute.RUN_ID: run_id, **placeholders},
        )

    def fail_run(
        self,
        user_id: str,
        session_id: str,
        run_id: str,
        *,
        error: Mapping[str, str],
        now: str,
        detail: Mapping[str, str] | None = None,
    ) -> bool:
        """``FAILED`` with ``error``; ``False`` when the run is no longer the session's current, open run.

        ``detail`` (the original Step Functions error and cause) is kept as ``failureDetail`` for
        operators; the Status API does not show it.
        """
        attributes: dict[str, Any] = {"error": dict(error)}
        if detail:
            attributes["failureDetail"] = dict(detail)
        request = self.finish_request(user_id, session_id, run_id, Status.FAILED, now=now, attributes=attributes)
        return self._conditional_update(request) is not None

    def succeed_run(
        self,
        user_id: str,
        session_id: str,
        run_id: str,
        *,
        result: Mapping[str, Any],
        output_versions: Mapping[str, str],
        now: str,
        classifier_table: str,
        classifier_item: Mapping[str, Any],
    ) -> bool:
        """``SUCCEEDED`` with ``result``, the checked ``output_versions`` and the classifier record,
        written together or not at all.

        A transaction keeps the classifier table from pointing at a run the session no longer
        reflects. Returns ``False`` when the run is no longer the session's current, open run.
        """
        attributes = {"result": dict(result), OUTPUT_VERSIONS: dict(output_versions)}
        update = self.finish_request(user_id, session_id, run_id, Status.SUCCEEDED, now=now, attributes=attributes)
        put = {"TableName": classifier_table, "Item": attribute_values(classifier_item)}
        try:
            self._dynamodb.transact_write_items(TransactItems=[{"Update": update}, {"Put": put}])
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def list_sessions(
        self, user_id: str, *, limit: int, after_session_id: str | None
    ) -> tuple[list[dict], str | None]:
        """One page of a user's sessions, newest first, and the session id to continue after (or ``None``)."""
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": f"#{PARTITION_KEY} = :{PARTITION_KEY}",
            "ExpressionAttributeNames": {f"#{PARTITION_KEY}": PARTITION_KEY},
            "ExpressionAttributeValues": attribute_values({f":{PARTITION_KEY}": user_id}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after_session_id is not None:
            request["ExclusiveStartKey"] = item_key(user_id, after_session_id)
        response = self._dynamodb.query(**request)
        items = [plain_item(item) for item in response.get("Items", [])]
        last_key = response.get("LastEvaluatedKey")
        return items, (deserialize_value(last_key[SORT_KEY]) if last_key else None)
