"""The state machine definition built by ``components.asl`` (no Pulumi engine, no AWS)."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
from pathlib import Path

import pytest
from asl_checks import (
    catch_problems,
    path_from,
    retry_problems,
    transition_problems,
    unreachable_states,
    wait_states,
)

from components.asl import (
    EXECUTION_MARGIN_SECONDS,
    STEP_FUNCTION_TIMEOUT_SECONDS,
    AslResources,
    RetryPolicy,
    build_definition,
    execution_timeout_seconds,
)
from components.retry import CAPACITY_RETRY, retry_budget_seconds, retry_waits_seconds
from contracts.environment import CONTAINER_REQUIRED
from contracts.task_size import TASK_SIZE_KEY, TaskSize

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_VALIDATOR = REPO_ROOT / "tools" / "asl-validator" / "node_modules" / ".bin" / "asl-validator"

ACCOUNT_SCOPE = "eu-west-2:123456789012"
RESOURCES = AslResources(
    validate_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-validate-fn",
    presign_run_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-presign-run-fn",
    process_results_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-process-results-fn",
    record_failure_function_arn=f"arn:aws:lambda:{ACCOUNT_SCOPE}:function:processing-record-failure-fn",
    status_table_name="storage-status-3f9a",
    cluster_arn=f"arn:aws:ecs:{ACCOUNT_SCOPE}:cluster/classifier-cluster-3f9a",
    task_definition_arn=f"arn:aws:ecs:{ACCOUNT_SCOPE}:task-definition/classifier-classifier-dev:4",
    container_name="classifier",
    subnet_ids=("subnet-0a1b2c3d", "subnet-4e5f6a7b"),
    security_group_ids=("sg-0c1d2e3f",),
    topic_arn=f"arn:aws:sns:{ACCOUNT_SCOPE}:processing-topic-3f9a",
)
TRAIN_TIMEOUT_SECONDS = 5400

LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
ECS_CAPACITY_ERRORS = (
    "ECS.AmazonECSException",
    "ECS.ServerException",
    "ECS.ThrottlingException",
    "ECS.LimitExceededException",
)
DYNAMODB_TRANSIENT_ERRORS = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.InternalServerErrorException",
)
LAMBDA_STATES = ("Validate", "PresignRun", "ProcessResults", "RecordFailure")
TASK_STATES = (*LAMBDA_STATES, "MarkProcessing", "TrainClassifier", "NotifySuccess", "NotifyFailure")


@pytest.fixture
def definition():
    return build_definition(RESOURCES, train_timeout_seconds=TRAIN_TIMEOUT_SECONDS)


@pytest.fixture
def validator():
    if not ASL_VALIDATOR.exists():
        pytest.fail(f"{ASL_VALIDATOR.relative_to(REPO_ROOT)} is missing: run `make install` first")
    return ASL_VALIDATOR


def run_validator(validator: Path, definition: dict, directory: Path) -> subprocess.CompletedProcess[str]:
    path = directory / "definition.json"
    path.write_text(json.dumps(definition))
    return subprocess.run(  # noqa: S603 - fixed local binary, our own file
        [str(validator), "--json-path", str(path)], capture_output=True, text=True, timeout=120, check=False
    )


# --- structure -------------------------------------------------------------------------------------


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
        "PresignRun",
        "TrainClassifier",
        "ProcessResults",
        "SuccessRecorded",
        "NotifySuccess",
        "Succeeded",
    ]
    assert path_from(definition, "RecordFailure") == [
        "RecordFailure",
        "FailureRecorded",
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
        expected_target = "Failed" if name in ("RecordFailure", "NotifyFailure") else "RecordFailure"
        assert catcher == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": expected_target}


def test_no_wait_state(definition):
    assert wait_states(definition) == []


@pytest.mark.parametrize(
    ("state", "result_path"),
    [
        ("Validate", "$.validation"),
        ("MarkProcessing", None),
        ("TrainClassifier", None),
        ("ProcessResults", "$.outcome"),
        ("NotifySuccess", None),
        ("RecordFailure", "$.outcome"),
        ("NotifyFailure", None),
    ],
)
def test_result_paths_keep_the_execution_input(definition, state, result_path):
    assert definition["States"][state]["ResultPath"] == result_path


# --- negative twins of the structural checks ---------------------------------------------------------


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

    assert wait_states(broken) == ["WaitForTask"]
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
    broken["States"]["SuccessRecorded"]["Choices"][0]["Next"] = "Succeeded"

    assert unreachable_states(broken) == ["NotifySuccess"]


# --- states in detail ----------------------------------------------------------------------------------


def test_training_runs_the_task_synchronously_without_public_ip(definition):
    train = definition["States"]["TrainClassifier"]
    parameters = train["Parameters"]

    assert train["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    assert train["TimeoutSeconds"] == TRAIN_TIMEOUT_SECONDS
    assert parameters["Cluster"] == RESOURCES.cluster_arn
    assert parameters["TaskDefinition"] == RESOURCES.task_definition_arn
    assert parameters["LaunchType"] == "FARGATE"
    assert parameters["NetworkConfiguration"] == {
        "AwsvpcConfiguration": {
            "Subnets": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
            "SecurityGroups": ["sg-0c1d2e3f"],
            "AssignPublicIp": "DISABLED",
        }
    }


def test_training_container_gets_the_run_and_its_presigned_urls_and_no_bucket_to_reach_itself(definition):
    (override,) = definition["States"]["TrainClassifier"]["Parameters"]["Overrides"]["ContainerOverrides"]
    environment = {entry["Name"]: entry for entry in override["Environment"]}

    assert override["Name"] == "classifier"
    assert len(override["Environment"]) == len(environment) == 9
    assert set(environment) == set(CONTAINER_REQUIRED)
    assert environment == {
        "EXECUTION_ARN": {"Name": "EXECUTION_ARN", "Value.$": "$.executionArn"},
        "INPUT_BUCKET": {"Name": "INPUT_BUCKET", "Value.$": "$.bucket"},
        "INPUT_KEY": {"Name": "INPUT_KEY", "Value.$": "$.key"},
        "INPUT_VERSION_ID": {"Name": "INPUT_VERSION_ID", "Value.$": "$.uploadVersion"},
        "RUN_ACCESS": {"Name": "RUN_ACCESS", "Value.$": "$.runAccess"},
        "RESULTS_PREFIX": {"Name": "RESULTS_PREFIX", "Value.$": "$.resultsPrefix"},
        "USER_ID": {"Name": "USER_ID", "Value.$": "$.userId"},
        "SESSION_ID": {"Name": "SESSION_ID", "Value.$": "$.sessionId"},
        "RUN_ID": {"Name": "RUN_ID", "Value.$": "$.runId"},
    }


def _value_at(state: dict, path: str):
    value = state
    for key in path.removeprefix("$.").split("."):
        value = value[key]
    return value


def _formatted_path(expression: str) -> str:
    """The path ``States.Format('{}', path)`` formats."""
    prefix, suffix = "States.Format('{}', ", ")"
    assert expression.startswith(prefix) and expression.endswith(suffix), expression
    return expression[len(prefix) : -len(suffix)]


def test_training_task_and_its_container_get_the_size_validate_chose(definition):
    overrides = definition["States"]["TrainClassifier"]["Parameters"]["Overrides"]
    (container,) = overrides["ContainerOverrides"]
    # a state after Validate sized the run
    state = {"validation": {TASK_SIZE_KEY: TaskSize(2048, 9216).to_dict()}}

    # task-level Cpu and Memory are strings in the ECS API: the integers are formatted
    assert _value_at(state, _formatted_path(overrides["Cpu.$"])) == 2048
    assert _value_at(state, _formatted_path(overrides["Memory.$"])) == 9216
    # the container's hard limit (the task definition sets one) follows, as an integer
    assert _value_at(state, container["Memory.$"]) == 9216
    assert set(overrides) == {"Cpu.$", "Memory.$", "ContainerOverrides"}


def test_the_urls_the_container_gets_are_the_presign_steps_result_signed_right_before_training(definition):
    states = definition["States"]

    assert states["MarkProcessing"]["Next"] == "PresignRun"
    assert states["PresignRun"]["Next"] == "TrainClassifier"
    assert states["PresignRun"]["ResultPath"] == "$.runAccess"
    assert states["PresignRun"]["Catch"][0]["Next"] == "RecordFailure"


@pytest.mark.parametrize("state_name", LAMBDA_STATES)
def test_each_step_function_receives_the_whole_state_with_the_run_and_its_execution_arn(
    definition, state_name
):
    states = definition["States"]
    state = states[state_name]

    # No InputPath or Parameters: the handler's event is the whole state, the run input included.
    assert "InputPath" not in state and "Parameters" not in state
    # No state replaces the run input: results and caught errors go beside it.
    result_paths = {other["ResultPath"] for other in states.values() if "ResultPath" in other}
    assert result_paths == {None, "$.validation", "$.runAccess", "$.outcome"}
    catch_paths = {catch["ResultPath"] for other in states.values() for catch in other.get("Catch", [])}
    assert catch_paths == {"$.error"}


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


@pytest.mark.parametrize(
    ("state", "allowed", "added_error"),
    [
        ("TrainClassifier", ECS_CAPACITY_ERRORS, "States.TaskFailed"),
        ("TrainClassifier", ECS_CAPACITY_ERRORS, "States.ALL"),
        ("Validate", LAMBDA_TRANSIENT_ERRORS, "States.ALL"),
        ("ProcessResults", LAMBDA_TRANSIENT_ERRORS, "ResultsInvalid"),
        ("MarkProcessing", DYNAMODB_TRANSIENT_ERRORS, "DynamoDB.ConditionalCheckFailedException"),
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


def test_mark_processing_moves_only_this_received_run_to_processing(definition):
    state = definition["States"]["MarkProcessing"]
    parameters = state["Parameters"]
    values = parameters["ExpressionAttributeValues"]

    assert state["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert retry_problems(state, DYNAMODB_TRANSIENT_ERRORS) == []
    assert parameters["TableName"] == "storage-status-3f9a"
    assert parameters["Key"] == {"userId": {"S.$": "$.userId"}, "sessionId": {"S.$": "$.sessionId"}}
    assert parameters["ConditionExpression"] == "runId = :runId AND #status = :received"
    assert parameters["ExpressionAttributeNames"] == {"#status": "status"}
    assert values[":runId"] == {"S.$": "$.runId"}
    assert values[":received"] == {"S": "RECEIVED"}
    assert values[":processing"] == {"S": "PROCESSING"}
    assert values[":enteredTime"] == {"S.$": "$$.State.EnteredTime"}
    assert values[":executionArn"] == {"S.$": "$$.Execution.Id"}
    assert parameters["UpdateExpression"] == (
        "SET #status = :processing, startedAt = :enteredTime, updatedAt = :enteredTime, "
        "executionArn = :executionArn, taskSize = :taskSize"
    )


def test_mark_processing_records_the_runs_task_size_as_numbers(definition):
    task_size = definition["States"]["MarkProcessing"]["Parameters"]["ExpressionAttributeValues"][":taskSize"]
    state = {"validation": {TASK_SIZE_KEY: TaskSize(512, 3072).to_dict()}}

    recorded = {name: _value_at(state, _formatted_path(value["N.$"])) for name, value in task_size["M"].items()}
    assert recorded == TaskSize(512, 3072).to_dict()


@pytest.mark.parametrize(
    ("choice", "notify", "otherwise"),
    [("SuccessRecorded", "NotifySuccess", "Superseded"), ("FailureRecorded", "NotifyFailure", "Failed")],
)
def test_only_a_recorded_outcome_is_notified(definition, choice, notify, otherwise):
    # A superseded run's outcome (recorded: false) is not the session's: it ends without a notification.
    state = definition["States"][choice]

    assert state["Type"] == "Choice"
    assert state["Choices"] == [{"Variable": "$.outcome.recorded", "BooleanEquals": True, "Next": notify}]
    assert state["Default"] == otherwise
    assert definition["States"]["Superseded"]["Type"] == "Succeed"


@pytest.mark.parametrize("state", ["NotifySuccess", "NotifyFailure"])
def test_notifications_publish_the_outcome_to_the_topic(definition, state):
    task = definition["States"][state]

    assert task["Resource"] == "arn:aws:states:::sns:publish"
    assert task["Parameters"]["TopicArn"] == RESOURCES.topic_arn
    assert task["Parameters"]["Message.$"] == "States.JsonToString($.outcome)"
    assert task["Parameters"]["Subject"]
    assert len(task["Parameters"]["Subject"]) < 100  # SNS limit for subjects


def test_retry_policy_reaches_every_lambda_and_dynamodb_retrier():
    retry = RetryPolicy(interval_seconds=1, backoff_rate=1.5, max_attempts=5)
    definition = build_definition(RESOURCES, retry=retry)
    retriers = [
        retrier
        for name, state in definition["States"].items()
        if name != "TrainClassifier"
        for retrier in state.get("Retry", [])
    ]

    assert len(retriers) == 5  # four Lambda tasks, MarkProcessing
    assert [{key: r[key] for key in ("IntervalSeconds", "BackoffRate", "MaxAttempts")} for r in retriers] == [
        {"IntervalSeconds": 1, "BackoffRate": 1.5, "MaxAttempts": 5}
    ] * 5
    assert not any("JitterStrategy" in r or "MaxDelaySeconds" in r for r in retriers)


def test_capacity_errors_of_run_task_are_retried_for_minutes_with_capped_full_jitter_backoff(definition):
    (retrier,) = definition["States"]["TrainClassifier"]["Retry"]

    assert retrier == {
        "ErrorEquals": [
            "ECS.AmazonECSException",
            "ECS.ServerException",
            "ECS.ThrottlingException",
            "ECS.LimitExceededException",
        ],
        "IntervalSeconds": 15,
        "BackoffRate": 2.0,
        "MaxAttempts": 8,
        "MaxDelaySeconds": 120,
        "JitterStrategy": "FULL",
    }
    assert retry_waits_seconds(CAPACITY_RETRY) == [15, 30, 60, 120, 120, 120, 120, 120]
    assert retry_budget_seconds(CAPACITY_RETRY) == 705  # almost 12 minutes before CAPACITY_UNAVAILABLE


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
    # Validate, PresignRun, ProcessResults and RecordFailure each through four attempts and three waits; the
    # waits of MarkProcessing's retries and of TrainClassifier's capacity retries; the training
    # itself; the margin.
    expected = (
        TRAIN_TIMEOUT_SECONDS
        + 4 * (4 * STEP_FUNCTION_TIMEOUT_SECONDS + retry_waits)
        + retry_waits
        + capacity_waits
        + EXECUTION_MARGIN_SECONDS
    )

    assert execution_timeout_seconds(TRAIN_TIMEOUT_SECONDS, retry, capacity_retry) == expected
    definition = build_definition(
        RESOURCES, train_timeout_seconds=TRAIN_TIMEOUT_SECONDS, retry=retry, capacity_retry=capacity_retry
    )
    assert definition["TimeoutSeconds"] == expected


def test_the_execution_timeout_grows_with_the_training_timeout_and_the_retries():
    base = execution_timeout_seconds(3600)

    assert execution_timeout_seconds(7200) == base + 3600
    assert execution_timeout_seconds(3600, RetryPolicy(max_attempts=6)) > base
    assert execution_timeout_seconds(3600, capacity_retry=RetryPolicy(max_attempts=12)) > base
    assert base > 3600 + retry_budget_seconds(CAPACITY_RETRY) + EXECUTION_MARGIN_SECONDS


def test_default_training_timeout_is_one_hour():
    definition = build_definition(RESOURCES)

    assert definition["States"]["TrainClassifier"]["TimeoutSeconds"] == 3600


# --- argument checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_arguments", "message"),
    [
        ({"interval_seconds": 0}, "interval_seconds"),
        ({"backoff_rate": 0.5}, "backoff_rate"),
        ({"max_attempts": -1}, "max_attempts"),
        ({"interval_seconds": 10, "max_delay_seconds": 5}, "max_delay_seconds"),
    ],
)
def test_retry_policy_rejects_values_asl_does_not_allow(retry_arguments, message):
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**retry_arguments)


@pytest.mark.parametrize("timeout", [0, -5, 12.5, True])
def test_training_timeout_must_be_a_positive_integer(timeout):
    with pytest.raises(ValueError, match="train_timeout_seconds"):
        build_definition(RESOURCES, train_timeout_seconds=timeout)


@pytest.mark.parametrize("field_name", ["subnet_ids", "security_group_ids"])
@pytest.mark.parametrize("value", ["subnet-0a1b2c3d", ()])
def test_network_ids_must_be_a_non_empty_sequence(field_name, value):
    with pytest.raises(ValueError, match=field_name):
        dataclasses.replace(RESOURCES, **{field_name: value})


# --- the real validator ----------------------------------------------------------------------------


def test_asl_validator_accepts_the_definition(definition, validator, tmp_path):
    result = run_validator(validator, definition, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_rejects_a_dangling_next(definition, validator, tmp_path):
    broken = copy.deepcopy(definition)
    broken["States"]["ProcessResults"]["Next"] = "Notify"

    result = run_validator(validator, broken, tmp_path)

    assert result.returncode != 0
    assert "MISSING_TRANSITION_TARGET" in result.stdout + result.stderr
