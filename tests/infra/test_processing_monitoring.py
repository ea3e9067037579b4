"""ProcessingStateMachine's monitoring: the encrypted alarm topic and its e-mail subscription, the alarms,
and the dashboard."""

import json
import re
from pathlib import Path

import pytest
from function_checks import function_named
from operations_checks import alarm_problems
from resource_types import ALARM

pytestmark = pytest.mark.unit


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


def test_alarms_cover_each_dlq_lost_events_failures_duration_and_every_function(self_contained_stack):
    stack = self_contained_stack.resources

    assert alarm_problems(stack, self_contained_stack.exports["topicArn"]) == []


def test_training_time_alarm_watches_this_stacks_container_time_before_the_training_timeout(self_contained_stack):
    stack = self_contained_stack.resources
    alarm = stack.one(ALARM, "processing-training-time-alarm")
    published_under = function_named(stack, "processing-process-results-fn").inputs["environment"]["variables"]

    # The metric process_results publishes, under the pipeline name it is given (the stack's, as the dashboard's).
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("EegPipeline", "ContainerSeconds")
    assert alarm.inputs["dimensions"] == {"Pipeline": published_under["PIPELINE_NAME"]}
    assert published_under["PIPELINE_NAME"] == "processing-test" == self_contained_stack.exports["dashboardName"]
    # The longest run of five minutes above 80 % of the default trainTimeoutMinutes (60), in seconds.
    assert (alarm.inputs["statistic"], alarm.inputs["period"], alarm.inputs["evaluationPeriods"]) == (
        "Maximum",
        300,
        1,
    )
    assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("GreaterThanThreshold", 2880)
    assert alarm.inputs["treatMissingData"] == "notBreaching"


def documented_alarm_names() -> set[str]:
    """The alarm names of docs/operations.md's alarm table, ``{a,b}`` expanded."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    table = text.split("| alarm | fires on | what to do |", 1)[1].split("\n\n", 1)[0]
    names = set()
    for first_cell in re.findall(r"^\| (.+?) \|", table, re.MULTILINE):
        for name in re.findall(r"`([^`]+-alarm)`", first_cell):
            head, choices, tail = re.fullmatch(r"([^{]*)(?:\{([^}]*)\})?(.*)", name).groups()
            names |= {f"{head}{choice}{tail}" for choice in (choices.split(",") if choices else [""])}
    return names


def test_the_runbook_names_every_alarm_of_the_stack_and_no_other(self_contained_stack):
    alarms = {alarm.name for alarm in self_contained_stack.resources.of_type(ALARM)}

    assert documented_alarm_names() == alarms


@pytest.mark.parametrize(
    "alarm_name",
    [
        "processing-dlq-depth-alarm",
        "processing-reconcile-dlq-depth-alarm",
        "processing-upload-created-lost-events-alarm",
        "processing-execution-ended-lost-events-alarm",
        "processing-reconcile-fn-lost-invocations-alarm",
        "processing-failed-executions-alarm",
        "processing-training-time-alarm",
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
    assert ["EegPipeline", "ContainerSeconds", "Pipeline", "processing-test"] in [metric[:4] for metric in metrics]
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
