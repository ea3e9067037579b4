"""The emulated stack as the sandbox drives it: the program's stack outputs and its settings.

The resources themselves come from running the Pulumi program (:mod:`sandbox.program`,
:mod:`sandbox.emulation`); what the sandbox needs to find them is what ``pulumi stack output``
would show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.config import StackSettings
from components.stack_file import stack_file_settings

from .program import stack_file

DEFAULT_STACK = "dev"


def stack_settings(stack: str = DEFAULT_STACK, config: Mapping[str, Any] | None = None) -> StackSettings:
    """The validated settings of ``Pulumi.<stack>.yaml`` with ``config`` overrides (project keys)."""
    return stack_file_settings(stack_file(stack), config)


@dataclass(frozen=True)
class LocalStack:
    """Names and ARNs of the emulated resources, from the program's stack outputs."""

    upload_bucket: str
    results_bucket: str
    status_table: str
    classifier_table: str
    queue_url: str
    dead_letter_queue_url: str
    reconcile_dead_letter_queue_url: str
    state_machine_arn: str
    cluster_arn: str
    topic_arn: str
    limits_table: str
    dashboard: str
    classifier_log_group: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> LocalStack:
        return cls(
            upload_bucket=outputs["uploadBucketName"],
            results_bucket=outputs["resultsBucketName"],
            status_table=outputs["statusTableName"],
            classifier_table=outputs["classifierTableName"],
            queue_url=outputs["queueUrl"],
            dead_letter_queue_url=outputs["deadLetterQueueUrl"],
            reconcile_dead_letter_queue_url=outputs["reconcileDeadLetterQueueUrl"],
            state_machine_arn=outputs["stateMachineArn"],
            cluster_arn=outputs["clusterArn"],
            topic_arn=outputs["topicArn"],
            limits_table=outputs["limitsTableName"],
            dashboard=outputs["dashboardName"],
            classifier_log_group=outputs["classifierLogGroupName"],
        )
