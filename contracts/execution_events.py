"""Step Functions' execution status-change events, as the reconcile function receives them.

Step Functions sends ``Step Functions Execution Status Change`` (source ``aws.states``) to the
default EventBridge bus whenever an execution changes status; the stack routes the three endings
that may leave a session open (an execution stopped by hand, timed out as a whole, or failed
without its RecordFailure step recording the failure) to ``handlers.reconcile``.
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


def status_change_pattern(state_machine_arn: str) -> dict:
    """The EventBridge pattern of those endings for one state machine."""
    return {
        "source": [SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {"stateMachineArn": [state_machine_arn], "status": sorted(ENDED_WITHOUT_OUTCOME)},
    }
