"""The emulated AWS endpoint: an in-process moto server on a free loopback port, and quiet logs.

In process, so that the adjustments of :mod:`sandbox.moto_patches` apply to it.
"""

from __future__ import annotations

import logging
import socket

from moto.server import ThreadedMotoServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


#: moto's Step Functions interpreter logs every failure event at ERROR level through this logger.
STATE_EVALUATION_LOGGER = "moto.stepfunctions.parser.asl.component.eval_component"


def is_designed_failure(record: logging.LogRecord) -> bool:
    """Whether ``record`` is moto's log of an execution reaching a ``Fail`` state: the state
    machine's designed end of a failed session, whose reason the sandbox already prints."""
    return (
        record.name == STATE_EVALUATION_LOGGER
        and isinstance(record.args, tuple)
        and len(record.args) == 2
        and str(record.args[1]).startswith("(StateFail|")
    )


def is_absent_path_lookup(record: logging.LogRecord) -> bool:
    """Whether ``record`` is moto's log of a JSONPath finding nothing, which is no failure by itself: a
    Choice's ``IsPresent`` asks that way and answers false (every failed session passes one), and a
    lookup that fails a state is logged again as the state's ``States.Runtime`` failure."""
    return (
        record.name == STATE_EVALUATION_LOGGER
        and isinstance(record.args, tuple)
        and len(record.args) == 2
        and str(record.args[0]).startswith("Exception=NoSuchJsonPathError")
        and str(record.args[1]).startswith("(StringJsonPath|")
    )


def _worth_showing(record: logging.LogRecord) -> bool:
    return not (is_designed_failure(record) or is_absent_path_lookup(record))


def quiet_logs() -> None:
    """Keep the emulator's logs from drowning the progress output: no line per HTTP request, no line
    of a few thousand characters when an execution ends in its ``Fail`` state, and no error line for
    a field a Choice finds absent. Other errors still show."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    evaluation = logging.getLogger(STATE_EVALUATION_LOGGER)
    if _worth_showing not in evaluation.filters:
        evaluation.addFilter(_worth_showing)
