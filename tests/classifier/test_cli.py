"""python -m fbcsp: train and predict on the real sample, and every kind of bad input (exit code 2)."""

import io
import json
import sys
import zipfile

import numpy as np
import pytest
from zip_builders import BAD_UPLOADS, write_zip

from fbcsp import cli

pytestmark = pytest.mark.classifier

UPLOAD_CHANNELS = "FC3,FC4,C3,Cz,C4,CP3,CPz,CP4"


@pytest.fixture(scope="module")
def cli_training(sample_zip_path, sample_training_options, tmp_path_factory):
    """One CLI training run with the shared fixture's settings; returns (exit code, stderr, output folder)."""
    out_dir = tmp_path_factory.mktemp("cli") / "out"
    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "stderr", stderr)
        code = cli.main(
            [
                "train",
                str(sample_zip_path),
                "--out",
                str(out_dir),
                "--permutations",
                str(sample_training_options.n_permutations),
                "--seed",
                str(sample_training_options.random_state),
            ]
        )
    return code, stderr.getvalue(), out_dir


def test_train_writes_every_output(cli_training):
    code, stderr, out_dir = cli_training

    assert code == 0
    for name in (
        "classifier.json",
        "metrics.json",
        "report.html",
        "figures/accuracy.png",
        "figures/confusion.png",
        "figures/csp_patterns.png",
    ):
        assert (out_dir / name).is_file(), name
    assert "fbcsp: time-resolved analysis: 44 trials" in stderr
    assert "fbcsp: done (default procedure): nested accuracy" in stderr
    assert "optimistic selection accuracy" in stderr


def test_same_input_and_settings_give_byte_identical_classifier_json(cli_training, sample_outputs):
    _, _, out_dir = cli_training

    assert (out_dir / "classifier.json").read_bytes() == (sample_outputs / "classifier.json").read_bytes()
    assert (out_dir / "metrics.json").read_bytes() == (sample_outputs / "metrics.json").read_bytes()


