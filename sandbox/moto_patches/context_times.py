"""moto adjustment to the Step Functions context object's ``$$.State.EnteredTime``.

Part of :mod:`sandbox.moto_patches` (see there for what it stands in for).
"""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.asl.component.state import state as state_module
from moto.stepfunctions.parser.asl.eval.states import StateData

from handlers.common.timestamps import normalise_event_time


def _state_data_with_aws_time(**fields: Any) -> StateData:
    return StateData(**{**fields, "EnteredTime": normalise_event_time(fields["EnteredTime"])})


def state_entered_times_as_on_aws() -> None:
    """Give ``$$.State.EnteredTime`` AWS's shape (``2026-12-02T20:29:25.772Z``), not Python's isoformat."""
    state_module.StateData = _state_data_with_aws_time
