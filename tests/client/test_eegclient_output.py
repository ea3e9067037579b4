"""What `eegclient status` and a followed upload print: the session's line and, after it, the report's
warnings one per line; a session without warnings prints as it always did."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from test_eegclient_parts import RESULT

from eegclient import cli
from eegclient.results import report_warnings

pytestmark = pytest.mark.unit

SESSION = "20261123T220000Z-0a1b2c3d4e5f"
HEADLINE = "nested accuracy 0.620 (optimistic selection accuracy 0.824; chance 0.523; option A03, window ending 3250 ms"
WARNINGS = [
    "The classes come in blocks: the 44 trials form 2 runs of one class.",
    "Noisy channel(s): C3 (9x) the median channel's sample-to-sample variation.",
]


class FakeApi:
    """Answers every session request with one view."""

    def __init__(self, view: dict) -> None:
        self.view = view

    def get_session(self, session_id: str) -> dict:
        return self.view

    def upload(self, path: Path) -> dict:
        return {"sessionId": SESSION}


def _run(command, view: dict, capsys, **arguments) -> list[str]:
    context = cli.Context(client=FakeApi(view), reporter=cli.Reporter(clock=lambda: 0.0))
    assert command(argparse.Namespace(**arguments), context) == cli.EXIT_OK
    return capsys.readouterr().out.splitlines()


def test_status_prints_each_report_warning_on_its_own_line_after_the_session_line(capsys):
    view = {"status": "SUCCEEDED", "result": {**RESULT, "reportWarnings": WARNINGS}}

    lines = _run(cli.status, view, capsys, session_id=SESSION)

    assert lines == [
        f"{SESSION}: SUCCEEDED: {HEADLINE}; 2 report warnings)",
        f"  report warning: {WARNINGS[0]}",
        f"  report warning: {WARNINGS[1]}",
    ]


@pytest.mark.parametrize("result", [RESULT, {**RESULT, "reportWarnings": []}], ids=["older-stack", "none"])
def test_status_of_a_session_without_warnings_is_its_line_alone(capsys, result):
    lines = _run(cli.status, {"status": "SUCCEEDED", "result": result}, capsys, session_id=SESSION)

    assert lines == [f"{SESSION}: SUCCEEDED: {HEADLINE})"]


def test_a_followed_upload_ends_with_the_final_line_and_its_warnings(capsys, tmp_path):
    view = {"status": "SUCCEEDED", "result": {**RESULT, "reportWarnings": WARNINGS[:1]}}

    lines = _run(cli.upload, view, capsys, file=tmp_path / "rec.zip", wait=True, timeout=5.0)

    assert lines == [
        f"[    0.0s] uploaded rec.zip as session {SESSION}",
        f"[    0.0s] {SESSION}: SUCCEEDED: {HEADLINE}; 1 report warning)",
        f"  report warning: {WARNINGS[0]}",
    ]


def test_warnings_are_printed_as_one_line_without_control_characters():
    hostile = "Noisy channel(s): \x1b[2J\x1b[31mC3\nCz (9x)"

    assert report_warnings({"status": "SUCCEEDED", "result": {"reportWarnings": [hostile]}}) == [
        "Noisy channel(s):  [2J [31mC3 Cz (9x)"
    ]
    assert report_warnings({"status": "FAILED", "result": {"reportWarnings": [hostile]}}) == []


FAILED_VIEW = {
    "status": "FAILED",
    "error": {"code": "INVALID_UPLOAD", "message": "channel(s) \x1b]0;owned\x07\x1b[2JC3\u202e are constant"},
}
FAILED_LINE = f"{SESSION}: FAILED: INVALID_UPLOAD: channel(s)  ]0;owned  [2JC3  are constant"


def test_a_failure_message_is_printed_as_one_line_without_control_characters(capsys):
    """The message can quote the upload (its channel names): no escape sequence, bell or
    bidirectional override of it reaches the terminal."""
    assert _run(cli.status, FAILED_VIEW, capsys, session_id=SESSION) == [FAILED_LINE]
