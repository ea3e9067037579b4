"""``metrics.json`` and the manifest's ``metrics`` block from a :class:`TrainingResult` (issue 14 §2).

Everything the report states can be recomputed from ``metrics.json`` and the upload: each used
trial's cue sample, label, outer fold and cross-validated prediction of every procedure; per
outer fold what was chosen inside it and its test accuracy; the chance figures.
"""

from __future__ import annotations

import numpy as np

from contracts.manifest import REPORT_WARNINGS_METRIC

from . import __version__
from .model import SCHEMA_VERSION
from .original_table import (
    finite_or_none,
    result_table,
    selected_option,
    time_resolved_summary,
    trials_per_class,
)
from .recording import CLASS_LABELS
from .report_warnings import report_warning_texts
from .statistics import CHANCE_ALPHA, binomial_chance_threshold
from .training_result import TrainingResult

#: 1.2 added ``recording.channelNoiseRatio``/``channelClippedFraction`` and ``trials.cueNote``;
#: 1.3 ``recording.constantChannels``, ``cspChannels`` and ``cspDimensions``, and
#: ``trials.artifactPowerRatio`` and ``artifactsLeftOutOfFitting``.
METRICS_SCHEMA_VERSION = "1.3"
#: What the permutation test compares, per headline procedure.
PERMUTATION_STATISTICS = {
    "ensemble": "the ensemble's cross-validated accuracy (fold mean)",
    "originalRule": "the original rule's best smoothed task-window accuracy over options",
}
#: ``selectedOption`` of the default procedure's online model: one of the ensemble's windows.
ENSEMBLE_WINDOW_OPTION = "ensemble-window"


def _fold_values(values: np.ndarray) -> list[float]:
    return np.asarray(values, dtype=np.float64).tolist()


def headline_model(result: TrainingResult) -> str:
    """Name of the procedure behind the headline accuracy: ``ensemble`` or ``originalRule``."""
    return "ensemble" if result.ensemble is not None else "originalRule"


def online_model_name(result: TrainingResult) -> str:
    """Name of the procedure behind the ``online`` tree: ``singleWindow`` or ``originalRule``."""
    return "singleWindow" if result.ensemble is not None else "originalRule"


def estimates(result: TrainingResult) -> dict:
    """The accuracy figures with what each one means (fractions 0..1)."""
    exported = (
        result.ensemble.training_predictions if result.ensemble is not None else result.training_predictions
    )
    n_trials = int(result.trial_labels.size)
    return {
        "nestedAccuracy": {
            "value": result.nested_accuracy,
            "foldValues": _fold_values(result.nested_fold_accuracies),
            "model": headline_model(result),
            "meaning": "headline: the whole training procedure of the model `fbcsp predict` applies, redone "
            "inside each outer training set and scored on the outer test trials (honest estimate)",
        },
        "onlineNestedAccuracy": {
            "value": result.online_nested_accuracy,
            "foldValues": _fold_values(result.online_nested_fold_accuracies),
            "model": online_model_name(result),
            "meaning": "the same for the single-window model of classifier.json's online tree (what the "
            "original consumer runs)",
        },
        "selectionAccuracy": {
            "value": result.selection_accuracy,
            "meaning": "optimistic: fold-mean CV accuracy at the original rule's option and window, chosen "
            "on these same folds (the original's figure)",
        },
        "originalRuleNestedAccuracy": {
            "value": float(np.mean(result.original_nested_fold_accuracies)),
            "foldValues": _fold_values(result.original_nested_fold_accuracies),
            "meaning": "the original's option/window rule redone inside each outer training set",
        },
        "trainingAccuracy": {
            "value": float(np.mean(exported == result.trial_labels)),
            "meaning": "the exported headline model on its own training trials; "
            "not an estimate of performance",
        },
        "chanceLevel": {
            "value": result.chance_level,
            "binomialThreshold95": binomial_chance_threshold(n_trials),
            "nTrials": n_trials,
            "meaning": "value: majority-class rate; binomialThreshold95: smallest accuracy that guessing "
            f"(Binomial(n, 1/{len(CLASS_LABELS)})) reaches with probability <= {CHANCE_ALPHA}",
        },
        "permutationPValue": {
            "value": finite_or_none(result.permutation_p_value),
            "nPermutations": result.n_permutations,
            "statistic": PERMUTATION_STATISTICS[headline_model(result)],
            "meaning": "share of label permutations (labels shuffled, folds rebuilt, analysis rerun) whose "
            "statistic reaches the observed one, (1 + count) / (1 + n); null when no permutations were run",
        },
    }


def outer_folds(result: TrainingResult) -> list[dict]:
    """Per outer fold: its test trials, and per procedure what was chosen inside it and its test accuracy."""
    grid, ensemble = result.grid, result.ensemble
    entries = []
    for fold in range(result.fold_accuracy.shape[1]):
        option = result.options[int(result.original_nested_options[fold])]
        window = int(result.original_nested_windows[fold])
        entry = {
            "fold": fold,
            "testTrials": int(np.count_nonzero(result.folds == fold)),
            "originalRule": {
                "optionName": option.name,
                "K": option.n_features,
                "windowIndex": window,
                "windowEndMs": float(grid.end_ms[window]),
                "accuracy": float(result.original_nested_fold_accuracies[fold]),
            },
        }
        if ensemble is not None:
            chosen = int(ensemble.online_choices[fold])
            entry["ensemble"] = {
                "choice": "none (every window, all features)",
                "accuracy": float(ensemble.fold_accuracies[fold]),
            }
            entry["singleWindow"] = {
                "windowIndex": chosen,
                "windowEndMs": float(ensemble.windows.end_ms[chosen]),
                "accuracy": float(ensemble.online_fold_accuracies[fold]),
            }
        entries.append(entry)
    return entries


