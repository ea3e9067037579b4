"""What the definition's states do: the training task and its container, the presign step, the input of
the Lambda steps, MarkProcessing, the outcome choices, the retries (after running out of memory, after a
failed start) and the notifications."""

from __future__ import annotations

import copy

import pytest
from asl_checks import retry_problems
from asl_examples import DYNAMODB_TRANSIENT_ERRORS, LAMBDA_STATES, RESOURCES, TRAIN_TIMEOUT_SECONDS

from contracts.environment import CONTAINER_REQUIRED, ContainerVariable
from contracts.outcome import START_RETRY_WAIT_SECONDS
from contracts.task_size import TASK_SIZE_KEY, TaskSize
from handlers.record_failure import retry_spent

pytestmark = pytest.mark.unit


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
    assert len(override["Environment"]) == len(environment) == 10
    assert set(environment) == {*CONTAINER_REQUIRED, ContainerVariable.TASK_CPU}
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
        # Fargate shows the container its host's CPUs, so it is told the run's, as the task is sized.
        "FBCSP_TASK_CPU": {"Name": "FBCSP_TASK_CPU", "Value.$": "States.Format('{}', $.validation.taskSize.cpu)"},
    }
    overrides = definition["States"]["TrainClassifier"]["Parameters"]["Overrides"]
    assert environment["FBCSP_TASK_CPU"]["Value.$"] == overrides["Cpu.$"]


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
    assert result_paths == {
        None,
        "$.validation",
        "$.runAccess",
        "$.outcome",
        # the retries' Pass states: the run's task size becomes the retry's, or the retry's the run's
        "$.validation.taskSize",
        "$.validation.retryTaskSize",
    }
    catch_paths = {catch["ResultPath"] for other in states.values() for catch in other.get("Catch", [])}
    assert catch_paths == {"$.error"}


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


RECORDED = {"Variable": "$.outcome.recorded", "BooleanEquals": True}


def test_only_a_recorded_success_is_notified(definition):
    # A superseded run's outcome (recorded: false) is not the session's: it ends without a notification.
    state = definition["States"]["SuccessRecorded"]

    assert state["Type"] == "Choice"
    assert state["Choices"] == [{**RECORDED, "Next": "NotifySuccess"}]
    assert state["Default"] == "Superseded"
    assert definition["States"]["Superseded"]["Type"] == "Succeed"


def test_a_recorded_failure_is_notified_and_a_run_found_succeeded_is_notified_as_a_success(definition):
    # RecordFailure's outcome is the run's success when ProcessResults' write had committed before its
    # step failed; an outcome not recorded (a superseded run's) is not notified.
    state = definition["States"]["FailureRecorded"]

    assert state["Type"] == "Choice"
    assert state["Choices"][2:] == [
        {"And": [RECORDED, {"Variable": "$.outcome.status", "StringEquals": "FAILED"}], "Next": "NotifyFailure"},
        {"And": [RECORDED, {"Variable": "$.outcome.status", "StringEquals": "SUCCEEDED"}], "Next": "NotifySuccess"},
    ]
    assert state["Default"] == "Failed"
    assert definition["States"]["NotifySuccess"]["Next"] == "Succeeded"


@pytest.mark.parametrize("state", ["NotifySuccess", "NotifyFailure"])
def test_notifications_publish_the_outcome_to_the_topic(definition, state):
    task = definition["States"][state]

    assert task["Resource"] == "arn:aws:states:::sns:publish"
    assert task["Parameters"]["TopicArn"] == RESOURCES.topic_arn
    assert task["Parameters"]["Message.$"] == "States.JsonToString($.outcome)"
    assert task["Parameters"]["Subject"]
    assert len(task["Parameters"]["Subject"]) < 100  # SNS limit for subjects


def test_the_retries_recordfailure_asks_for_go_first_each_to_its_own_states(definition):
    # RecordFailure's retry outcome has no `recorded`; every other outcome has no `retry`: IsPresent first.
    # `retry: true` without `retrySize` (RecordFailure before the same-size retry, during a deploy) and
    # `retrySize: "bigger"` both go to the bigger retry, as an execution's old Choice sends the new outcome.
    (same, bigger, *_) = definition["States"]["FailureRecorded"]["Choices"]
    retry = "$.outcome.retry"
    is_retry = [{"Variable": retry, "IsPresent": True}, {"Variable": retry, "BooleanEquals": True}]

    assert same == {
        "And": [
            {"And": is_retry},
            {"Variable": "$.outcome.retrySize", "IsPresent": True},
            {"Variable": "$.outcome.retrySize", "StringEquals": "same"},
        ],
        "Next": "UseSameTaskSize",
    }
    assert bigger == {"And": is_retry, "Next": "UseRetryTaskSize"}


