"""CloudWatch alarms of the pipeline: one shape, "notify as soon as a metric goes above a threshold"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws


def above_threshold_alarm(
    resource_name: str,
    *,
    description: pulumi.Input[str],
    namespace: str,
    metric_name: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    statistic: str,
    alarm_actions: Sequence[pulumi.Input[str]],
    opts: pulumi.ResourceOptions,
    threshold: float = 0,
    period: int = 60,
    ok_actions: Sequence[pulumi.Input[str]] | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """An alarm that fires when ``statistic`` of the metric exceeds ``threshold`` in one ``period``.

    No data is not a breach: an idle pipeline stays quiet.
    """
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric_name,
        dimensions=dimensions,
        statistic=statistic,
        period=period,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=alarm_actions,
        ok_actions=ok_actions,
        opts=opts,
    )
