"""Logs, traces and metrics of every function: aws-lambda-powertools' ``Logger``, ``Tracer`` and metrics.

Each log line is one JSON object (powertools' keys: ``level``, ``location``, ``message``,
``timestamp`` in UTC, ``service``, the invocation's context added by ``inject_lambda_context``,
the X-Ray trace id) plus the session's ids ``userId``, ``sessionId``, ``runId`` and
``executionArn`` once they are known. The ids are powertools' thread-local keys: the sandbox runs
the handlers on concurrent threads of one process, and each thread must carry its own session's
ids. The tracer is active on Lambda (the functions run with X-Ray active tracing) and switches
itself off anywhere else. A metric (:mod:`contracts.pipeline_metrics`) is one Embedded Metric
Format line on stdout, written when :func:`publish_metric` is called; ``POWERTOOLS_METRICS_DISABLED``
(the sandbox's, which has no CloudWatch) turns the lines off.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from contracts.pipeline_metrics import NAMESPACE, PIPELINE_DIMENSION
from contracts.run_input import LOG_FIELDS

SERVICE = "eeg-pipeline"

logger = Logger(service=SERVICE, utc=True, use_rfc3339=True)
tracer = Tracer(service=SERVICE)


@contextlib.contextmanager
def session_ids(**ids: Any) -> Iterator[None]:
    """Put ``userId=...``, ``runId=...`` on every line this thread writes inside the block."""
    unknown = set(ids) - set(LOG_FIELDS)
    if unknown:
        raise ValueError(f"only {LOG_FIELDS} are session ids, not {sorted(unknown)}")
    known = {name: value for name, value in ids.items() if value is not None}
    logger.thread_safe_append_keys(**known)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(known)


def publish_metric(name: str, value: float, unit: MetricUnit, *, pipeline_name: str) -> None:
    """Write one metric of the pipeline ``pipeline_name`` (its only dimension) as an EMF line now.

    Each call has a metric set of its own: powertools' ``Metrics`` otherwise shares one between all
    its instances, which would mix the metrics of the sandbox's concurrent invocations, and its
    ``log_metrics`` decorator warns after every invocation that published none.
    """
    metrics = Metrics(provider=AmazonCloudWatchEMFProvider(namespace=NAMESPACE))
    metrics.add_dimension(name=PIPELINE_DIMENSION, value=pipeline_name)
    metrics.add_metric(name=name, unit=unit, value=value)
    metrics.flush_metrics()
