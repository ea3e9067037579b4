"""Applying classifier.json with nothing but the JSON reproduces the trained model's predictions."""

import copy
import json
from dataclasses import replace

import numpy as np
import pytest

from fbcsp.classifier_file import ClassifierFileError, load_classifier, parse_classifier
from fbcsp.edf import read_signal_files
from fbcsp.errors import InvalidUpload
from fbcsp.export import classifier_document as export_document
from fbcsp.export import to_json_bytes
from fbcsp.features import log_variance_features
from fbcsp.filterbank import filter_continuous
from fbcsp.predict import predict_recording
from fbcsp.recording import Recording

pytestmark = pytest.mark.classifier


@pytest.fixture(scope="module")
def classifier_document(sample_outputs):
    return json.loads((sample_outputs / "classifier.json").read_text())


@pytest.fixture(scope="module")
def online_document(classifier_document):
    """The same classifier.json without the ensemble: what a consumer of the online tree alone applies."""
    document = copy.deepcopy(classifier_document)
    del document["fbcsp"]["ensemble"]
    return document


@pytest.fixture(scope="module")
def sample_predictions(sample_outputs, sample_recording):
    return predict_recording(load_classifier(sample_outputs / "classifier.json"), sample_recording)


def _at_trials(predictions, result):
    position = np.searchsorted(predictions.cue_samples, result.trial_samples)
    np.testing.assert_array_equal(predictions.cue_samples[position], result.trial_samples)
    np.testing.assert_array_equal(predictions.true_codes[position], result.trial_labels)
    return predictions.predicted_codes[position]


def test_round_trip_reproduces_the_ensembles_training_predictions_exactly(sample_predictions, trained_sample):
    np.testing.assert_array_equal(
        _at_trials(sample_predictions, trained_sample), trained_sample.ensemble.training_predictions
    )


def test_online_tree_alone_reproduces_the_single_window_model(
    online_document, sample_recording, trained_sample
):
    classifier = parse_classifier(online_document)
    predictions = predict_recording(classifier, sample_recording)
    online = trained_sample.online_model
    starts = trained_sample.trial_samples + online.end_sample - online.window_samples

    filtered = [filter_continuous(sample_recording.data, band) for band in trained_sample.bands]
    windows = np.stack(
        [np.stack([band_data[:, start : start + online.window_samples] for band_data in filtered]) for start in starts]
    )
    features = log_variance_features(windows, online.model.filters)
    scores = online.model.a0 + features[:, online.model.feature_ids] @ online.model.weights

    assert len(classifier.windows) == 1
    np.testing.assert_array_equal(_at_trials(predictions, trained_sample), np.where(scores >= 0, 1, 2))


def test_original_selection_round_trip(sample_recording, trained_sample_original):
    document = json.loads(to_json_bytes(export_document(trained_sample_original)))
    predictions = predict_recording(parse_classifier(document), sample_recording)

    np.testing.assert_array_equal(
        _at_trials(predictions, trained_sample_original), trained_sample_original.training_predictions
    )


def test_every_cue_with_all_its_windows_is_classified(sample_predictions, sample_recording):
    # the last cue has no complete -3..+7 s epoch, and the ensemble's last window ends 7 s after the cue
    assert sample_predictions.cue_samples.size == sample_recording.event_samples.size - 1
    assert sample_predictions.n_skipped == 1
    assert np.all(np.where(sample_predictions.scores >= 0, 1, 2) == sample_predictions.predicted_codes)
    assert 0.5 < sample_predictions.agreement <= 1.0


def test_edf_runs_give_the_same_predictions_as_the_zip(sample_outputs, sample_predictions, edf_paths):
    channels = ["FC3", "FC4", "C3", "Cz", "C4", "CP3", "CPz", "CP4"]
    recording = read_signal_files(edf_paths, channels=channels)
    classifier = load_classifier(sample_outputs / "classifier.json")

    with pytest.raises(InvalidUpload, match="differ from the classifier's"):
        predict_recording(classifier, recording)
    predictions = predict_recording(classifier, recording, check_names=False)

    np.testing.assert_array_equal(predictions.predicted_codes, sample_predictions.predicted_codes)
    np.testing.assert_allclose(predictions.scores, sample_predictions.scores, rtol=1e-6)


def test_cue_whose_window_runs_past_the_end_is_skipped(sample_outputs, sample_recording):
    classifier = load_classifier(sample_outputs / "classifier.json")
    short = Recording(
        data=sample_recording.data[:, : sample_recording.event_samples[-1] + 10],
        sfreq=sample_recording.sfreq,
        ch_names=sample_recording.ch_names,
        event_samples=sample_recording.event_samples,
        event_codes=sample_recording.event_codes,
    )

    predictions = predict_recording(classifier, short)

    assert predictions.n_skipped == 1
    assert predictions.cue_samples.size == sample_recording.event_samples.size - 1


def test_channel_names_match_by_electrode(sample_outputs, sample_recording, sample_predictions):
    classifier = load_classifier(sample_outputs / "classifier.json")
    decorated = replace(sample_recording, ch_names=tuple(f"EEG {name}-REF" for name in sample_recording.ch_names))

    predictions = predict_recording(classifier, decorated)

    np.testing.assert_array_equal(predictions.scores, sample_predictions.scores)


