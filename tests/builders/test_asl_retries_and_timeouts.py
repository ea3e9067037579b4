"""The definition's retries and timeouts: which errors each task retries and how, the retry check's
negative twins, the retry policies reaching their states, and the execution and training timeouts."""

from __future__ import annotations

import copy

import pytest
from asl_checks import retry_problems
from asl_examples import (
    DYNAMODB_TRANSIENT_ERRORS,
    ECS_CAPACITY_ERRORS,
    LAMBDA_STATES,
    LAMBDA_TRANSIENT_ERRORS,
    NOTIFY_STATES,
    RESOURCES,
    SNS_TRANSIENT_ERRORS,
    TRAIN_TIMEOUT_SECONDS,
)

from components.asl import RetryPolicy, build_definition
from components.config_limits import MAX_CAPACITY_WAIT_MINUTES, MIN_CAPACITY_WAIT_MINUTES
from components.execution_budget import (
    EXECUTION_MARGIN_SECONDS,
    STEP_FUNCTION_TIMEOUT_SECONDS,
    execution_timeout_seconds,
)
from components.retry import (
    DEFAULT_CAPACITY_RETRY,
    NOTIFY_RETRY,
    capacity_retry_policy,
    retry_budget_seconds,
    retry_waits_seconds,
)
from contracts.outcome import START_RETRY_WAIT_SECONDS

pytestmark = pytest.mark.unit


def test_training_retries_only_capacity_and_throttling_errors_with_backoff(definition):
    train = definition["States"]["TrainClassifier"]
    (retrier,) = train["Retry"]

    assert retry_problems(train, ECS_CAPACITY_ERRORS) == []
    assert sorted(retrier["ErrorEquals"]) == sorted(ECS_CAPACITY_ERRORS)
    assert retrier["BackoffRate"] > 1


@pytest.mark.parametrize("state", LAMBDA_STATES)
def test_lambda_tasks_use_the_plain_arn_and_retry_only_transient_lambda_errors(definition, state):
    task = definition["States"][state]
    function_arns = {
        "Validate": RESOURCES.validate_function_arn,
        "PresignRun": RESOURCES.presign_run_function_arn,
        "ProcessResults": RESOURCES.process_results_function_arn,
        "RecordFailure": RESOURCES.record_failure_function_arn,
    }

    assert task["Resource"] == function_arns[state]
    assert "Parameters" not in task
    assert retry_problems(task, LAMBDA_TRANSIENT_ERRORS) == []
    assert sorted(task["Retry"][0]["ErrorEquals"]) == sorted(LAMBDA_TRANSIENT_ERRORS)


@pytest.mark.parametrize("state", NOTIFY_STATES)
def test_notifications_retry_only_transient_sns_errors_for_about_a_minute_with_jitter(definition, state):
    (retrier,) = definition["States"][state]["Retry"]

    assert retry_problems(definition["States"][state], SNS_TRANSIENT_ERRORS) == []
    assert retrier == {
        "ErrorEquals": list(SNS_TRANSIENT_ERRORS),
        "IntervalSeconds": 2,
        "BackoffRate": 2.0,
        "MaxAttempts": 5,
        "MaxDelaySeconds": 30,
        "JitterStrategy": "FULL",
    }
    assert retry_waits_seconds(NOTIFY_RETRY) == [2, 4, 8, 16, 30]


@pytest.mark.parametrize(
    ("state", "allowed", "added_error"),
    [
        ("TrainClassifier", ECS_CAPACITY_ERRORS, "States.TaskFailed"),
        ("TrainClassifier", ECS_CAPACITY_ERRORS, "States.ALL"),
        ("Validate", LAMBDA_TRANSIENT_ERRORS, "States.ALL"),
        ("ProcessResults", LAMBDA_TRANSIENT_ERRORS, "ResultsInvalid"),
        ("MarkProcessing", DYNAMODB_TRANSIENT_ERRORS, "DynamoDB.ConditionalCheckFailedException"),
        ("NotifySuccess", SNS_TRANSIENT_ERRORS, "SNS.AuthorizationErrorException"),
    ],
)
def test_retry_check_reports_a_retried_final_error(definition, state, allowed, added_error):
    broken = copy.deepcopy(definition)
    broken["States"][state]["Retry"][0]["ErrorEquals"].append(added_error)

    assert retry_problems(broken["States"][state], allowed) == [f"retries {added_error}"]


def test_retry_check_reports_a_missing_retry(definition):
    broken = copy.deepcopy(definition)
    del broken["States"]["TrainClassifier"]["Retry"]

    assert retry_problems(broken["States"]["TrainClassifier"], ECS_CAPACITY_ERRORS) == ["no Retry"]


def test_retry_policy_reaches_every_lambda_and_dynamodb_retrier():
    retry = RetryPolicy(interval_seconds=1, backoff_rate=1.5, max_attempts=5)
    definition = build_definition(RESOURCES, retry=retry)
    retriers = [
        retrier
        for name, state in definition["States"].items()
        if name not in ("TrainClassifier", *NOTIFY_STATES)
        for retrier in state.get("Retry", [])
    ]

    assert len(retriers) == 6  # four Lambda tasks, MarkProcessing, RecordRetryTaskSize
    assert [{key: r[key] for key in ("IntervalSeconds", "BackoffRate", "MaxAttempts")} for r in retriers] == [
        {"IntervalSeconds": 1, "BackoffRate": 1.5, "MaxAttempts": 5}
    ] * 6
    assert not any("JitterStrategy" in r or "MaxDelaySeconds" in r for r in retriers)


