"""What a finished session produced: its one-line summary, the downloads, and the classifier check."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .api import RouteMissing, StatusApiClient

# The pipeline trains motor imagery of the left (T1) against the right (T2) hand.
EXPECTED_CLASSES = ("T1", "T2")
CLASSIFIER_FILE = "classifier.json"
REPORT_FILE = "report.html"
# selectedOption of the default procedure, whose online model is one of its ensemble's windows.
ENSEMBLE_WINDOW_OPTION = "ensemble-window"
_FOLDER_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")


@dataclass(frozen=True)
class SavedResults:
    classifier: Path
    report: Path | None
    figures: tuple[Path, ...] = ()


def is_folder_name(name: str) -> bool:
    """Whether ``name`` is one folder or file name on every system: the API's id alphabet
    (``A-Z a-z 0-9 . _ -``, at most 128 characters), not ``.`` or ``..``. No separator, drive
    (``C:``) or stream (``name:stream``) of any system can be in it."""
    return bool(_FOLDER_NAME.fullmatch(name)) and name not in (".", "..")


def relative_download_path(name: str) -> PurePosixPath | None:
    """Where a named result file goes under the download folder; ``None`` for a name that would leave it
    or take the place of the classifier or the report."""
    if name in (CLASSIFIER_FILE, REPORT_FILE) or not all(is_folder_name(part) for part in name.split("/")):
        return None
    return PurePosixPath(name)


def session_folder(downloads: Path, session_id: str) -> Path:
    """Where a session's results go: its own folder in ``downloads``.

    Raises
    ------
    ValueError
        If ``session_id`` (given by the API, or on the command line) is not one folder name.
    """
    if not is_folder_name(session_id):
        raise ValueError(f"{session_id!r} is not a session id: no results are saved for it")
    return downloads / session_id


def printable(text: object) -> str:
    """``text`` as one printable line: every character that is not printable (line breaks, the escape
    character that starts a terminal's control sequences, bidirectional overrides) becomes a space.
    What the API says can quote an upload (its channel names), which must not move the terminal's
    cursor, colour it or retitle its window."""
    return "".join(character if character.isprintable() else " " for character in str(text))


def report_warnings(view: dict[str, Any]) -> list[str]:
    """The report's warnings of a succeeded session, each made one :func:`printable` line; ``[]`` for
    any other session."""
    if view.get("status") != "SUCCEEDED" or not isinstance(view.get("result"), dict):
        return []
    return [printable(text) for text in _warning_list(view["result"])]


def report_warning_lines(view: dict[str, Any] | None) -> list[str]:
    """A line per warning of a succeeded session's report, to follow its session line."""
    return [f"  report warning: {text}" for text in report_warnings(view)] if view else []


def _warning_list(result: dict[str, Any]) -> list[Any]:
    """``result.reportWarnings``, or ``[]`` from a stack that does not list them."""
    warnings = result.get("reportWarnings")
    return warnings if isinstance(warnings, list) else []


def describe(view: dict[str, Any]) -> str:
    """One line for a session view: the headline accuracy, the failure code and message, or the status."""
    status = view.get("status", "?")
    if status == "SUCCEEDED" and isinstance(view.get("result"), dict):
        return f"SUCCEEDED: {headline(view['result'])}"
    if status == "FAILED" and isinstance(view.get("error"), dict):
        return f"FAILED: {view['error'].get('code')}: {view['error'].get('message')}"
    return status


def headline(result: dict[str, Any]) -> str:
    """The accuracy figures of a session's ``result`` (fractions from the API, printed as such).

    The nested accuracy of the model ``fbcsp predict`` applies leads; the selection accuracy is
    only shown as optimistic (it was measured on the folds that made the choice). A nested
    accuracy under the higher of the chance threshold and the majority rate is marked as such.
    The number of the report's warnings ends the figures (see :func:`report_warnings`).
    """
    nested, selection = result.get("nestedAccuracy"), result.get("selectionAccuracy")
    bars = [float(result[name]) for name in ("chanceThreshold95", "chanceLevel") if result.get(name) is not None]

    def figure(value: Any) -> str:
        return f"{float(value):.3f}" + (", not above chance" if bars and float(value) < max(bars) else "")

    details = []
    if nested is None:
        lead = "no nested accuracy recorded"
    else:
        lead = f"nested accuracy {figure(nested)}"
        online = result.get("onlineNestedAccuracy")
        if online is not None and result.get("selectedOption") == ENSEMBLE_WINDOW_OPTION:
            details.append(f"online model {figure(online)}")
    if selection is not None:
        details.append(f"optimistic selection accuracy {float(selection):.3f}")
    if result.get("chanceLevel") is not None:
        threshold = result.get("chanceThreshold95")
        details.append(
            f"chance {float(result['chanceLevel']):.3f}"
            + (f", 95 % threshold {float(threshold):.3f}" if threshold is not None else "")
        )
    option = result.get("selectedOption")
    if option is not None:
        where = "online window" if option == ENSEMBLE_WINDOW_OPTION else f"option {option}, window"
        details.append(f"{where} ending {float(result['windowEndMs']):g} ms")
    warnings = len(_warning_list(result))
    if warnings:
        details.append(f"{warnings} report warning{'s' if warnings > 1 else ''}")
    return lead + (f" ({'; '.join(details)})" if details else "")


def classifier_problems(document: Any, expected_classes: Sequence[str]) -> list[str]:
    """What is wrong with a downloaded ``classifier.json`` (empty when it names the expected classes)."""
    labels = document.get("fbcsp", {}).get("classLabels") if isinstance(document, dict) else None
    if not isinstance(labels, dict) or not labels:
        return [f"{CLASSIFIER_FILE} has no fbcsp.classLabels"]
    named = sorted(str(name) for name in labels.values())
    if named != sorted(expected_classes):
        return [f"{CLASSIFIER_FILE} names the classes {named}, expected {sorted(expected_classes)}"]
    return []


def read_classifier(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error


def save_results(
    client: StatusApiClient, session_id: str, downloads: Path, say: Callable[[str], None]
) -> SavedResults:
    """Download the session's ``classifier.json`` and, where the stack has the route, report and figures,
    into its :func:`session_folder` of ``downloads``."""
    destination = session_folder(downloads, session_id)
    classifier = client.download(client.get_classifier(session_id)["url"], destination / CLASSIFIER_FILE)
    say(f"{session_id}: classifier saved to {classifier}")
    try:
        report_answer = client.get_report(session_id)
    except RouteMissing:
        say(f"{session_id}: this stack has no report route; the report was not downloaded")
        return SavedResults(classifier=classifier, report=None)
    report = client.download(report_answer["url"], destination / REPORT_FILE)
    figures = tuple(
        client.download(url, destination / relative)
        for name, url in sorted((report_answer.get("figures") or {}).items())
        if (relative := relative_download_path(name)) is not None
    )
    say(f"{session_id}: report saved to {report}" + (f" with {len(figures)} figure(s)" if figures else ""))
    return SavedResults(classifier=classifier, report=report, figures=figures)
