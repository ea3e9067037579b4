"""Command line: ``python -m fbcsp train ...`` and ``python -m fbcsp predict ...``.

Exit codes: 0 done, 2 input rejected (``error: <CODE>: <why>`` on stderr; also for bad arguments),
1 unexpected error. Progress goes to stderr, predictions to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from contracts.failures import ExitCode

from . import __version__
from .classifier_file import ClassifierFileError, load_classifier
from .edf import DEFAULT_EVENT_MAP, SIGNAL_FILE_SUFFIXES, parse_event_map, read_signal_files, select_channels
from .errors import InputRejected, InvalidUpload
from .outputs import train_and_write
from .predict import predict_recording
from .recording import CLASS_LABELS, Recording
from .training_options import SELECTIONS, TrainingOptions
from .upload import read_upload


def _channel_list(values: Sequence[str] | None) -> list[str] | None:
    """``["C3,C4", "Cz"]`` -> ``["C3", "C4", "Cz"]``; None stays None."""
    if values is None:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _event_map(text: str) -> dict[str, int]:
    try:
        return parse_event_map(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _with_channels(recording: Recording, channels: Sequence[str]) -> Recording:
    indices, names = select_channels(recording.ch_names, channels)
    return dataclasses.replace(recording, data=recording.data[indices], ch_names=tuple(names))


def _renamed(recording: Recording, names: Sequence[str]) -> Recording:
    if len(names) != recording.n_channels:
        raise InvalidUpload(f"--channel-names gives {len(names)} names for {recording.n_channels} channels")
    return dataclasses.replace(recording, ch_names=tuple(names), ch_names_known=True)


def load_recording(
    inputs: Sequence[Path],
    channels: Sequence[str] | None = None,
    event_map: dict[str, int] = DEFAULT_EVENT_MAP,
    channel_names: Sequence[str] | None = None,
) -> Recording:
    """Read the command's inputs: one upload zip, or EDF/BDF/GDF files concatenated in order.

    ``channels`` keeps (and orders) channels by name; ``channel_names`` then renames them (e.g.
    the real montage of an upload whose metadata has no ``ChannelNames``).
    """
    zips = [path for path in inputs if path.suffix.lower() == ".zip"]
    signals = [path for path in inputs if path.suffix.lower() in SIGNAL_FILE_SUFFIXES]
    others = [path for path in inputs if path not in zips and path not in signals]
    if others or (zips and (signals or len(zips) > 1)):
        raise InvalidUpload(
            "give one upload .zip, or one or more .edf/.bdf/.gdf files "
            f"(got {', '.join(path.name for path in inputs)})"
        )
    if zips:
        if not zips[0].is_file():
            raise InvalidUpload(f"{zips[0]}: no such file")
        recording = read_upload(zips[0])
        if channels:
            recording = _with_channels(recording, channels)
    else:
        recording = read_signal_files(signals, channels, event_map)
    return _renamed(recording, channel_names) if channel_names else recording


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m fbcsp``."""
    parser = argparse.ArgumentParser(
        prog="python -m fbcsp",
        description="Train a Filter-Bank CSP classifier (T1 vs T2 motor imagery) or apply a trained one.",
    )
    parser.add_argument("--version", action="version", version=f"fbcsp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_input_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "inputs",
            nargs="+",
            type=Path,
            metavar="INPUT",
            help="an upload .zip (metadata.json + CSV), or one or more .edf/.bdf/.gdf files "
            "read as one recording",
        )
        command.add_argument(
            "--channels",
            nargs="+",
            metavar="NAME",
            help="channels to use, in this order (space or comma separated; matched by electrode: "
            "case, EEGMMIDB padding dots, an 'EEG ' prefix and a reference suffix such as -REF are "
            "ignored). Default: every channel",
        )
        command.add_argument(
            "--channel-names",
            nargs="+",
            metavar="NAME",
            help="rename the (selected) channels, e.g. the real montage of an upload without ChannelNames",
        )
        command.add_argument(
            "--event-map",
            type=_event_map,
            default=dict(DEFAULT_EVENT_MAP),
            metavar="DESC=CODE,...",
            help="EDF/BDF/GDF annotations that are cues, and their class: 1 = T1, 2 = T2 (default T1=1,T2=2)",
        )

    train_command = commands.add_parser(
        "train",
        help="train on a recording and write classifier.json, metrics.json, report.html and figures/",
        description="Train on a recording; writes classifier.json, metrics.json, report.html "
        "and figures/ into --out.",
    )
    add_input_options(train_command)
    train_command.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="output folder (created)"
    )
    train_command.add_argument(
        "--permutations",
        type=_non_negative,
        default=TrainingOptions.n_permutations,
        metavar="N",
        help=f"label permutations for the p-value, 0 to skip (default {TrainingOptions.n_permutations})",
    )
    train_command.add_argument(
        "--selection",
        choices=SELECTIONS,
        default=TrainingOptions.selection,
        help="default: the window ensemble (six pre-declared 2 s windows, mean decision) with its best "
        "single window in the online tree; original: the original's option and window selection rule "
        f"(default {TrainingOptions.selection})",
    )
    train_command.add_argument(
        "--seed",
        type=int,
        default=TrainingOptions.random_state,
        metavar="N",
        help=f"seed of the permutations (default {TrainingOptions.random_state})",
    )

    predict_command = commands.add_parser(
        "predict",
        help="apply classifier.json to a recording and print per-trial predictions",
        description="Classify the window after every cue of a recording with an exported classifier.json.",
    )
    predict_command.add_argument("classifier", type=Path, metavar="CLASSIFIER.json")
    add_input_options(predict_command)
    predict_command.add_argument(
        "--ignore-channel-names",
        action="store_true",
        help="only require the same number of channels (in the training order), not the same names",
    )
    return parser


