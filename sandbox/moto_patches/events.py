"""moto adjustments to the events the pipeline reacts to: execution status changes and S3 event sequencers.

Part of :mod:`sandbox.moto_patches` (see there for what each stands in for).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from moto.events.models import Rule, events_backends
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from contracts.execution_events import DETAIL_TYPE, SOURCE


def _epoch_milliseconds(moment) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def execution_status_change(execution) -> dict[str, Any]:
    """The ``PutEvents`` entry of an ended moto execution, with the detail AWS documents."""
    detail = {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": execution.exec_status.value,
        "startDate": _epoch_milliseconds(execution.start_date),
        "stopDate": _epoch_milliseconds(execution.stop_date),
        "input": json.dumps(execution.input_data),
        "inputDetails": {"included": True},
        "output": None if execution.output is None else json.dumps(execution.output),
        "outputDetails": None,
        "error": execution.error,
        "cause": execution.cause,
    }
    return {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Resources": [execution.exec_arn],
        "Detail": json.dumps(detail),
    }


def emit_execution_status_changes() -> None:
    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self) -> None:
        original(self)
        execution = self.execution
        bus = events_backends[execution.account_id][execution.region_name]
        bus.put_events([execution_status_change(execution)])

    BaseExecutionWorkerCommunication.terminated = terminated


#: The ``sequencer`` moto gives every S3 event it sends to EventBridge, whatever the object and time.
MOTO_S3_SEQUENCER = "617f08299329d189"
# next() on a count is atomic under the GIL: concurrent uploads never share a sequencer.
_s3_sequencers = itertools.count(1)


def sequence_s3_events() -> None:
    original = Rule.send_to_targets

    def send_to_targets(self, original_event, transform_input=True):
        detail = original_event.get("detail")
        s3_object = detail.get("object") if isinstance(detail, dict) else None
        # Every rule delivers the same detail: the first one to see the event stamps it, once.
        if isinstance(s3_object, dict) and s3_object.get("sequencer") == MOTO_S3_SEQUENCER:
            s3_object["sequencer"] = f"{next(_s3_sequencers):016X}"
        original(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets
