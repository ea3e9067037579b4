"""The reconcile rule's pattern, matched as moto's EventBridge matches a rule's (moto 5.2.5 answers
TestEventPattern with nothing): it matches the endings without an outcome of every state machine of the
stack, the current one and those a deploy replaced, and no other state machine's."""

import json
from pathlib import Path

import pytest
from moto.events.models import EventPattern

from contracts.execution_events import status_change_pattern

pytestmark = pytest.mark.unit

SCOPE = "arn:aws:states:eu-west-2:123456789012"
PREFIX = "processing-dev-state-machine-"
CURRENT = f"{SCOPE}:stateMachine:{PREFIX}4f1c2ab"
PATTERN = EventPattern.load(json.dumps(status_change_pattern(CURRENT, name_prefix=PREFIX)))
ABORTED_EVENT = Path(__file__).parents[1] / "events" / "eventbridge_sfn_execution_aborted.json"


def _ending(state_machine_arn: str, status: str = "ABORTED") -> dict:
    """A real-shape status-change event of an execution of ``state_machine_arn``."""
    event = json.loads(ABORTED_EVENT.read_text())
    scope, _, name = state_machine_arn.rpartition(":stateMachine:")
    execution_arn = f"{scope}:execution:{name}:run-0123456789abcdef0123456789abcdef"
    event["resources"] = [execution_arn]
    event["detail"].update(stateMachineArn=state_machine_arn, executionArn=execution_arn, status=status)
    return event


def _matches(event: dict, pattern: EventPattern = PATTERN) -> bool:
    return pattern.matches_event(event)


@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT", "FAILED"])
def test_the_current_state_machines_endings_match(status):
    assert _matches(_ending(CURRENT, status))


@pytest.mark.parametrize("status", ["ABORTED", "TIMED_OUT", "FAILED"])
def test_the_endings_of_a_state_machine_a_deploy_replaced_match(status):
    # deleting the replaced machine ends its executions; their events name it, not the current one
    assert _matches(_ending(f"{SCOPE}:stateMachine:{PREFIX}09e7d3c", status))


def test_the_endings_of_a_current_state_machine_named_before_the_stack_was_in_its_name_match():
    legacy = f"{SCOPE}:stateMachine:processing-state-machine-1b2c3d4"
    pattern = EventPattern.load(json.dumps(status_change_pattern(legacy, name_prefix=PREFIX)))

    assert _matches(_ending(legacy), pattern)
    assert _matches(_ending(CURRENT), pattern)


@pytest.mark.parametrize(
    "state_machine_arn",
    [
        f"{SCOPE}:stateMachine:processing-prod-state-machine-4f1c2ab",  # another stack in the account
        f"{SCOPE}:stateMachine:processing-dev-2-state-machine-4f1c2ab",  # a stack whose name starts alike
        f"{SCOPE}:stateMachine:processing-state-machine-4f1c2ab",  # a name without a stack
        f"{SCOPE}:stateMachine:orders-dev-state-machine-4f1c2ab",  # another project's
        f"arn:aws:states:eu-west-1:123456789012:stateMachine:{PREFIX}4f1c2ab",  # another region
        f"arn:aws:states:eu-west-2:210987654321:stateMachine:{PREFIX}4f1c2ab",  # another account
    ],
)
def test_no_other_state_machines_endings_match(state_machine_arn):
    assert not _matches(_ending(state_machine_arn))


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING"])
def test_other_statuses_do_not_match(status):
    assert not _matches(_ending(CURRENT, status))


def test_a_pattern_needs_a_state_machine_arn():
    with pytest.raises(ValueError, match="not a state machine ARN"):
        status_change_pattern("arn:aws:states:eu-west-2:123456789012:execution:m:run", name_prefix=PREFIX)
