"""Nested accuracy of the fbcsp procedures against two textbook baselines, per recording and on average.

For each recording (default: the three imagery uploads S001-S003 in ``../shared/data/uploads``),
on the package's usable trials and its chronological outer folds:

* ``default``: the package's default procedure (window ensemble); no choice is made from the
  data, so its outer-fold accuracy is its nested accuracy;
* ``online``: the single-window model the default puts into classifier.json's ``online`` tree
  (window chosen by inner CV inside each outer fold);
* ``original``: ``--selection original`` (the original's option/window rule, redone inside each
  outer training set);
* ``CSP+LDA``: ``mne.decoding.CSP`` (4 components, log-variance) + scikit-learn LDA on 8-30 Hz
  (MNE's zero-phase FIR) over the fixed window 0.5-2.5 s after the cue;
* ``TS+LR``: pyriemann covariances (OAS) + tangent space + logistic regression, same window.

Baselines are fitted on each outer fold's training trials only. Each cell is the mean over outer
folds +- their SD (ddof=1); ``chance95`` is the binomial 95 % chance threshold for the trial count.

    .venv/bin/python benchmarks/accuracy.py [INPUT.zip ...] [--json OUT]
    .venv/bin/python benchmarks/accuracy.py --edf-root DIR --channels C3 C4 ...

``--edf-root`` reads every sub-folder's ``*.edf`` files as one recording (e.g. the EEGMMIDB runs,
with another channel subset, for robustness checks). ``--panel`` reads a folder in PhysioNet's
EEGMMIDB layout (``S004/S004R04.edf`` ...) as issue 14's panel: per subject, the left/right-fist
imagery runs 4, 8, 12 as one recording and the executed-movement runs 3, 7, 11 as another, with
the mean of each task under the overall mean. ``--unnamed`` treats the channel names as
unknown, as for an upload without ``ChannelNames``: a research montage is then reduced without
the motor-area prior (`fbcsp.channel_reduction`). ``--timing`` instead times ``train()`` of
both procedures on the first input, with and without permutations, in this one process (best of
``--repeat`` runs) and prints each time and its ratio to ``--selection original`` without
permutations.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT, REPO_ROOT / "classifier_image"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import mne  # noqa: E402 - the package paths must be on sys.path first
import numpy as np  # noqa: E402
from mne.decoding import CSP  # noqa: E402
from pyriemann.estimation import Covariances  # noqa: E402
from pyriemann.tangentspace import TangentSpace  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402

from fbcsp.cli import load_recording  # noqa: E402
from fbcsp.recording import Recording  # noqa: E402
from fbcsp.statistics import binomial_chance_threshold  # noqa: E402
from fbcsp.training import train  # noqa: E402
from fbcsp.training_options import TrainingOptions  # noqa: E402
from fbcsp.training_result import TrainingResult  # noqa: E402

DEFAULT_INPUTS = tuple(
    REPO_ROOT.parent / "shared" / "data" / "uploads" / f"S00{subject}_imagery.zip" for subject in (1, 2, 3)
)
BASELINE_BAND_HZ = (8.0, 30.0)
BASELINE_WINDOW_S = (0.5, 2.5)
COLUMNS = ("default", "online", "original", "CSP+LDA", "TS+LR")
#: EEGMMIDB's runs of each left/right-fist task (T1 left, T2 right in both).
PANEL_RUNS = {"imagery": (4, 8, 12), "execution": (3, 7, 11)}


def baseline_epochs(recording: Recording, cue_samples: np.ndarray) -> np.ndarray:
    """8-30 Hz (zero-phase FIR) epochs of the fixed window, shape (n_trials, n_channels, n_times)."""
    filtered = mne.filter.filter_data(recording.data, recording.sfreq, *BASELINE_BAND_HZ, verbose="error")
    start, stop = (int(round(seconds * recording.sfreq)) for seconds in BASELINE_WINDOW_S)
    offsets = np.arange(start, stop)
    return np.moveaxis(filtered[:, cue_samples[:, None] + offsets[None, :]], 1, 0)


def csp_lda() -> Pipeline:
    """The textbook CSP + LDA pipeline."""
    return make_pipeline(CSP(n_components=4, log=True), LinearDiscriminantAnalysis())


def tangent_space_lr() -> Pipeline:
    """The textbook Riemannian pipeline."""
    return make_pipeline(Covariances(estimator="oas"), TangentSpace(), LogisticRegression())


def outer_fold_accuracies(
    make_pipeline_: Callable[[], Pipeline], epochs: np.ndarray, labels: np.ndarray, folds: np.ndarray
) -> np.ndarray:
    """Accuracy on each outer fold's test trials of a pipeline fitted on its training trials."""
    accuracies = []
    for fold in np.unique(folds):
        test = folds == fold
        fitted = make_pipeline_().fit(epochs[~test], labels[~test])
        accuracies.append(float(np.mean(fitted.predict(epochs[test]) == labels[test])))
    return np.array(accuracies)


def evaluate(recording: Recording) -> dict[str, np.ndarray | int]:
    """Outer-fold accuracies of every column on one recording, and its trial count."""
    no_permutations = {"n_permutations": 0}
    default: TrainingResult = train(recording, TrainingOptions(selection="default", **no_permutations))
    original = train(recording, TrainingOptions(selection="original", **no_permutations))
    epochs = baseline_epochs(recording, default.trial_samples)
    labels, folds = default.trial_labels, default.folds
    return {
        "trials": int(labels.size),
        "default": default.nested_fold_accuracies,
        "online": default.online_nested_fold_accuracies,
        "original": original.nested_fold_accuracies,
        "CSP+LDA": outer_fold_accuracies(csp_lda, epochs, labels, folds),
        "TS+LR": outer_fold_accuracies(tangent_space_lr, epochs, labels, folds),
    }