def _progress(message: str) -> None:
    print(f"fbcsp: {message}", file=sys.stderr, flush=True)


def run_train(args: argparse.Namespace) -> int:
    recording = load_recording(
        args.inputs, _channel_list(args.channels), args.event_map, _channel_list(args.channel_names)
    )
    _progress(
        f"read {recording.n_channels} channels x {recording.n_samples} samples at {recording.sfreq:g} Hz, "
        f"{recording.event_codes.size} cues"
    )
    options = TrainingOptions(
        selection=args.selection, n_permutations=args.permutations, random_state=args.seed
    )
    facts = {"Input": ", ".join(path.name for path in args.inputs)}
    result, written = train_and_write(recording, args.out, options, facts=facts, progress=_progress)
    _progress(
        f"done ({result.selection_mode} procedure): nested accuracy {100 * result.nested_accuracy:.1f} %, "
        f"online tree's single window (ending {result.online_model.end_ms:g} ms after the cue) "
        f"{100 * result.online_nested_accuracy:.1f} %, optimistic selection accuracy "
        f"{100 * result.selection_accuracy:.1f} %, majority class {100 * result.chance_level:.1f} %"
    )
    for name in sorted(written):
        _progress(f"wrote {written[name]}")
    return ExitCode.OK


def format_predictions(predictions, sfreq: float) -> list[str]:
    """Lines of the ``predict`` table and the agreement line."""
    lines = [f"{'trial':>5}  {'cue_sample':>10}  {'cue_s':>9}  {'true':>4}  {'predicted':>9}  {'score':>10}"]
    for trial, (sample, true, predicted, score) in enumerate(
        zip(
            predictions.cue_samples,
            predictions.true_codes,
            predictions.predicted_codes,
            predictions.scores,
            strict=True,
        ),
        start=1,
    ):
        lines.append(
            f"{trial:>5}  {sample:>10}  {sample / sfreq:>9.3f}  {CLASS_LABELS[int(true)]:>4}  "
            f"{CLASS_LABELS[int(predicted)]:>9}  {score:>10.4f}"
        )
    if predictions.agreement is None:
        lines.append("agreement: no trials")
    else:
        matches = int(np.count_nonzero(predictions.predicted_codes == predictions.true_codes))
        lines.append(
            f"agreement: {matches}/{predictions.true_codes.size} ({100 * predictions.agreement:.1f} %) "
            "with the recording's cue labels"
        )
    if predictions.n_skipped:
        lines.append(f"skipped {predictions.n_skipped} cue(s) whose window is not inside the recording")
    return lines


def run_predict(args: argparse.Namespace) -> int:
    classifier = load_classifier(args.classifier)
    recording = load_recording(
        args.inputs, _channel_list(args.channels), args.event_map, _channel_list(args.channel_names)
    )
    predictions = predict_recording(classifier, recording, check_names=not args.ignore_channel_names)
    if predictions.dead_weighted_channels:
        _progress(
            f"warning: channel(s) {', '.join(predictions.dead_weighted_channels)} are constant in this recording "
            "(an unconnected electrode?), but the classifier weighs them: its predictions lean on an electrode "
            "that recorded nothing"
        )
    print("\n".join(format_predictions(predictions, recording.sfreq)))
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="fbcsp: %(message)s", stream=sys.stderr)
    try:
        return run_train(args) if args.command == "train" else run_predict(args)
    except InputRejected as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return ExitCode.REJECTED
    except ClassifierFileError as exc:
        print(f"error: INVALID_CLASSIFIER: {exc}", file=sys.stderr)
        return ExitCode.REJECTED
    except Exception as exc:  # noqa: BLE001 - the command line reports any failure as exit code 1
        traceback.print_exc(file=sys.stderr)
        print(f"error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return ExitCode.UNEXPECTED
