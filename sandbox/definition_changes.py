"""What a test may change in the deployed state machine definition, through the deploy hook: a training
timeout short enough to reach, and a wait before the retry of a task that failed to start short enough
not to sit through (moto's Wait state sleeps its ``Seconds``). Everything else is the definition the
Pulumi program builds.
"""

from __future__ import annotations

import json
from typing import Any

from components.asl import TRAIN_CLASSIFIER
from components.asl_retry_states import WAIT_BEFORE_START_RETRY

from .program import AdjustInputs

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def with_definition_changes(
    adjust: AdjustInputs | None,
    *,
    train_timeout_seconds: int | None = None,
    start_retry_wait_seconds: int | None = None,
) -> AdjustInputs | None:
    """``adjust`` followed by setting, on the state machine's definition, the ``TimeoutSeconds`` of its
    training state and the ``Seconds`` of its wait before a start retry, each only when given."""
    changes = {
        (state, field): value
        for state, field, value in (
            (TRAIN_CLASSIFIER, "TimeoutSeconds", train_timeout_seconds),
            (WAIT_BEFORE_START_RETRY, "Seconds", start_retry_wait_seconds),
        )
        if value is not None
    }
    if not changes:
        return adjust

    def adjusted(type_token: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        inputs = adjust(type_token, name, inputs) if adjust else inputs
        if type_token != STATE_MACHINE:
            return inputs
        definition = json.loads(inputs["definition"])
        for (state, field), value in changes.items():
            definition["States"][state][field] = value
        return {**inputs, "definition": json.dumps(definition)}

    return adjusted