def _dead_c3_upload(sample_zip_path, folder):
    """The sample with its first channel (C3) written as zeros: an unconnected electrode."""
    with zipfile.ZipFile(sample_zip_path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    csv_name = next(name for name in members if name.endswith(".csv"))
    rows = members[csv_name].decode().splitlines()
    members[csv_name] = "\n".join("0.0" + row[row.index(",") :] for row in rows).encode() + b"\n"
    return write_zip(folder / "dead-c3.zip", members)


@pytest.mark.slow  # trains on the whole bundled sample
def test_an_upload_with_a_dead_electrode_trains_on_the_others_and_says_so(sample_zip_path, tmp_path, capsys):
    upload = _dead_c3_upload(sample_zip_path, tmp_path)

    code = cli.main(["train", str(upload), "--out", str(tmp_path / "out"), "--permutations", "0"])

    assert code == 0
    assert "fbcsp: left out constant channel(s) C3" in capsys.readouterr().err
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["recording"]["constantChannels"] == ["C3"]
    assert metrics["recording"]["cspDimensions"] == 7
    assert "Constant channel(s): C3 kept one value throughout" in (tmp_path / "out" / "report.html").read_text()
    # its own classifier gives C3 no weight, so predicting on the same recording raises no warning
    assert cli.main(["predict", str(tmp_path / "out" / "classifier.json"), str(upload)]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.slow  # trains on the whole bundled sample
def test_a_trial_with_an_artifact_in_the_real_sample_is_left_out_of_fitting_and_named(
    sample_zip_path, tmp_path, capsys
):
    with zipfile.ZipFile(sample_zip_path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    csv_name = next(name for name in members if name.endswith(".csv"))
    rows = members[csv_name].decode().splitlines()
    noise = np.random.default_rng(0).normal(scale=5e-4, size=(320, 8))  # 2 s of 500 µV on all 8 channels
    for offset, row in enumerate(range(30_000, 30_320)):
        values = rows[row].split(",")
        values[:8] = [repr(float(value) + float(extra)) for value, extra in zip(values[:8], noise[offset], strict=True)]
        rows[row] = ",".join(values)
    members[csv_name] = ("\n".join(rows) + "\n").encode()
    upload = write_zip(tmp_path / "moved.zip", members)

    assert cli.main(["train", str(upload), "--out", str(tmp_path / "out"), "--permutations", "0"]) == 0

    assert "trial(s) hold an artifact; left out of fitting" in capsys.readouterr().err
    trials = json.loads((tmp_path / "out" / "metrics.json").read_text())["trials"]
    flagged = [
        sample for sample, ratio in zip(trials["cueSample"], trials["artifactPowerRatio"], strict=True) if ratio > 10
    ]
    assert trials["artifactsLeftOutOfFitting"] is True and 1 <= len(flagged) <= 2
    assert all(sample <= 30_320 and sample + 7 * 160 >= 30_000 for sample in flagged)
    assert "hold an artifact: after the cues at" in (tmp_path / "out" / "report.html").read_text()


def test_predict_warns_when_an_electrode_the_classifier_weighs_recorded_nothing(
    cli_training, sample_zip_path, tmp_path, capsys
):
    _, _, out_dir = cli_training

    assert cli.main(["predict", str(out_dir / "classifier.json"), str(_dead_c3_upload(sample_zip_path, tmp_path))]) == 0

    captured = capsys.readouterr()
    assert "fbcsp: warning: channel(s) C3 are constant in this recording (an unconnected electrode?), but the " in (
        captured.err
    )
    assert captured.out.splitlines()[-2].startswith("agreement: ")


def test_predict_prints_one_line_per_trial_and_the_agreement(cli_training, sample_zip_path, capsys):
    _, _, out_dir = cli_training

    assert cli.main(["predict", str(out_dir / "classifier.json"), str(sample_zip_path)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["trial", "cue_sample", "cue_s", "true", "predicted", "score"]
    # the last cue is skipped: the ensemble's last window ends 7 s after it, past the recording's end
    assert len(lines) == 1 + 44 + 2
    assert lines[1].split()[:4] == ["1", "672", "4.200", "T2"]
    assert lines[-2].startswith("agreement: ") and "/44 (" in lines[-2]
    assert lines[-1] == "skipped 1 cue(s) whose window is not inside the recording"


def test_predict_on_the_edf_runs_with_channel_selection(cli_training, edf_paths, capsys):
    _, _, out_dir = cli_training
    arguments = [
        "predict",
        str(out_dir / "classifier.json"),
        *map(str, edf_paths),
        "--channels",
        UPLOAD_CHANNELS,
    ]

    assert cli.main(arguments) == 2
    assert "differ from the classifier's" in capsys.readouterr().err
    assert cli.main([*arguments, "--ignore-channel-names"]) == 0
    assert capsys.readouterr().out.splitlines()[-2].startswith("agreement: ")


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_uploads_exit_2_with_the_reason(case, tmp_path, capsys):
    write, code, fragment = BAD_UPLOADS[case]
    upload = write(tmp_path / "upload.zip")
    out_dir = tmp_path / "out"

    assert cli.main(["train", str(upload), "--out", str(out_dir), "--permutations", "0"]) == 2

    stderr = capsys.readouterr().err
    assert f"error: {code}: " in stderr
    assert fragment in stderr
    assert not out_dir.exists()


def test_broken_classifier_file_exits_2(tmp_path, sample_zip_path, capsys):
    broken = tmp_path / "classifier.json"
    broken.write_text(json.dumps({"online": {}}))

    assert cli.main(["predict", str(broken), str(sample_zip_path)]) == 2
    assert "error: INVALID_CLASSIFIER: classifier.json has no 'fbcsp' block" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["train", "a.zip", "b.zip", "--out", "o"], "give one upload .zip"),
        (["train", "a.zip", "b.edf", "--out", "o"], "give one upload .zip"),
        (["train", "notes.txt", "--out", "o"], "give one upload .zip"),
        (["train", "missing.zip", "--out", "o"], "missing.zip: no such file"),
    ],
)
def test_wrong_input_combinations_exit_2(arguments, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert cli.main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments",
    [
        ["train", "a.zip"],
        ["train", "a.zip", "--out", "o", "--event-map", "T1=3,T2=2"],
        ["train", "a.zip", "--out", "o", "--permutations", "-1"],
        ["fit", "a.zip"],
    ],
)
def test_bad_arguments_exit_2(arguments, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(arguments)

    assert stopped.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_help_describes_both_commands(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--help"])

    assert stopped.value.code == 0
    text = capsys.readouterr().out
    assert "train" in text and "predict" in text


def test_unexpected_errors_exit_1(sample_zip_path, tmp_path, monkeypatch, capsys):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "train_and_write", explode)

    assert cli.main(["train", str(sample_zip_path), "--out", str(tmp_path / "out")]) == 1
    assert "error: unexpected RuntimeError: disk on fire" in capsys.readouterr().err


def test_channel_names_rename_an_upload(sample_zip_path):
    recording = cli.load_recording([sample_zip_path], channel_names=UPLOAD_CHANNELS.split(","))

    assert recording.ch_names == tuple(UPLOAD_CHANNELS.split(","))


def test_channel_selection_on_an_upload(sample_zip_path):
    recording = cli.load_recording([sample_zip_path], channels=["c4", "C3"])

    assert recording.ch_names == ("c4", "C3")
    assert recording.n_channels == 2
