"""contracts.run_input: the state machine input, its JSON names and the ids every log line carries."""

import pytest

from contracts.run_input import LOG_FIELDS, RunInput, json_path

pytestmark = pytest.mark.unit

RUN = RunInput(
    bucket="uploads-bucket",
    key="uploads/u1/s1/rec.zip",
    upload_version="v1",
    size=787103,
    user_id="u1",
    session_id="s1",
    run_id="run-1",
    results_prefix="results/u1/s1/run-1/",
    execution_arn="arn:aws:states:eu-west-2:123456789012:execution:pipeline:run-1",
)


def test_the_input_is_camel_case_json_and_reads_back_whatever_the_states_add():
    document = RUN.to_dict()
    assert document == {
        "bucket": "uploads-bucket",
        "key": "uploads/u1/s1/rec.zip",
        "uploadVersion": "v1",
        "size": 787103,
        "userId": "u1",
        "sessionId": "s1",
        "runId": "run-1",
        "resultsPrefix": "results/u1/s1/run-1/",
        "executionArn": "arn:aws:states:eu-west-2:123456789012:execution:pipeline:run-1",
    }
    assert RunInput.from_dict({**document, "validation": {}, "error": {"Error": "x"}}) == RUN


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"executionArn": None}, "executionArn"),
        ({"size": "12"}, "size"),
        ({"size": True}, "size"),
        ({"key": ""}, "key"),
    ],
)
def test_a_state_without_valid_run_fields_is_refused_naming_them(changes, named):
    with pytest.raises(ValueError, match=named):
        RunInput.from_dict({**RUN.to_dict(), **changes})


def test_log_lines_carry_the_ids_and_the_execution():
    assert LOG_FIELDS == ("userId", "sessionId", "runId", "executionArn")
    assert RUN.log_fields() == {
        "userId": "u1",
        "sessionId": "s1",
        "runId": "run-1",
        "executionArn": RUN.execution_arn,
    }
    assert json_path("results_prefix") == "$.resultsPrefix"
