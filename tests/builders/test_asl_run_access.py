"""The run's presigned URLs (``$.runAccess``, and a caught task's description at ``$.error``) never reach
what an ended execution shows beyond its history (its output, or a Fail state's error and cause, which
DescribeExecution answers and the status-change event on the account's default bus carries), on any
path; and they leave the state once the training task has stopped. With the negative twins of the walk."""

from __future__ import annotations

import copy

import pytest
from asl_data_flow import ANY_FIELD, secret_flow

from contracts.outcome import OUTCOME_PATH
from contracts.run_access import REDACTED, RUN_ACCESS_FIELD, RUN_ACCESS_PATH

pytestmark = pytest.mark.unit


def _flow(definition):
    return secret_flow(definition, RUN_ACCESS_PATH)


def test_no_path_ends_with_the_runs_urls_in_the_executions_output_or_cause(definition):
    assert _flow(definition).leaks == []


def test_the_walk_follows_the_urls_into_a_caught_tasks_description_and_through_the_retry(definition):
    entered = _flow(definition).entered

    # TrainClassifier's Catch keeps its task description, overrides and URLs, at $.error ...
    assert entered["RecordFailure"] >= {RUN_ACCESS_FIELD, "error"}
    # ... which the retry after running out of memory carries to the end of the run
    assert "error" in entered["Succeeded"] and "error" in entered["Superseded"]
    # a run RecordFailure found already succeeded is notified and ends Succeeded with its URLs in the state
    assert RUN_ACCESS_FIELD in entered["NotifySuccess"]


@pytest.mark.parametrize("terminal", ["Succeeded", "Superseded"])
def test_each_succeed_state_outputs_the_outcome_alone(definition, terminal):
    assert definition["States"][terminal]["OutputPath"] == OUTCOME_PATH


@pytest.mark.parametrize("terminal", ["Succeeded", "Superseded"])
def test_the_walk_reports_a_succeed_state_that_outputs_the_whole_state(definition, terminal):
    broken = copy.deepcopy(definition)
    del broken["States"][terminal]["OutputPath"]

    assert _flow(broken).leaks == [f"{terminal} outputs the secret"]


def test_the_walk_reports_a_fail_state_that_takes_its_cause_from_the_caught_error(definition):
    broken = copy.deepcopy(definition)
    failed = broken["States"]["Failed"]
    del failed["Cause"]
    failed["CausePath"] = "$.error.Cause"

    assert _flow(broken).leaks == ["Failed takes its CausePath from the secret"]


def test_the_walk_reports_a_task_that_ends_the_execution_with_the_state(definition):
    broken = copy.deepcopy(definition)
    notify = broken["States"]["NotifyFailure"]
    del notify["Next"]
    notify["End"] = True

    assert _flow(broken).leaks == ["NotifyFailure outputs the secret"]


def test_the_urls_leave_the_state_once_the_task_has_stopped(definition):
    states = definition["States"]
    entered = _flow(definition).entered

    assert states["TrainClassifier"]["Next"] == "RedactRunAccess"
    # a fixed marker, not null; RecordFailure's redaction of it changes nothing
    assert states["RedactRunAccess"] == {
        "Type": "Pass",
        "Comment": states["RedactRunAccess"]["Comment"],
        "Result": REDACTED,
        "ResultPath": RUN_ACCESS_PATH,
        "Next": "ProcessResults",
    }
    assert not {RUN_ACCESS_FIELD, ANY_FIELD} & (entered["ProcessResults"] | entered["SuccessRecorded"])


def test_the_walk_reports_urls_kept_after_the_task(definition):
    broken = copy.deepcopy(definition)
    broken["States"]["TrainClassifier"]["Next"] = "ProcessResults"
    del broken["States"]["RedactRunAccess"]

    assert RUN_ACCESS_FIELD in _flow(broken).entered["ProcessResults"]


def test_record_failure_still_gets_the_urls_it_redacts_from_a_caught_tasks_description(definition):
    catcher = definition["States"]["TrainClassifier"]["Catch"][0]

    assert catcher["Next"] == "RecordFailure"
    assert RUN_ACCESS_FIELD in _flow(definition).entered["RecordFailure"]
