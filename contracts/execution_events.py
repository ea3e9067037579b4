"""Step Functions' execution status-change events, as the reconcile function receives them.

Step Functions sends ``Step Functions Execution Status Change`` (source ``aws.states``) to the
default EventBridge bus whenever an execution changes status; the stack routes the three endings
that may leave a session open (an execution stopped by hand, timed out as a whole, or failed
without its RecordFailure step recording the failure) of any of its state machines, the current one
and those a deploy replaced, to ``handlers.reconcile``.
"""

from contracts.failures import FailureCode

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"

#: Execution status → the failure code a still-open run of that execution is recorded with.
ENDED_WITHOUT_OUTCOME = {
    "TIMED_OUT": FailureCode.TIMEOUT,
    "ABORTED": FailureCode.INTERNAL_ERROR,
    "FAILED": FailureCode.INTERNAL_ERROR,
}


def status_change_pattern(state_machine_arn: str, *, name_prefix: str) -> dict:
    """The EventBridge pattern of those endings for one stack's state machines: the current one,
    ``state_machine_arn``, and every state machine of its partition, region and account whose name
    starts with ``name_prefix``, the stack's (``components.workflow.state_machine_name_prefix``).

    A deploy that replaces the state machine gives the new one another name; the old one's executions
    end when it is deleted, and their events name the old one. The current machine is also named on
    its own: one deployed before its name held the stack keeps its older name until it is replaced.

    Raises
    ------
    ValueError
        If ``state_machine_arn`` is not a state machine ARN.
    """
    scope, separator, name = state_machine_arn.rpartition(":stateMachine:")
    if not scope or not separator or not name:
        raise ValueError(f"not a state machine ARN: {state_machine_arn!r}")
    return {
        "source": [SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {
            "stateMachineArn": [state_machine_arn, {"prefix": f"{scope}{separator}{name_prefix}"}],
            "status": sorted(ENDED_WITHOUT_OUTCOME),
        },
    }
