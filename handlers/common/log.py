"""Structured JSON logs: one object per line carrying userId, sessionId, runId and executionArn.

The ids are bound with :func:`bound` (a context variable, so threads and nested scopes do not
leak ids into each other) and appear on every line, as ``null`` while unknown.
"""

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from contracts.run_input import LOG_FIELDS
from handlers.common.timestamps import iso_utc

LOGGER_NAME = "eegpipeline"
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)
_STANDARD_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with the bound ids and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": iso_utc(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        bound_fields = _context.get() or {}
        line.update({name: bound_fields.get(name) for name in LOG_FIELDS})
        line.update(
            {key: value for key, value in vars(record).items() if key not in _STANDARD_RECORD_ATTRIBUTES}
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def get_logger(level: str = "INFO") -> logging.Logger:
    """The pipeline's logger, writing JSON lines to stdout at ``level`` (its own handler, no propagation)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(handler.formatter, JsonFormatter) for handler in logger.handlers):
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(JsonFormatter())
        logger.addHandler(stream)
        logger.propagate = False
    numeric_level = logging.getLevelName(level.upper())
    logger.setLevel(numeric_level if isinstance(numeric_level, int) else logging.INFO)
    return logger


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add ids (``userId=...``, ``runId=...``) to every log line written inside the block."""
    unknown = set(fields) - set(LOG_FIELDS)
    if unknown:
        raise ValueError(f"only {LOG_FIELDS} can be bound, not {sorted(unknown)}")
    token = _context.set(
        {**(_context.get() or {}), **{key: value for key, value in fields.items() if value is not None}}
    )
    try:
        yield
    finally:
        _context.reset(token)
