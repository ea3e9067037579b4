"""DynamoDB requests and items in the client's format, for the tables keyed by user and session."""

import re
from collections.abc import Mapping
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from contracts.statuses import PARTITION_KEY, SORT_KEY
from handlers.common.jsonvalues import from_dynamodb, to_dynamodb

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def attribute_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values in DynamoDB's client format."""
    return {placeholder: _serializer.serialize(to_dynamodb(value)) for placeholder, value in values.items()}


def update_request(
    table: str,
    key: Mapping[str, str],
    *,
    set_values: Mapping[str, Any],
    set_if_missing: Mapping[str, Any] | None = None,
    remove: tuple[str, ...] = (),
    condition: str,
    condition_values: Mapping[str, Any],
) -> dict[str, Any]:
    """Parameters of an UpdateItem; every attribute is addressed through a name placeholder.

    ``condition`` refers to attributes as ``#name`` and to values as ``:name``.
    """
    attributes = {*set_values, *(set_if_missing or {}), *remove, *re.findall(r"#(\w+)", condition)}
    names = {f"#{attribute}": attribute for attribute in attributes}
    assignments = [f"#{name} = :{name}" for name in set_values]
    assignments += [f"#{name} = if_not_exists(#{name}, :{name})" for name in set_if_missing or {}]
    clauses = ["SET " + ", ".join(assignments)] if assignments else []
    if remove:
        clauses.append("REMOVE " + ", ".join(f"#{name}" for name in remove))
    expression = " ".join(clauses)
    values = {f":{name}": value for name, value in {**(set_if_missing or {}), **set_values}.items()}
    values.update({f":{name}": value for name, value in condition_values.items()})
    return {
        "TableName": table,
        "Key": attribute_values(key),
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": attribute_values(values),
    }


def plain_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item in client format as plain JSON values (no Decimals)."""
    return from_dynamodb({name: deserialize_value(value) for name, value in item.items()})


def plain_key(user_id: str, session_id: str) -> dict[str, str]:
    """The plain-value key of a session in either table."""
    return {PARTITION_KEY: user_id, SORT_KEY: session_id}


def item_key(user_id: str, session_id: str) -> dict[str, Any]:
    """The client-format key of a session in either table."""
    return attribute_values(plain_key(user_id, session_id))


def is_condition_failure(error: ClientError) -> bool:
    """Whether a write failed only on its condition (of an item, or of every item of a transaction)."""
    code = error.response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        reasons = error.response.get("CancellationReasons") or []
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons) and all(
            reason.get("Code") in {"ConditionalCheckFailed", "None", None} for reason in reasons
        )
    return False


def deserialize_value(value: Mapping[str, Any]) -> Any:
    """One attribute value in the client's format as a plain value."""
    return _deserializer.deserialize(value)
