"""The status API on status items that older handler code wrote: a deploy changes the code, not the items.

Before failure messages and report warnings were stored as printable lines (``handlers.common.printable``),
record_failure kept a message on one line but with its other control and format characters (a terminal's
escape, a right-to-left override quoted from an upload's channel names), and process_results kept the
report's warnings as the manifest gave them. The API answers those sessions as it answers new ones.
"""

import pytest
from api_support import ME, SESSION, add_session, call_api
from handler_support import mark_processing, record_success

from handlers.common.status import StatusStore

pytestmark = pytest.mark.moto

ESCAPED = "channel \x1b]0;owned\x07C3 \u202eevil\u202c is flat"
PRINTABLE = "channel ]0;owned C3 evil is flat"


def test_a_failure_message_stored_with_control_characters_is_answered_as_a_printable_line(
    aws, load_event, lambda_context
):
    # GIVEN a session failed before messages were stored printable (what record_failure then wrote)
    state = add_session(aws, ME, SESSION)
    StatusStore(aws.dynamodb, aws.status_table).fail_run(
        ME,
        SESSION,
        state["runId"],
        error={"code": "INVALID_UPLOAD", "message": ESCAPED},
        now="2026-12-03T09:00:00.000Z",
    )
    # WHEN the caller asks for it and for their sessions
    body = call_api(load_event("apigw_v2_get_session"), lambda_context)[1]
    listed = call_api(load_event("apigw_v2_get_sessions"), lambda_context)[1]["sessions"]
    # THEN both answers hold the message as one printable line
    assert body["error"] == {"code": "INVALID_UPLOAD", "message": PRINTABLE}
    assert [session["error"] for session in listed] == [body["error"]]


def test_report_warnings_stored_with_control_characters_are_answered_as_printable_lines(
    aws, load_event, lambda_context
):
    # GIVEN a session succeeded before warnings were stored printable (what process_results then wrote)
    state = add_session(aws, ME, SESSION)
    mark_processing(aws.dynamodb, aws.status_table, state)
    result = {
        "nestedAccuracy": 0.7,
        "permutationPValue": None,
        "headlineModel": "ensemble",
        "reportWarnings": [ESCAPED, "Noisy channel(s): C4"],
        "resultsPrefix": state["resultsPrefix"],
    }
    record_success(aws, state, result=result, now="2026-12-03T09:00:00.000Z")
    # WHEN the caller asks for it and for their sessions
    body = call_api(load_event("apigw_v2_get_session"), lambda_context)[1]
    listed = call_api(load_event("apigw_v2_get_sessions"), lambda_context)[1]["sessions"]
    # THEN the warnings are printable lines, and the rest of the result is as stored
    assert body["result"] == {**result, "reportWarnings": [PRINTABLE, "Noisy channel(s): C4"]}
    assert [session["result"] for session in listed] == [body["result"]]
