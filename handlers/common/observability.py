"""Logs and traces of every function: aws-lambda-powertools' ``Logger`` and ``Tracer``.

Each log line is one JSON object (powertools' keys: ``level``, ``location``, ``message``,
``timestamp`` in UTC, ``service``, the invocation's context added by ``inject_lambda_context``,
the X-Ray trace id) plus the session's ids ``userId``, ``sessionId``, ``runId`` and
``executionArn`` once they are known. The ids are powertools' thread-local keys: the sandbox runs
the handlers on concurrent threads of one process, and each thread must carry its own session's
ids. The tracer is active on Lambda (the functions run with X-Ray active tracing) and switches
itself off anywhere else.
"""

import contextlib
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger, Tracer

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
