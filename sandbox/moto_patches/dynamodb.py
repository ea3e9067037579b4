"""DynamoDB items read and written whole, as AWS does, while the server's threads serve requests at once.

moto applies an update expression one action at a time to the stored item, and a scan or query on
another request thread can read the item between two of them: a session's status record then showed
``SUCCEEDED`` without its ``result`` (seen once in about twenty runs of the fifty-upload test). On AWS
an item's update is atomic, and so is a transaction. :func:`serialise_dynamodb_items` makes moto's
item operations take turns.
"""

from __future__ import annotations

import threading

from moto.dynamodb.models import DynamoDBBackend

from .serialised import serialise_operations

DYNAMODB_ITEM_OPERATIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "transact_get_items",
    "transact_write_items",
)
_dynamodb_items_lock = threading.RLock()


def serialise_dynamodb_items() -> None:
    serialise_operations(DynamoDBBackend, DYNAMODB_ITEM_OPERATIONS, _dynamodb_items_lock)
