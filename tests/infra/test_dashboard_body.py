"""The pure dashboard builder."""

import json

import pytest

from components.dashboard import build_dashboard_body

pytestmark = pytest.mark.unit

STATE_MACHINE_ARN = "arn:aws:states:eu-west-2:123456789012:stateMachine:pipeline"


def build(**overrides):
    arguments = {
        "region": "eu-west-2",
        "state_machine_arn": STATE_MACHINE_ARN,
        "queue_name": "uploads",
        "dead_letter_queue_name": "uploads-dlq",
        "function_names": ["start", "validate"],
        "cluster_name": "classifier",
        "pipeline_name": "processing-dev",
        "train_timeout_seconds": 3600,
    }
    return build_dashboard_body(**{**arguments, **overrides})


def metrics_of(body):
    return [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]


def test_body_is_json_serialisable_and_every_widget_is_a_placed_metric_graph():
    body = build()

    assert json.loads(json.dumps(body)) == body
    assert all(
        widget["type"] == "metric" and widget["properties"]["region"] == "eu-west-2"
        for widget in body["widgets"]
    )
    positions = [(widget["x"], widget["y"]) for widget in body["widgets"]]
    assert len(set(positions)) == len(positions), "widgets must not overlap"


def test_dashboard_plots_executions_queues_functions_and_the_task():
    metrics = metrics_of(build())
    series = {(metric[0], metric[1], metric[3]) for metric in metrics}

    assert ("AWS/States", "ExecutionsFailed", STATE_MACHINE_ARN) in series
    assert ("AWS/States", "ExecutionTime", STATE_MACHINE_ARN) in series
    assert ("EegPipeline", "ContainerSeconds", "processing-dev") in series
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "uploads-dlq") in series
    assert {("AWS/Lambda", "Errors", "start"), ("AWS/Lambda", "Errors", "validate")} <= series
    assert ("ECS/ContainerInsights", "MemoryUtilized", "classifier") in series


@pytest.mark.parametrize(
    ("title", "timeout_line"), [("Execution time (ms)", 1_800_000), ("Classifier container time (s)", 1800)]
)
def test_the_time_graphs_mark_the_training_timeout_in_their_unit(title, timeout_line):
    (widget,) = [
        widget for widget in build(train_timeout_seconds=1800)["widgets"] if widget["properties"]["title"] == title
    ]

    assert widget["properties"]["annotations"]["horizontal"][0]["value"] == timeout_line


def test_a_dashboard_without_functions_is_rejected():
    with pytest.raises(ValueError, match="at least one function"):
        build(function_names=[])
