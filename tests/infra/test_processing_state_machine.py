"""ProcessingStateMachine: queues, event routing, functions, topic, state machine, alarms, dashboard."""

import json

import pytest
from resource_checks import (
    ALARM,
    FUNCTION,
    LOG_GROUP,
    QUEUE,
    alarm_problems,
    function_problems,
    queue_problems,
    unscoped_resource_problems,
)

from components.policy_statements import RESOURCE_WILDCARD_ACTIONS
from components.state_machine import active_run_window_seconds
from contracts.environment import FUNCTION_ENVIRONMENTS

pytestmark = pytest.mark.unit

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"


def state_machine(stack):
    return stack.one(STATE_MACHINE, "processing-state-machine")


def function_named(stack, logical_name):
    return stack.one(FUNCTION, logical_name)


def test_queue_and_dead_letter_queue_are_encrypted_with_redrive_from_config(self_contained_stack):
    stack = self_contained_stack.resources
    queue = stack.one(QUEUE, "processing-upload-queue")
    dead_letter_queue = stack.one(QUEUE, "processing-upload-dlq")

    assert queue_problems(queue, dead_letter_queue, max_receive_count=5) == []
    assert dead_letter_queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


@pytest.mark.parametrize(
    ("queue_name", "change", "expected"),
    [
        ("processing-upload-queue", lambda inputs: inputs.pop("sqsManagedSseEnabled"), "not encrypted"),
        ("processing-upload-dlq", lambda inputs: inputs.update(sqsManagedSseEnabled=False), "not encrypted"),
        ("processing-upload-queue", lambda inputs: inputs.pop("redrivePolicy"), "does not redrive"),
    ],
)
def test_queue_check_reports_each_removed_property(self_contained_stack, queue_name, change, expected):
    stack = self_contained_stack.resources.mutated(QUEUE, queue_name, change)

    problems = queue_problems(
        stack.one(QUEUE, "processing-upload-queue"), stack.one(QUEUE, "processing-upload-dlq"), 5
    )

    assert problems and all(expected in problem or "maxReceiveCount" in problem for problem in problems)


def test_queue_visibility_covers_six_start_function_timeouts(self_contained_stack):
    stack = self_contained_stack.resources
    queue = stack.one(QUEUE, "processing-upload-queue")
    start = function_named(stack, "processing-start-fn")

    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * start.inputs["timeout"]


def test_upload_events_reach_the_queue_through_an_eventbridge_rule_on_the_upload_bucket(self_contained_stack):
    stack = self_contained_stack.resources
    rule = stack.one("aws:cloudwatch/eventRule:EventRule", "processing-upload-created")
    target = stack.one("aws:cloudwatch/eventTarget:EventTarget", "processing-upload-to-queue")
    (queue_policy,) = stack.of_type("aws:sqs/queuePolicy:QueuePolicy")
    queue = stack.one(QUEUE, "processing-upload-queue")
    pattern = json.loads(rule.inputs["eventPattern"])

    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["bucket"]["name"] == [self_contained_stack.exports["uploadBucketName"]]
    assert pattern["detail"]["object"]["key"] == [{"prefix": "uploads/"}]
    assert (target.inputs["rule"], target.inputs["arn"]) == (rule.outputs["name"], queue.outputs["arn"])
    assert queue_policy.inputs["queueUrl"] == queue.outputs["url"]
    assert rule.outputs["arn"] in json.dumps(json.loads(queue_policy.inputs["policy"]))


def test_start_function_consumes_the_queue_with_partial_batch_failures(self_contained_stack):
    stack = self_contained_stack.resources
    (mapping,) = stack.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")

    assert mapping.inputs["eventSourceArn"] == stack.one(QUEUE, "processing-upload-queue").outputs["arn"]
    assert mapping.inputs["functionName"] == function_named(stack, "processing-start-fn").outputs["arn"]
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]


def test_bursts_wait_in_the_queue_behind_the_configured_start_concurrency(
    self_contained_stack, external_stack
):
    mappings = [
        stack.resources.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")[0]
        for stack in (self_contained_stack, external_stack)
    ]

    assert [mapping.inputs["scalingConfig"] for mapping in mappings] == [
        {"maximumConcurrency": 5},
        {"maximumConcurrency": 8},
    ]


def test_a_run_lasts_at_most_its_capacity_retries_its_training_limit_and_a_margin():
    # 705 s of capacity retries (15 + 30 + 60 + 5 x 120), the training limit, 15 minutes more.
    assert active_run_window_seconds(3600) == 705 + 3600 + 900


def test_every_function_runs_python_312_with_tracing_a_log_group_and_an_existing_handler(
    self_contained_stack,
):
    stack = self_contained_stack.resources
    functions = stack.of_type(FUNCTION)

    assert {item.inputs["handler"] for item in functions} == {
        "handlers.start.handler",
        "handlers.validate.handler",
        "handlers.presign_run.handler",
        "handlers.process_results.handler",
        "handlers.record_failure.handler",
        "handlers.reconcile.handler",
        "handlers.api.handler",
    }
    assert [problem for item in functions for problem in function_problems(stack, item)] == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda inputs: inputs.update(runtime="python3.9"), "runtime"),
        (lambda inputs: inputs.pop("tracingConfig"), "X-Ray"),
        (lambda inputs: inputs.update(handler="handlers.missing_module.handler"), "does not exist"),
        (lambda inputs: inputs.update(handler="handlers.validate.not_a_handler"), "defines no"),
        (lambda inputs: inputs.update(name="renamed-function"), "log group"),
    ],
)
def test_function_check_reports_each_removed_property(self_contained_stack, change, expected):
    stack = self_contained_stack.resources.mutated(FUNCTION, "processing-validate-fn", change)

    problems = function_problems(stack, stack.one(FUNCTION, "processing-validate-fn"))

    assert len(problems) == 1 and expected in problems[0]


def test_function_log_groups_have_the_configured_retention(self_contained_stack):
    stack = self_contained_stack.resources
    names = {f"/aws/lambda/{item.inputs['name']}" for item in stack.of_type(FUNCTION)}
    groups = [group for group in stack.of_type(LOG_GROUP) if group.inputs.get("name") in names]

    assert len(groups) == len(names) == 7
    assert {group.inputs["retentionInDays"] for group in groups} == {14}


@pytest.mark.parametrize(
    ("logical_name", "module"),
    [
        ("processing-start-fn", "start"),
        ("processing-validate-fn", "validate"),
        ("processing-presign-run-fn", "presign_run"),
        ("processing-process-results-fn", "process_results"),
        ("processing-record-failure-fn", "record_failure"),
        ("processing-reconcile-fn", "reconcile"),
        ("api-api-fn", "api"),
    ],
)
def test_each_function_gets_only_the_environment_it_reads(self_contained_stack, logical_name, module):
    stack = self_contained_stack.resources
    environment = function_named(stack, logical_name).inputs["environment"]["variables"]
    exports = self_contained_stack.exports
    expected_values = {
        "STATUS_TABLE": exports["statusTableName"],
        "CLASSIFIER_TABLE": exports["classifierTableName"],
        "UPLOAD_BUCKET": exports["uploadBucketName"],
        "RESULTS_BUCKET": exports["resultsBucketName"],
        "STATE_MACHINE_ARN": exports["stateMachineArn"],
        "LIMITS_TABLE": exports["limitsTableName"],
        # The per-user caps of the stack's config (defaults) and the longest possible run.
        "MAX_ACTIVE_RUNS_PER_USER": "10",
        "ACTIVE_RUN_WINDOW_SECONDS": str(705 + 3600 + 900),
        # The run's URLs last as long as the longest possible run.
        "RUN_ACCESS_SECONDS": str(705 + 3600 + 900),
        "MAX_UPLOAD_REQUESTS_PER_MINUTE": "10",
        # taskCpu, taskMemory and taskMemoryMax of the test stack (SELF_CONTAINED_CONFIG in tests/infra/conftest.py).
        "TASK_CPU": "2048",
        "TASK_MEMORY_MIB": "8192",
        "TASK_MEMORY_MAX_MIB": "16384",
    }

    assert set(environment) == set(FUNCTION_ENVIRONMENTS[module].variables)
    assert environment["LOG_LEVEL"] == "INFO"
    assert {key: value for key, value in environment.items() if key in expected_values} == {
        key: expected_values[key] for key in FUNCTION_ENVIRONMENTS[module].required
    }


