"""``stack-outputs.json``: the emulated stack's outputs in the shape ``pulumi stack output --json`` prints.

A client written against a deployed stack's outputs (``eegclient``) reads this file to use the
sandbox the same way; ``apiUrl`` is the Status API that ``serve`` (or ``run --serve``) answers on.
Only outputs the sandbox really has are written, under the program's export names.
"""

from __future__ import annotations

import json
from pathlib import Path

from .stack import LocalStack
from .tokens import ISSUER

STACK_OUTPUTS_FILE = "stack-outputs.json"


def stack_outputs(stack: LocalStack, api_url: str) -> dict[str, str]:
    return {
        "apiUrl": api_url,
        "jwtIssuer": ISSUER,
        "uploadBucketName": stack.upload_bucket,
        "resultsBucketName": stack.results_bucket,
        "statusTableName": stack.status_table,
        "classifierTableName": stack.classifier_table,
        "limitsTableName": stack.limits_table,
        "stateMachineArn": stack.state_machine_arn,
        "queueUrl": stack.queue_url,
        "deadLetterQueueUrl": stack.dead_letter_queue_url,
        "reconcileDeadLetterQueueUrl": stack.reconcile_dead_letter_queue_url,
        "dashboardName": stack.dashboard,
        "topicArn": stack.topic_arn,
        "clusterArn": stack.cluster_arn,
        "classifierLogGroupName": stack.classifier_log_group,
    }


def write_stack_outputs(directory: Path, stack: LocalStack, api_url: str) -> Path:
    path = directory / STACK_OUTPUTS_FILE
    path.write_text(json.dumps(stack_outputs(stack, api_url), indent=2, sort_keys=True) + "\n")
    return path