def trial_table(result: TrainingResult) -> dict:
    """Columns over the used trials (chronological): cue, label, outer fold, each procedure's prediction."""
    table = {
        "used": int(result.trial_labels.size),
        "perClass": trials_per_class(result.trial_labels),
        "droppedIncompleteEpochs": result.n_dropped_trials,
        "cueNote": result.cue_note,
        "cueSample": result.trial_samples.tolist(),
        "artifactPowerRatio": result.artifacts.power_ratio.tolist(),
        "artifactsLeftOutOfFitting": result.artifacts.left_out,
        "label": result.trial_labels.tolist(),
        "outerFold": result.folds.tolist(),
        "originalRuleCvPrediction": result.original_nested_cv_predictions.tolist(),
    }
    if result.ensemble is not None:
        table["ensembleCvPrediction"] = result.ensemble.cv_predictions.tolist()
        table["singleWindowCvPrediction"] = result.ensemble.online_cv_predictions.tolist()
    return table


def selected_models(result: TrainingResult) -> dict:
    """The exported models: the ``online`` tree's single window and, by default, the ensemble's windows."""
    online = result.online_model
    selected = {
        "selection": result.selection_mode,
        "headlineModel": headline_model(result),
        "online": {
            "model": online_model_name(result),
            "K": int(online.model.feature_ids.size),
            "windowSamples": online.window_samples,
            "windowEndMs": online.end_ms,
        },
    }
    if result.ensemble is None:
        option = selected_option(result)
        selected["online"].update({"optionName": option.name, "windowIndex": result.selection.task_window})
    else:
        windows = result.ensemble.windows
        selected["online"]["windowIndex"] = result.ensemble.online_window
        selected["ensemble"] = {
            "windowSamples": windows.length,
            "windowEndMs": windows.end_ms.tolist(),
            "outerFoldAccuracyPerWindow": result.ensemble.window_fold_accuracy.tolist(),
        }
    return selected


def metrics_document(result: TrainingResult, session_id: str | None = None) -> dict:
    """The whole ``metrics.json`` document."""
    return {
        "schemaVersion": METRICS_SCHEMA_VERSION,
        "packageVersion": __version__,
        "estimates": estimates(result),
        "selected": selected_models(result),
        "outerFolds": outer_folds(result),
        "trials": trial_table(result),
        "recording": {
            "sampleRateHz": result.sfreq,
            "channelNames": list(result.ch_names),
            "channelNoiseRatio": result.channel_quality.noise_ratio.tolist(),
            "channelClippedFraction": result.channel_quality.clipped_fraction.tolist(),
            "constantChannels": result.channel_quality.constant_names(result.ch_names),
            "cspChannels": result.csp_channels.names(result.ch_names),
            "cspDimensions": result.csp_channels.dimensions,
        },
        "resultTable": result_table(result, session_id),
        "timeResolved": time_resolved_summary(result),
    }


def manifest_metrics(result: TrainingResult) -> dict:
    """The ``metrics`` block of the container manifest (docs/contracts.md).

    ``nestedAccuracy`` is the headline; ``selectedOption``, ``K`` and ``windowEndMs`` describe the
    ``online`` tree's model (``selectedOption`` is ``ensemble-window`` for the default procedure,
    whose single window keeps all features, and ``optionId`` is then 0). ``reportWarnings`` are the
    warnings ``report.html`` shows, so that the session status can tell them.
    """
    online = result.online_model
    option = selected_option(result) if result.ensemble is None else None
    return {
        "selectionAccuracy": result.selection_accuracy,
        "nestedAccuracy": result.nested_accuracy,
        "onlineNestedAccuracy": result.online_nested_accuracy,
        "headlineModel": headline_model(result),
        "chanceLevel": result.chance_level,
        "chanceThreshold95": binomial_chance_threshold(int(result.trial_labels.size)),
        "permutationPValue": finite_or_none(result.permutation_p_value),
        "nPermutations": result.n_permutations,
        "selectedOption": option.name if option else ENSEMBLE_WINDOW_OPTION,
        "optionId": option.option_id if option else 0,
        "K": int(online.model.feature_ids.size),
        "windowEndMs": online.end_ms,
        "classes": {str(code): name for code, name in CLASS_LABELS.items()},
        "usedBandIDs": list(online.model.band_ids),
        "bandsHz": [list(map(float, band.edges_hz)) for band in result.bands],
        "trialsPerClass": trials_per_class(result.trial_labels),
        "classifierSchemaVersion": SCHEMA_VERSION,
        REPORT_WARNINGS_METRIC: report_warning_texts(result),
    }
