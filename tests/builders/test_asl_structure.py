"""The shape of the definition built by ``components.asl``: transitions, reachability, the success and
failure paths, catches, the one wait (before the retry of a task that failed to start), result paths; and
the negative twins of the structural checks."""

from __future__ import annotations

import copy
import json

import pytest
from asl_checks import (
    catch_problems,
    path_from,
    transition_problems,
    transition_targets,
    unreachable_states,
    wait_states,
)
from asl_examples import NOTIFY_STATES, TASK_STATES

pytestmark = pytest.mark.unit

#: Every training's way to success: presign, train, redact the run's access, record, notify.
TRAINING_TO_SUCCESS = (
    "PresignRun",
    "TrainClassifier",
    "RedactRunAccess",
    "ProcessResults",
    "SuccessRecorded",
    "NotifySuccess",
    "Succeeded",
)


def test_definition_is_json_serialisable_and_commented(definition):
    assert json.loads(json.dumps(definition)) == definition
    assert definition["Comment"]


def test_every_transition_exists_and_every_state_is_reachable(definition):
    assert transition_problems(definition) == []
    assert unreachable_states(definition) == []


def test_success_and_failure_paths_follow_the_contract(definition):
    assert definition["StartAt"] == "Validate"
    assert path_from(definition, "Validate") == [
        "Validate",
        "MarkProcessing",
        *TRAINING_TO_SUCCESS,
    ]
    # A task that failed to start trains once more in the same size after a wait (first rule) ...
    assert path_from(definition, "RecordFailure") == [
        "RecordFailure",
        "FailureRecorded",
        "UseSameTaskSize",
        "WaitBeforeStartRetry",
        "RecordRetryTaskSize",
        *TRAINING_TO_SUCCESS,
    ]
    # ... a run out of memory with a bigger task left trains once more from PresignRun (second rule) ...
    assert path_from(definition, definition["States"]["FailureRecorded"]["Choices"][1]["Next"]) == [
        "UseRetryTaskSize",
        "RecordRetryTaskSize",
        *TRAINING_TO_SUCCESS,
    ]
    # ... any other failure is notified
    assert path_from(definition, definition["States"]["FailureRecorded"]["Choices"][2]["Next"]) == [
        "NotifyFailure",
        "Failed",
    ]
    assert definition["States"]["Succeeded"]["Type"] == "Succeed"
    assert definition["States"]["Failed"]["Type"] == "Fail"


def test_every_task_catches_everything_into_the_failure_branch(definition):
    states = definition["States"]
    assert catch_problems(definition) == []
    assert sorted(name for name, state in states.items() if state["Type"] == "Task") == sorted(TASK_STATES)
    for name in TASK_STATES:
        (catcher,) = states[name]["Catch"]
        expected_target = {"RecordFailure": "Failed", **dict.fromkeys(NOTIFY_STATES, "NotificationFailed")}
        assert catcher == {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": "$.error",
            "Next": expected_target.get(name, "RecordFailure"),
        }


@pytest.mark.parametrize("state", NOTIFY_STATES)
def test_a_lost_notification_fails_the_execution_without_recording_a_failure(definition, state):
    # The outcome is already recorded (a success stays SUCCEEDED): RecordFailure must not run, and the
    # execution fails with an error that says only the notification was lost.
    target = definition["States"][state]["Catch"][0]["Next"]

    assert path_from(definition, target) == ["NotificationFailed"]
    assert definition["States"]["NotificationFailed"]["Type"] == "Fail"
    assert definition["States"]["NotificationFailed"]["Error"] == "NotificationFailed"


def test_the_only_wait_is_the_pause_before_the_retry_of_a_task_that_failed_to_start(definition):
    # nothing polls (TrainClassifier is .sync); the wait is entered only on RecordFailure's same-size retry
    assert wait_states(definition) == ["WaitBeforeStartRetry"]
    states = definition["States"]
    assert [name for name, state in states.items() if "WaitBeforeStartRetry" in transition_targets(state)] == [
        "UseSameTaskSize"
    ]


@pytest.mark.parametrize(
    ("state", "result_path"),
    [
        ("Validate", "$.validation"),
        ("MarkProcessing", None),
        ("TrainClassifier", None),
        ("UseRetryTaskSize", "$.validation.taskSize"),
        ("UseSameTaskSize", "$.validation.retryTaskSize"),
        ("RecordRetryTaskSize", None),
        ("ProcessResults", "$.outcome"),
        ("NotifySuccess", None),
        ("RecordFailure", "$.outcome"),
        ("NotifyFailure", None),
    ],
)
def test_result_paths_keep_the_execution_input(definition, state, result_path):
    assert definition["States"][state]["ResultPath"] == result_path


@pytest.mark.parametrize("state", TASK_STATES)
def test_catch_check_reports_a_task_without_catch(definition, state):
    broken = copy.deepcopy(definition)
    del broken["States"][state]["Catch"]

    assert catch_problems(broken) == [f"{state} has no Catch for States.ALL"]


def test_catch_check_reports_a_catch_that_misses_some_errors(definition):
    broken = copy.deepcopy(definition)
    broken["States"]["TrainClassifier"]["Catch"][0]["ErrorEquals"] = ["States.TaskFailed"]

    assert catch_problems(broken) == ["TrainClassifier has no Catch for States.ALL"]


def test_wait_check_reports_a_polling_wait(definition):
    broken = copy.deepcopy(definition)
    broken["States"]["WaitForTask"] = {"Type": "Wait", "Seconds": 30, "Next": "ProcessResults"}
    broken["States"]["TrainClassifier"]["Next"] = "WaitForTask"

    assert wait_states(broken) == ["WaitBeforeStartRetry", "WaitForTask"]
    assert transition_problems(broken) == []


def test_transition_check_reports_a_dangling_next(definition):
    broken = copy.deepcopy(definition)
    broken["States"]["MarkProcessing"]["Next"] = "Train"

    assert transition_problems(broken) == ["MarkProcessing moves to missing state 'Train'"]


def test_transition_check_reports_a_dangling_catch_and_start(definition):
    broken = copy.deepcopy(definition)
    broken["StartAt"] = "Start"
    broken["States"]["Validate"]["Catch"][0]["Next"] = "HandleFailure"

    assert transition_problems(broken) == [
        "StartAt 'Start' is not a state",
        "Validate moves to missing state 'HandleFailure'",
    ]


def test_reachability_check_reports_an_orphan_state(definition):
    broken = copy.deepcopy(definition)
    for choice, rule in (("SuccessRecorded", 0), ("FailureRecorded", 3)):  # both lead to NotifySuccess
        broken["States"][choice]["Choices"][rule]["Next"] = "Succeeded"

    assert unreachable_states(broken) == ["NotifySuccess"]