def test_every_role_policy_is_scoped_to_this_stacks_resources(self_contained_stack, external_stack):
    assert unscoped_resource_problems(self_contained_stack.resources, RESOURCE_WILDCARD_ACTIONS) == []
    assert unscoped_resource_problems(external_stack.resources, RESOURCE_WILDCARD_ACTIONS) == []


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}, "['dynamodb:GetItem'] on '*'"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::someone-elses-bucket/*"},
            "arn:aws:s3:::someone-elses-bucket/* is not a resource of this stack",
        ),
    ],
)
def test_scope_check_reports_a_resource_outside_the_stack(self_contained_stack, statement, expected):
    def widen(inputs):
        document = json.loads(inputs["policy"])
        document["Statement"].append(statement)
        inputs["policy"] = json.dumps(document)

    stack = self_contained_stack.resources.mutated(
        "aws:iam/rolePolicy:RolePolicy", "processing-start-fn-policy", widen
    )

    assert unscoped_resource_problems(stack, RESOURCE_WILDCARD_ACTIONS) == [
        f"processing-start-fn-policy: {expected}"
    ]


def test_topic_is_encrypted_with_a_rotating_customer_managed_key(self_contained_stack):
    stack = self_contained_stack.resources
    (topic,) = stack.of_type("aws:sns/topic:Topic")
    key = stack.one("aws:kms/key:Key", "processing-topic-key")

    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True


def test_alarm_email_is_subscribed_only_when_configured(self_contained_stack, external_stack):
    (subscription,) = external_stack.resources.of_type("aws:sns/topicSubscription:TopicSubscription")

    assert self_contained_stack.resources.of_type("aws:sns/topicSubscription:TopicSubscription") == []
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == (
        "email",
        "alerts@example.org",
    )
    assert subscription.inputs["topic"] == external_stack.exports["topicArn"]


def test_state_machine_is_standard_logged_and_traced(self_contained_stack):
    stack = self_contained_stack.resources
    machine = state_machine(stack).inputs
    log_group = stack.one(LOG_GROUP, "processing-state-machine-logs")

    assert machine["type"] == "STANDARD"
    assert machine["tracingConfiguration"] == {"enabled": True}
    assert machine["loggingConfiguration"] == {
        "level": "ALL",
        "includeExecutionData": True,
        "logDestination": f"{log_group.outputs['arn']}:*",
    }
    assert log_group.inputs["retentionInDays"] == 14


def test_state_machine_definition_is_built_from_this_stacks_arns(self_contained_stack):
    stack = self_contained_stack.resources
    definition = json.loads(state_machine(stack).inputs["definition"])
    text = json.dumps(definition)
    (cluster,) = stack.of_type("aws:ecs/cluster:Cluster")
    (task,) = stack.of_type("aws:ecs/taskDefinition:TaskDefinition")
    task_resources = {state["Resource"] for state in definition["States"].values() if state["Type"] == "Task"}

    for logical_name in (
        "processing-validate-fn",
        "processing-process-results-fn",
        "processing-record-failure-fn",
    ):
        assert function_named(stack, logical_name).outputs["arn"] in task_resources
    for arn in (cluster.outputs["arn"], task.outputs["arn"], self_contained_stack.exports["topicArn"]):
        assert arn in text
    assert self_contained_stack.exports["statusTableName"] in text
    assert all(state.get("Catch") for state in definition["States"].values() if state["Type"] == "Task")


def test_the_training_task_is_sized_per_run_and_its_container_limit_follows(self_contained_stack):
    stack = self_contained_stack.resources
    definition = json.loads(state_machine(stack).inputs["definition"])
    overrides = definition["States"]["TrainClassifier"]["Parameters"]["Overrides"]
    (task,) = stack.of_type("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task.inputs["containerDefinitions"])
    (container_override,) = overrides["ContainerOverrides"]

    # The task definition keeps the default size; each run overrides it with Validate's choice.
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("2048", "8192")
    assert {"Cpu.$", "Memory.$"} <= set(overrides)
    # The container sets a hard memory limit, so the run's override raises it too.
    assert container["memory"] == 8192
    assert container_override["Name"] == container["name"]
    assert "Memory.$" in container_override


def test_state_machine_role_is_assumable_by_step_functions(self_contained_stack):
    stack = self_contained_stack.resources
    role = stack.one("aws:iam/role:Role", "processing-state-machine-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])

    assert state_machine(stack).inputs["roleArn"] == role.outputs["arn"]
    assert [statement["Principal"] for statement in trust["Statement"]] == [
        {"Service": "states.amazonaws.com"}
    ]


def test_alarms_cover_dlq_failures_duration_and_every_function(self_contained_stack):
    stack = self_contained_stack.resources

    assert alarm_problems(stack, self_contained_stack.exports["topicArn"]) == []


def test_execution_time_alarm_fires_before_the_training_timeout(self_contained_stack):
    stack = self_contained_stack.resources
    alarm = stack.one(ALARM, "processing-execution-time-alarm")

    assert alarm.inputs["dimensions"] == {"StateMachineArn": self_contained_stack.exports["stateMachineArn"]}
    assert 0 < alarm.inputs["threshold"] < 60 * 60 * 1000


@pytest.mark.parametrize(
    "alarm_name",
    [
        "processing-dlq-depth-alarm",
        "processing-failed-executions-alarm",
        "processing-execution-time-alarm",
        "processing-start-fn-errors-alarm",
        "api-api-fn-errors-alarm",
    ],
)
def test_alarm_check_reports_a_missing_alarm(self_contained_stack, alarm_name):
    stack = self_contained_stack.resources.without(ALARM, alarm_name)

    assert len(alarm_problems(stack, self_contained_stack.exports["topicArn"])) == 1


def test_dashboard_shows_this_stacks_pipeline(self_contained_stack):
    stack = self_contained_stack.resources
    (dashboard,) = stack.of_type("aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]

    assert [
        "AWS/States",
        "ExecutionsFailed",
        "StateMachineArn",
        self_contained_stack.exports["stateMachineArn"],
    ] in [metric[:4] for metric in metrics]
    assert {metric[3] for metric in metrics if metric[0] == "AWS/Lambda"} == {
        function_named(stack, name).inputs["name"]
        for name in (
            "processing-start-fn",
            "processing-validate-fn",
            "processing-presign-run-fn",
            "processing-process-results-fn",
            "processing-record-failure-fn",
            "processing-reconcile-fn",
        )
    }