def _pass(state: dict, data: dict) -> dict:
    """The output of a Pass state (InputPath, Result, ResultPath on a path of field names) on ``data``."""
    result = state["Result"] if "Result" in state else _value_at(data, state.get("InputPath", "$"))
    *parents, field = state["ResultPath"].removeprefix("$.").split(".")
    output = copy.deepcopy(data)
    target = output
    for parent in parents:
        target = target[parent]
    target[field] = result
    return output


def test_the_retry_trains_in_validates_retry_size(definition):
    states = definition["States"]
    first, bigger = TaskSize(256, 1024).to_dict(), TaskSize(256, 2048).to_dict()
    state = {"runId": "run-1", "validation": {"trialBound": 15, TASK_SIZE_KEY: first, "retryTaskSize": bigger}}

    moved = _pass(states["UseRetryTaskSize"], state)

    # no null is written anywhere (how AWS reads an explicit null Result is not something to rely on):
    # the retry size stays, and RecordFailure retries only a run smaller than it
    assert moved == {"runId": "run-1", "validation": {"trialBound": 15, TASK_SIZE_KEY: bigger, "retryTaskSize": bigger}}
    assert not any("Result" in state and state["Result"] is None for state in states.values())
    assert states["UseRetryTaskSize"]["Next"] == "RecordRetryTaskSize"
    # the training reads the run's size where the retry's now is
    overrides = states["TrainClassifier"]["Parameters"]["Overrides"]
    assert _value_at(moved, _formatted_path(overrides["Memory.$"])) == 2048


def test_the_retry_after_a_failed_start_trains_in_the_same_size_after_a_wait(definition):
    states = definition["States"]
    first = TaskSize(256, 1024).to_dict()
    state = {"runId": "run-1", "validation": {"trialBound": 15, TASK_SIZE_KEY: first, "retryTaskSize": None}}

    kept = _pass(states["UseSameTaskSize"], state)

    # the run's size stays and becomes the retry's: RecordFailure reads the two equal as the retry spent
    assert kept == {"runId": "run-1", "validation": {"trialBound": 15, TASK_SIZE_KEY: first, "retryTaskSize": first}}
    assert states["UseSameTaskSize"]["Next"] == "WaitBeforeStartRetry"
    wait = states["WaitBeforeStartRetry"]
    assert (wait["Type"], wait["Seconds"], wait["Next"]) == ("Wait", START_RETRY_WAIT_SECONDS, "RecordRetryTaskSize")
    assert START_RETRY_WAIT_SECONDS == 60
    overrides = states["TrainClassifier"]["Parameters"]["Overrides"]
    assert _value_at(kept, _formatted_path(overrides["Memory.$"])) == 1024


@pytest.mark.parametrize(
    ("pass_state", "retry_size"),
    [
        ("UseRetryTaskSize", TaskSize(256, 2048).to_dict()),
        ("UseSameTaskSize", TaskSize(256, 2048).to_dict()),
        # a stack whose taskMemoryMax is the run's size: no bigger retry, a failed start still gets one
        ("UseSameTaskSize", None),
    ],
)
def test_either_retry_leaves_the_state_recordfailure_reads_as_the_retry_spent(definition, pass_state, retry_size):
    validation = {TASK_SIZE_KEY: TaskSize(256, 1024).to_dict(), "retryTaskSize": retry_size}

    retried = _pass(definition["States"][pass_state], {"validation": validation})

    assert not retry_spent(validation)
    assert retry_spent(retried["validation"])


def test_the_retry_records_its_task_size_on_this_processing_run_then_presigns_afresh(definition):
    state = definition["States"]["RecordRetryTaskSize"]
    mark_processing = definition["States"]["MarkProcessing"]
    parameters = state["Parameters"]
    values = parameters["ExpressionAttributeValues"]

    assert state["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert (state["ResultPath"], state["Retry"], state["Catch"]) == (
        None,
        mark_processing["Retry"],
        mark_processing["Catch"],
    )
    assert parameters["TableName"] == "storage-status-3f9a"
    assert parameters["Key"] == mark_processing["Parameters"]["Key"]
    assert parameters["ConditionExpression"] == "runId = :runId AND #status = :processing"
    assert parameters["UpdateExpression"] == "SET taskSize = :taskSize, updatedAt = :enteredTime"
    assert values == {
        ":processing": {"S": "PROCESSING"},
        ":runId": {"S.$": "$.runId"},
        ":enteredTime": {"S.$": "$$.State.EnteredTime"},
        ":taskSize": mark_processing["Parameters"]["ExpressionAttributeValues"][":taskSize"],
    }
    # the first URLs may be near their expiry: PresignRun signs new ones right before the retry trains
    assert state["Next"] == "PresignRun"