def test_capacity_errors_of_run_task_are_retried_for_minutes_with_capped_full_jitter_backoff(definition):
    (retrier,) = definition["States"]["TrainClassifier"]["Retry"]

    assert retrier == {
        "ErrorEquals": [
            "ECS.AmazonECSException",
            "ECS.ServerException",
            "ECS.ThrottlingException",
            "ECS.LimitExceededException",
            "AmazonECS.Unknown",
        ],
        "IntervalSeconds": 15,
        "BackoffRate": 2.0,
        "MaxAttempts": 8,
        "MaxDelaySeconds": 120,
        "JitterStrategy": "FULL",
    }
    assert retry_waits_seconds(DEFAULT_CAPACITY_RETRY) == [15, 30, 60, 120, 120, 120, 120, 120]
    assert retry_budget_seconds(DEFAULT_CAPACITY_RETRY) == 705  # almost 12 minutes before CAPACITY_UNAVAILABLE


def test_each_capacity_wait_gets_the_fewest_retries_that_wait_at_least_that_long():
    for minutes in range(MIN_CAPACITY_WAIT_MINUTES, MAX_CAPACITY_WAIT_MINUTES + 1):
        retry = capacity_retry_policy(minutes)
        one_fewer = RetryPolicy(**{**vars(retry), "max_attempts": retry.max_attempts - 1})

        assert retry_waits_seconds(retry) == [15, 30, 60] + [120] * (retry.max_attempts - 3), minutes
        assert (retry.max_delay_seconds, retry.full_jitter) == (120, True), minutes
        assert retry_budget_seconds(retry) >= minutes * 60, minutes
        assert retry.max_attempts == 8 or retry_budget_seconds(one_fewer) < minutes * 60, minutes


def test_the_least_capacity_wait_keeps_the_retries_stacks_had_before_it_could_be_set():
    assert capacity_retry_policy(11) == DEFAULT_CAPACITY_RETRY
    assert build_definition(RESOURCES, capacity_retry=capacity_retry_policy(11)) == build_definition(RESOURCES)


def test_a_capacity_wait_of_an_hour_reaches_train_classifier_and_the_execution_timeout():
    definition = build_definition(RESOURCES, capacity_retry=capacity_retry_policy(60))
    (retrier,) = definition["States"]["TrainClassifier"]["Retry"]

    assert (retrier["IntervalSeconds"], retrier["MaxAttempts"], retrier["MaxDelaySeconds"]) == (15, 33, 120)
    # 3,705 s instead of 705 s of waits before each of the two trainings.
    assert definition["TimeoutSeconds"] == execution_timeout_seconds(3600) + 2 * (3705 - 705)


def test_a_custom_capacity_policy_reaches_train_classifier_only():
    capacity = RetryPolicy(interval_seconds=1, backoff_rate=1.0, max_attempts=1)
    definition = build_definition(RESOURCES, capacity_retry=capacity)

    (retrier,) = definition["States"]["TrainClassifier"]["Retry"]
    assert (retrier["IntervalSeconds"], retrier["MaxAttempts"]) == (1, 1)
    assert definition["States"]["Validate"]["Retry"][0]["IntervalSeconds"] == 2


def test_the_execution_times_out_after_the_longest_path_that_still_makes_progress():
    retry = RetryPolicy(interval_seconds=2, backoff_rate=2.0, max_attempts=3)
    capacity_retry = RetryPolicy(interval_seconds=15, backoff_rate=2.0, max_attempts=3, max_delay_seconds=20)
    retry_waits, capacity_waits = 2 + 4 + 8, 15 + 20 + 20
    # The first task runs out of memory at the end of its time and the retry's ProcessResults fails:
    # Validate, PresignRun, RecordFailure (retry), PresignRun, ProcessResults and RecordFailure each through
    # four attempts and three waits; two trainings, each after the waits of a DynamoDB update's retries
    # (MarkProcessing, then RecordRetryTaskSize) and of TrainClassifier's capacity retries; the wait before
    # a retry after a failed start (that path's first task takes less than its whole time); the waits of one
    # notification's retries (2 + 4 + 8 + 16 + 30); the margin.
    expected = (
        6 * (4 * STEP_FUNCTION_TIMEOUT_SECONDS + retry_waits)
        + 2 * (retry_waits + capacity_waits + TRAIN_TIMEOUT_SECONDS)
        + START_RETRY_WAIT_SECONDS
        + 60
        + EXECUTION_MARGIN_SECONDS
    )

    assert execution_timeout_seconds(TRAIN_TIMEOUT_SECONDS, retry, capacity_retry) == expected
    definition = build_definition(
        RESOURCES, train_timeout_seconds=TRAIN_TIMEOUT_SECONDS, retry=retry, capacity_retry=capacity_retry
    )
    assert definition["TimeoutSeconds"] == expected


def test_the_execution_timeout_grows_with_the_training_timeout_and_the_retries():
    base = execution_timeout_seconds(3600)

    assert execution_timeout_seconds(7200) == base + 2 * 3600  # the first training and its retry
    assert execution_timeout_seconds(3600, RetryPolicy(max_attempts=6)) > base
    assert execution_timeout_seconds(3600, capacity_retry=RetryPolicy(max_attempts=12)) > base
    assert base > 3600 + retry_budget_seconds(DEFAULT_CAPACITY_RETRY) + EXECUTION_MARGIN_SECONDS


def test_default_training_timeout_is_one_hour():
    definition = build_definition(RESOURCES)

    assert definition["States"]["TrainClassifier"]["TimeoutSeconds"] == 3600
