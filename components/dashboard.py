"""Pure builder of the pipeline's CloudWatch dashboard body (no Pulumi)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts import pipeline_metrics

_WIDGET_WIDTH = 12
_WIDGET_HEIGHT = 6


def build_dashboard_body(
    *,
    region: str,
    state_machine_arn: str,
    queue_name: str,
    dead_letter_queue_name: str,
    function_names: Sequence[str],
    cluster_name: str,
    pipeline_name: str,
    train_timeout_seconds: int,
) -> dict[str, Any]:
    """Build the dashboard: executions, durations, the classifier container's time, queues, Lambda errors and
    the training task's resources.

    Parameters
    ----------
    region
        Region of every metric.
    state_machine_arn
        The processing state machine.
    queue_name, dead_letter_queue_name
        The upload queue and its dead-letter queue.
    function_names
        Lambda functions whose invocations, errors and durations are plotted.
    cluster_name
        ECS cluster running the classifier (Container Insights metrics).
    pipeline_name
        The dimension of the pipeline's own metrics (:mod:`contracts.pipeline_metrics`).
    train_timeout_seconds
        Drawn as a horizontal line on the execution-time and container-time graphs.

    Returns
    -------
    dict
        A CloudWatch dashboard body (``json.dumps`` it for ``dashboard_body``).
    """
    if not function_names:
        raise ValueError("function_names must name at least one function")
    states = ("AWS/States", "{metric}", "StateMachineArn", state_machine_arn)
    panels = [
        _metric_widget(
            "Executions",
            region,
            [
                _metric(states, name, "Sum")
                for name in (
                    "ExecutionsStarted",
                    "ExecutionsSucceeded",
                    "ExecutionsFailed",
                    "ExecutionsTimedOut",
                )
            ],
        ),
        _metric_widget(
            "Execution time (ms)",
            region,
            [_metric(states, "ExecutionTime", stat) for stat in ("Average", "Maximum")],
            horizontal_line=("Training timeout", train_timeout_seconds * 1000),
        ),
        _metric_widget(
            "Classifier container time (s)",
            region,
            [
                _metric(
                    (pipeline_metrics.NAMESPACE, "{metric}", pipeline_metrics.PIPELINE_DIMENSION, pipeline_name),
                    pipeline_metrics.CONTAINER_SECONDS,
                    stat,
                )
                for stat in ("Average", "Maximum")
            ],
            horizontal_line=("Training timeout", train_timeout_seconds),
        ),
        _metric_widget(
            "Upload queue",
            region,
            [
                _metric(("AWS/SQS", "{metric}", "QueueName", queue_name), name, "Maximum")
                for name in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")
            ]
            + [
                _metric(
                    ("AWS/SQS", "{metric}", "QueueName", dead_letter_queue_name),
                    "ApproximateNumberOfMessagesVisible",
                    "Maximum",
                    label="Dead-letter queue depth",
                )
            ],
        ),
        _metric_widget(
            "Lambda errors",
            region,
            [
                _metric(("AWS/Lambda", "{metric}", "FunctionName", name), "Errors", "Sum", label=name)
                for name in function_names
            ],
        ),
        _metric_widget(
            "Lambda duration p95 (ms)",
            region,
            [
                _metric(("AWS/Lambda", "{metric}", "FunctionName", name), "Duration", "p95", label=name)
                for name in function_names
            ],
        ),
        _metric_widget(
            "Training task CPU / memory",
            region,
            [
                _metric(("ECS/ContainerInsights", "{metric}", "ClusterName", cluster_name), name, "Maximum")
                for name in ("CpuUtilized", "MemoryUtilized")
            ],
        ),
    ]
    return {"widgets": [_placed(panel, index) for index, panel in enumerate(panels)]}


def _metric(
    template: tuple[str, str, str, str], metric_name: str, stat: str, *, label: str | None = None
) -> list[Any]:
    namespace, _, dimension, value = template
    options: dict[str, Any] = {"stat": stat}
    if label is not None:
        options["label"] = label
    return [namespace, metric_name, dimension, value, options]


def _metric_widget(
    title: str,
    region: str,
    metrics: list[list[Any]],
    *,
    horizontal_line: tuple[str, float] | None = None,
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "title": title,
        "region": region,
        "metrics": metrics,
        "view": "timeSeries",
        "period": 300,
    }
    if horizontal_line is not None:
        label, value = horizontal_line
        properties["annotations"] = {"horizontal": [{"label": label, "value": value}]}
    return {"type": "metric", "width": _WIDGET_WIDTH, "height": _WIDGET_HEIGHT, "properties": properties}


def _placed(widget: dict[str, Any], index: int) -> dict[str, Any]:
    """Two widgets per row, in order."""
    column, row = index % 2, index // 2
    return {**widget, "x": column * _WIDGET_WIDTH, "y": row * _WIDGET_HEIGHT}