def table(results: dict[str, dict], groups: dict[str, list[str]] | None = None) -> list[str]:
    """Markdown rows: per recording mean +- fold SD in percent, the mean over recordings, then the
    mean of each group of recordings (``groups``: name -> recording names)."""
    lines = [
        "| recording | trials | chance95 | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for name, result in results.items():
        cells = [f"{100 * result[c].mean():.1f} ± {100 * result[c].std(ddof=1):.1f}" for c in COLUMNS]
        threshold = 100 * binomial_chance_threshold(result["trials"])
        lines.append(f"| {name} | {result['trials']} | {threshold:.1f} | " + " | ".join(cells) + " |")
    for label, names in {"mean": list(results), **(groups or {})}.items():
        means = [f"**{100 * np.mean([results[n][c].mean() for n in names]):.1f}**" for c in COLUMNS]
        lines.append(f"| {label} | | | " + " | ".join(means) + " |")
    return lines


TIMED_RUNS = (("original", 0), ("default", 0), ("original", 20), ("default", 20))


def procedure_costs(recording: Recording, repeat: int) -> list[str]:
    """Best-of-`repeat` wall time of ``train()`` per procedure and permutation count, with ratios."""
    best = {}
    for selection, permutations in TIMED_RUNS:
        options = TrainingOptions(selection=selection, n_permutations=permutations)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            train(recording, options)
            times.append(time.perf_counter() - start)
        best[selection, permutations] = min(times)
    reference = best["original", 0]
    lines = [
        "| --selection | permutations | train() s | ratio to original without permutations |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {selection} | {permutations} | {seconds:.2f} | {seconds / reference:.2f} |"
        for (selection, permutations), seconds in best.items()
    ]
    return lines


def panel_runs(root: Path) -> dict[str, list[Path]]:
    """``"S001 imagery"`` -> that subject's runs of the task, for each subject folder of ``root`` that
    holds all of them (a task with a missing run is left out, with a note on stderr)."""
    found = {}
    for subject in sorted(folder for folder in root.iterdir() if folder.is_dir()):
        for task, runs in PANEL_RUNS.items():
            paths = [subject / f"{subject.name}R{run:02d}.edf" for run in runs]
            missing = [path.name for path in paths if not path.is_file()]
            if missing:
                print(f"leaving out {subject.name} {task}: no {', '.join(missing)}", file=sys.stderr)
            else:
                found[f"{subject.name} {task}"] = paths
    return found


def panel_groups(names: list[str]) -> dict[str, list[str]]:
    """``"mean imagery"`` -> the panel's imagery recordings, and so on for each task present."""
    tasks = {name.rsplit(" ", 1)[-1] for name in names}
    return {f"mean {task}": [name for name in names if name.endswith(f" {task}")] for task in sorted(tasks)}


def recordings(args: argparse.Namespace) -> dict[str, Recording]:
    """Name -> recording of the command line's inputs."""
    if args.panel is not None:
        loaded = {name: load_recording(paths, channels=args.channels) for name, paths in panel_runs(args.panel).items()}
    elif args.edf_root is None:
        loaded = {path.stem: load_recording([path]) for path in args.inputs}
    else:
        folders = sorted(folder for folder in args.edf_root.iterdir() if folder.is_dir())
        loaded = {
            folder.name: load_recording(sorted(folder.glob("*.edf")), channels=args.channels)
            for folder in folders
        }
    if args.unnamed:
        return {name: replace(recording, ch_names_known=False) for name, recording in loaded.items()}
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", type=Path, default=list(DEFAULT_INPUTS), metavar="INPUT.zip")
    sources = parser.add_mutually_exclusive_group()
    sources.add_argument("--edf-root", type=Path, help="one recording per sub-folder of EDF runs")
    sources.add_argument(
        "--panel", type=Path, metavar="EEGMMIDB", help="imagery and execution runs per subject (PhysioNet layout)"
    )
    parser.add_argument("--channels", nargs="+", metavar="NAME", help="channels to read from the EDF runs")
    parser.add_argument(
        "--unnamed", action="store_true", help="treat the channel names as unknown (no motor-area prior)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the fold accuracies as JSON")
    parser.add_argument("--timing", action="store_true", help="time train() of both procedures instead")
    parser.add_argument(
        "--repeat", type=int, default=3, metavar="N", help="timed runs per setting (default 3)"
    )
    args = parser.parse_args(argv)
    folders = [path for path in (args.edf_root, args.panel) if path is not None]
    missing = [str(path) for path in folders if not path.is_dir()]
    missing += [str(path) for path in args.inputs if not folders and not path.is_file()]
    if missing:
        parser.error(f"no such recording: {', '.join(missing)} (the shared recordings live in ../shared/data)")
    mne.set_log_level("error")
    if args.timing:
        print("\n".join(procedure_costs(next(iter(recordings(args).values())), args.repeat)))
        return 0
    results = {}
    for name, recording in recordings(args).items():
        print(f"evaluating {name} ...", file=sys.stderr, flush=True)
        results[name] = evaluate(recording)
    if not results:
        parser.error(f"no recording to evaluate in {folders[0]}")
    print("\n".join(table(results, panel_groups(list(results)) if args.panel else None)))
    if args.json:
        document = {
            name: {
                key: value.tolist() if isinstance(value, np.ndarray) else value
                for key, value in result.items()
            }
            for name, result in results.items()
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