def test_rate_and_channel_count_must_match(sample_outputs, sample_recording):
    classifier = load_classifier(sample_outputs / "classifier.json")
    resampled = Recording(
        sample_recording.data,
        250.0,
        sample_recording.ch_names,
        sample_recording.event_samples,
        sample_recording.event_codes,
    )
    fewer = Recording(
        sample_recording.data[:3],
        160.0,
        sample_recording.ch_names[:3],
        sample_recording.event_samples,
        sample_recording.event_codes,
    )

    with pytest.raises(InvalidUpload, match="sampled at 250 Hz, the classifier at 160 Hz"):
        predict_recording(classifier, resampled)
    with pytest.raises(InvalidUpload, match="3 channels, the classifier expects 8"):
        predict_recording(classifier, fewer)


def _broken(document, change):
    copy_of = copy.deepcopy(document)
    change(copy_of)
    return copy_of


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("fbcsp"), "no 'fbcsp' block"),
        (lambda d: d["fbcsp"].update(schemaVersion="2.0"), "schemaVersion '2.0'"),
        (lambda d: d["online"]["p"]["CF"]["param"]["a1N"].pop(), "feature ids but .* weights"),
        (lambda d: d["online"]["p"]["MI"]["out_usedFeatureIDs"][0].__setitem__(0, 25), "must lie in 1..24"),
        (lambda d: d["online"]["p"]["MI"].update(out_usedFeatureIDs=[1, 2, 3]), "one list of feature ids"),
        (lambda d: d["online"]["p"]["CSP"]["filters_used"][2].pop(), r"filters_used\[2\] is \(7, 6\)"),
        (lambda d: d["online"]["p"]["CSP"]["filters_used"].__setitem__(3, []), "2-D array"),
        (lambda d: d["fbcsp"]["firTaps"].pop(), "firTaps has no entry for band 6"),
        (lambda d: d["fbcsp"].pop("windowSamples"), "lacks or mangles"),
        (lambda d: d["online"]["p"]["CF"]["param"].update(a1N=["x"]), "array of numbers"),
    ],
)
def test_malformed_classifier_files_are_refused_with_a_reason(online_document, change, message):
    with pytest.raises(ClassifierFileError, match=message):
        parse_classifier(_broken(online_document, change))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["fbcsp"]["ensemble"]["windows"][1]["a1N"].pop(),
            "ensemble window 2: .* feature ids but",
        ),
        (lambda d: d["fbcsp"]["ensemble"].update(windows=[]), "the ensemble has no windows"),
        (lambda d: d["fbcsp"]["ensemble"]["windows"][0].pop("a0"), "lacks or mangles"),
        (
            lambda d: d["fbcsp"]["ensemble"]["windows"][0]["filters_used"][3].pop(),
            r"filters_used\[3\] is \(7, 6\)",
        ),
    ],
)
def test_malformed_ensembles_are_refused_with_a_reason(classifier_document, change, message):
    with pytest.raises(ClassifierFileError, match=message):
        parse_classifier(_broken(classifier_document, change))


def _set_in_first_window(key, value):
    return lambda d: d["fbcsp"]["ensemble"]["windows"][0].__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set_in_first_window("a0", "abc"), "ensemble window 1 a0 must be a finite number, got 'abc'"),
        (_set_in_first_window("a0", None), "a0 must be a finite number, got None"),
        (_set_in_first_window("a0", float("nan")), "a0 must be a finite number, got nan"),
        (
            lambda d: d["fbcsp"]["ensemble"]["windows"][0].update(out_usedFeatureIDs=[i + 0.5 for i in range(24)]),
            "and be whole numbers",
        ),
        (_set_in_first_window("out_usedFeatureIDs", ["a", "b", "c", "d"]), "feature ids must be a 1-D array"),
        (_set_in_first_window("windowSamples", "x"), "window length must be a whole number from 2 to"),
        (_set_in_first_window("windowSamples", 320.9), "window length must be a whole number"),
        (_set_in_first_window("windowSamples", 10**30), "window length must be a whole number"),
        (_set_in_first_window("windowEndSampleAfterCue", 1e30), "window end must be a whole number"),
        (lambda d: d["fbcsp"]["firTaps"][0].__setitem__("highpass", []), "highpass taps of band 3 are empty"),
        (lambda d: d["fbcsp"]["firTaps"][0].pop("lowpass"), "lowpass taps of band 3 must be a 1-D array"),
        (lambda d: d["fbcsp"]["bandEdgesHz"].__setitem__(0, ["a", "b", "c", "d"]), "bandEdgesHz of band 3"),
        (lambda d: d["fbcsp"].__setitem__("channelNames", "C3CZC4P3"), "channelNames must be a list of names"),
        (lambda d: d["fbcsp"].__setitem__("sampleRateHz", float("inf")), "sampleRateHz must be a finite number"),
        (lambda d: d["fbcsp"].__setitem__("usedBandIDs", "3456"), "usedBandIDs must be a list"),
        (lambda d: d["fbcsp"].__setitem__("usedBandIDs", [3, 4, 5, "6"]), "usedBandIDs entry must be a whole"),
    ],
)
def test_mangled_numbers_are_refused_as_a_classifier_file_error(classifier_document, change, message):
    # a conversion outside the checks ended `fbcsp predict` with a traceback, and a0 = NaN predicted garbage
    with pytest.raises(ClassifierFileError, match=message):
        parse_classifier(_broken(classifier_document, change))


def test_unreadable_classifier_file(tmp_path):
    path = tmp_path / "classifier.json"
    path.write_text("{not json")

    with pytest.raises(ClassifierFileError, match="not a readable JSON file"):
        load_classifier(path)
