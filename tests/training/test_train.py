"""python -m neurn_keras.train on real data: outputs, seeding, resuming, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from neurn_keras import applications
from neurn_keras.cli.train import main
from neurn_keras.environment import data_dir_setting
from neurn_keras.training import load_record, train_and_evaluate
from neurn_keras.training.record import round_accuracy

TINY_ARGV = ["--train-limit", "300", "--test-limit", "64", "--batch-size", "64"]


@pytest.mark.every_backend
def test_run_writes_every_output(reference_run, real_data_dir):
    _, output, results = reference_run
    assert sorted(p.name for p in output.iterdir()) == [
        "config.json",
        "done",
        "history.csv",
        "model.keras",
        "results.json",
        "resume",  # the last epoch's backup, kept for --extend
    ]
    assert [p.name for p in (output / "resume").iterdir()] == ["backup"]
    assert results == load_record(output / "results.json")
    assert results.backbone == "digitnet" and results.neurn is True
    assert results.input_norm == "neurn" and results.augment == "none"
    assert results.neurn_config == {
        "kernel_size": 3, "padding": "reflect", "normalize_over": "image", "color": "rgb",
        "method": "moments",
    }  # fmt: skip
    assert results.input_shape == [32, 32, 3] and results.seed == 0
    # the default targets: SVHN is not in the shared data, so it is skipped, not fatal
    assert results.targets == ["usps", "mnist_m", "syn_render"]
    assert list(results.skipped) == ["svhn"] and "no svhn files" in results.skipped["svhn"]
    assert set(results.accuracy) == {"mnist", "usps", "mnist_m", "syn_render"}
    assert all(0 <= value <= 1 for value in results.accuracy.values())
    assert results.test_images == dict.fromkeys(results.accuracy, 64)
    assert (results.train_images, results.val_images) == (270, 30)
    assert results.epochs_run == 2 and results.steps_run == 2 * 5
    assert results.train_images_per_second > 0 and results.wall_seconds > 0
    assert results.versions["keras"] == keras.__version__
    assert results.versions["keras_backend"] == keras.backend.backend()
    # DigitNet has no BatchNormalization: Precise BN is on but has nothing to record
    assert results.precise_bn is None
    # data files by their name in the data directory, no path of this machine
    assert {"mnist.npz", "usps.npz", "mnist_m.npz"} <= set(results.data_files)
    assert all(len(digest) == 64 for digest in results.data_files.values())
    text = (output / "results.json").read_text()
    assert str(real_data_dir) not in text and str(Path.home()) + "/" not in text
    assert results.data_dir == data_dir_setting(real_data_dir)
    # accuracies over 64 images: exact fractions k/64, without float32 noise
    for accuracy in results.accuracy.values():
        assert accuracy == round(round(accuracy * 64) / 64, 4)
    history = (output / "history.csv").read_text().splitlines()
    assert history[0].split(",") == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [line.split(",")[0] for line in history[1:]] == ["1", "2"]
    assert 1 <= results.best_epoch <= 2


def test_saved_model_takes_raw_pixels_and_reproduces_the_accuracy(reference_run, real_data_dir):
    from neurn_keras import datasets

    _, output, results = reference_run
    model = keras.models.load_model(output / "model.keras")
    assert model.get_layer("neurn") is not None and getattr(model, "optimizer", None) is None
    x, y = datasets.load_domain("usps", "test", data_dir=real_data_dir, limit=64)
    pixels = datasets.prepare(x, (32, 32, 3)).astype("float32")  # raw 0..255
    with warnings.catch_warnings():  # a bare array is what the model expects: no warning
        warnings.simplefilter("error")
        accuracy = float(np.mean(model.predict(pixels, verbose=0).argmax(-1) == y))
    assert round_accuracy(accuracy, len(y)) == results.accuracy["usps"]  # recorded rounded


def test_same_seed_same_accuracies(reference_run, real_data_dir, tmp_path):
    config, output, results = reference_run
    again = train_and_evaluate(
        config, tmp_path / "again", data_dir=real_data_dir, progress_bar=False
    )
    assert again.accuracy == results.accuracy
    assert (tmp_path / "again" / "history.csv").read_text() == (output / "history.csv").read_text()


def test_finished_run_is_not_redone(reference_run, real_data_dir, capsys):
    config, output, results = reference_run
    before = (output / "model.keras").stat().st_mtime_ns
    assert train_and_evaluate(config, output, data_dir=real_data_dir) == results
    assert "already complete" in capsys.readouterr().out
    assert (output / "model.keras").stat().st_mtime_ns == before


@pytest.mark.every_backend
def test_resume_after_an_interruption_gives_the_uninterrupted_result(
    reference_run, real_data_dir, tmp_path, interrupted_run
):
    config, reference_output, reference = reference_run
    output = tmp_path / "interrupted"
    interrupted_run(config, output, epoch=1)
    assert not (output / "results.json").exists() and (output / "resume" / "backup").is_dir()

    resumed = train_and_evaluate(config, output, data_dir=real_data_dir, progress_bar=False)
    assert resumed.epochs_run == 2
    assert resumed.accuracy == reference.accuracy
    assert (output / "history.csv").read_text() == (reference_output / "history.csv").read_text()
    assert [p.name for p in (output / "resume").iterdir()] == ["backup"]


@pytest.mark.every_backend
def test_batchnorm_model_is_recalibrated_and_resumes_to_the_same_numbers(
    real_data_dir, tmp_path, tiny_config, interrupted_run
):
    """MobileNetV2 with Precise BN: recorded, saved in model.keras, identical after a resume."""
    config = tiny_config(backbone="mobilenetv2", input_norm="none", targets=("usps",),
                         precise_bn=128)  # fmt: skip
    reference = train_and_evaluate(config, tmp_path / "ref", data_dir=real_data_dir)
    assert reference.precise_bn == {
        "images": 128, "batchnorm_layers": 52, "batches": 2, "recalibrations": 2
    }  # fmt: skip
    model = keras.models.load_model(tmp_path / "ref" / "model.keras")
    first = next(
        layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
    )
    assert not np.allclose(np.asarray(first.moving_mean), 0)  # not the initial statistics

    interrupted_run(config, tmp_path / "resumed", epoch=1)
    resumed = train_and_evaluate(config, tmp_path / "resumed", data_dir=real_data_dir)
    assert resumed.accuracy == reference.accuracy
    history = (tmp_path / "resumed" / "history.csv").read_text()
    assert history == (tmp_path / "ref" / "history.csv").read_text()


@pytest.mark.every_backend
def test_a_short_digits10k_run_with_an_augmentation(real_data_dir, tmp_path, capsys):
    """The literature's protocol, shortened to 60 steps, with RandConv and NeuRN."""
    output = tmp_path / "d10k"
    argv = ["--protocol", "digits10k", "--steps", "60", "--eval-every", "20", "--train-limit",
            "500", "--test-limit", "64", "--augment", "randconv", "--consistency", "10",
            "--targets", "usps", "--data-dir", str(real_data_dir), "--output", str(output),
            "--progress", "lines"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "RandConv (λ=10)+NeuRN (k=3, reflect)" in out and "epoch 3/3" in out
    record = load_record(output / "results.json")
    assert (record.protocol, record.augment, record.consistency) == ("digits10k", "randconv", 10)
    assert record.protocol_deviations == {
        "steps": [10000, 60], "eval_every": [250, 20], "train_limit": [10000, 500]
    }  # fmt: skip
    assert record.steps_run == 60 and record.epochs_run == 3 and record.max_epochs == 3
    assert record.train_images == 450 and record.config["batch_size"] == 32
    model = keras.models.load_model(output / "model.keras")
    assert [layer.name for layer in model.layers][:3] == ["pixels", "augment", "neurn"]
    pixels = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("float32")
    np.testing.assert_array_equal(
        model.predict(pixels, verbose=0), model.predict(pixels, verbose=0)
    )


@pytest.mark.every_backend
def test_cli_run_with_the_augmentation_after_neurn(real_data_dir, tmp_path, capsys):
    output = tmp_path / "after"
    argv = [*TINY_ARGV, "--epochs", "1", "--kernel-size", "3", "--augment", "prorandconv",
            "--augment-after-norm", "--targets", "usps", "--data-dir", str(real_data_dir),
            "--output", str(output), "--progress", "lines"]  # fmt: skip
    assert main(argv) == 0
    assert "NeuRN (k=3, reflect)+Pro-RandConv" in capsys.readouterr().out
    record = load_record(output / "results.json")
    assert record.augment_after_norm is True and record.config["augment_after_norm"] is True
    assert record.method().label() == "NeuRN (k=3, reflect)+Pro-RandConv"
    assert "--augment-after-norm" in record.train_argv
    model = keras.models.load_model(output / "model.keras")
    assert [layer.name for layer in model.layers][1:4] == ["neurn", "neurn_to_pixels", "augment"]


@pytest.mark.every_backend
def test_cli_run_with_the_neurn_variants_of_the_ablations(real_data_dir, tmp_path):
    """k=3, the maximum per channel, luminance and NeuRN again after DigitNet's conv1."""
    output = tmp_path / "variants"
    argv = [*TINY_ARGV, "--epochs", "1", "--targets", "usps", "--kernel-size", "3",
            "--normalize-over", "channel", "--color", "luminance", "--inner-neurn",
            "--data-dir", str(real_data_dir), "--output", str(output),
            "--progress", "lines"]  # fmt: skip
    assert main(argv) == 0
    results = load_record(output / "results.json")
    assert results.neurn_config["normalize_over"] == "channel"
    assert results.neurn_config["color"] == "luminance"
    assert results.method().tag() == "neurn-k3-reflect-perchannel-luminance-inner"
    model = keras.models.load_model(output / "model.keras")
    inner = model.get_layer("inner_neurn").get_config()
    # the same window and maximum; colour applies to the pixels only (64 feature channels)
    assert (inner["kernel_size"], inner["normalize_over"], inner["color"]) == (
        3, "channel", "rgb"
    )  # fmt: skip


@pytest.mark.every_backend
def test_cli_run_without_neurn(real_data_dir, tmp_path, capsys):
    output = tmp_path / "plain"
    argv = [
        *TINY_ARGV,
        "--no-neurn",
        "--epochs",
        "1",
        "--targets",
        "usps",
        "syn_render",
        "--data-dir",
        str(real_data_dir),
        "--output",
        str(output),
        "--progress",
        "lines",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "epoch 1/1" in out and f"results: {output / 'results.json'}" in out
    results = load_record(output / "results.json")
    assert results.neurn is False and results.neurn_config is None
    assert results.targets == ["usps", "syn_render"] and results.skipped == {}
    assert results.epochs_run == 1
    model = keras.models.load_model(output / "model.keras")
    assert "neurn" not in [layer.name for layer in model.layers]
    assert (output / "done").exists() and len(
        (output / "history.csv").read_text().splitlines()
    ) == 2


def test_init_from_replaces_the_head_for_another_class_count(real_data_dir, tmp_path, tiny_config):
    from neurn_keras import applications

    start = applications.build_model("digitnet", neurn=True, classes=27)
    start.save(tmp_path / "c27.keras")
    config = tiny_config(epochs=1, targets=("usps",), init_from=str(tmp_path / "c27.keras"))
    results = train_and_evaluate(
        config, tmp_path / "run", data_dir=real_data_dir, progress_bar=False
    )
    model = keras.models.load_model(tmp_path / "run" / "model.keras")
    assert model.output_shape == (None, 10)
    # every layer but the new head starts from the saved model: conv1 moved only by training
    assert model.get_layer("conv1").get_weights()[0].shape == (5, 5, 3, 64)
    assert results.config["init_from"].startswith("sha256:")


def test_distribute_trains_on_every_local_device(real_data_dir, tmp_path, tiny_config):
    config = tiny_config(epochs=1, targets=("usps",), train_limit=200)
    results = train_and_evaluate(
        config, tmp_path / "run", data_dir=real_data_dir, distribute=True, progress_bar=False
    )
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        devices = max(len(tf.config.list_logical_devices("GPU")), 1)
    else:
        import jax

        devices = len(jax.devices())
    assert results.distributed_replicas == devices
    assert 0 <= results.accuracy["usps"] <= 1


# ---------------------------------------------------------------------------- bad input


def run_bad(argv, capsys) -> str:
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own errors exit from parse_args
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("python -m neurn_keras.train: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backbone", "resnet9000"], "--backbone resnet9000: unknown backbone; choose one of"),
        (["--source", "kmnist"], "--source kmnist: unknown source domain"),
        (["--targets", "usps", "fashion"], "--targets fashion: unknown target domain"),
        (["--source", "usps", "--targets", "mnist", "usps"], "the source 'usps' is also listed"),
        (["--epochs", "zero"], "argument --epochs: 'zero' is not an integer"),
        (["--input-shape", "32", "32"], "argument --input-shape: expected 3 arguments"),
        (["--kernel-size", "4"], "--kernel-size 4: must be an odd integer"),
        (["--steps", "300"], "--steps and --eval-every go together"),
        (["--consistency", "10"], "--consistency 10.0: the consistency loss compares"),
    ],
)
def test_bad_names_exit_2_with_one_line(argv, message, capsys):
    assert message in run_bad(argv, capsys)


def test_missing_source_data_gives_the_loaders_message(tmp_path, capsys):
    line = run_bad(
        [*TINY_ARGV, "--data-dir", str(tmp_path), "--output", str(tmp_path / "o")], capsys
    )
    assert "mnist train: mnist: no train data found; looked in" in line
    assert str(tmp_path) in line and "pass --data-dir to point at the folder" in line
    assert not (tmp_path / "o").exists()


def test_missing_named_target_is_an_error(real_data_dir, tmp_path, capsys):
    argv = [
        *TINY_ARGV,
        "--targets",
        "svhn",
        "--data-dir",
        str(real_data_dir),
        "--output",
        str(tmp_path / "o"),
    ]
    assert "svhn test: svhn: no test data found" in run_bad(argv, capsys)
    assert not (tmp_path / "o").exists()  # a failed run leaves nothing behind...
    argv[argv.index("svhn")] = "usps"
    assert main([*argv, "--epochs", "1"]) == 0  # ...that would block the next one


@pytest.mark.parametrize("content", [b"not a model at all", b"PK\x03\x04 truncated zip"])
def test_init_from_a_file_that_is_not_a_model(real_data_dir, tmp_path, capsys, content):
    bogus = tmp_path / "model.keras"
    bogus.write_bytes(content)
    argv = [
        *TINY_ARGV,
        "--targets",
        "usps",
        "--init-from",
        str(bogus),
        "--data-dir",
        str(real_data_dir),
        "--output",
        str(tmp_path / "o"),
    ]
    line = run_bad(argv, capsys)
    assert f"--init-from {bogus} is not a Keras model file" in line
    assert not (tmp_path / "o").exists()


def test_init_from_is_checked_before_the_data(tmp_path, capsys):
    bogus = tmp_path / "README.md"
    bogus.write_text("# not a model")
    argv = ["--init-from", str(bogus), "--data-dir", str(tmp_path / "no-data")]
    line = run_bad([*argv, "--output", str(tmp_path / "o")], capsys)
    assert "is not a Keras model file" in line  # not the missing data directory
    assert not line.rstrip(".").endswith(("-", "…")) and "..." not in line


def test_init_from_with_another_input_shape(real_data_dir, tmp_path, capsys):
    from neurn_keras import applications

    applications.build_model("digitnet", neurn=True, input_shape=(32, 32, 1)).save(
        tmp_path / "gray.keras"
    )
    argv = [
        *TINY_ARGV,
        "--targets",
        "usps",
        "--init-from",
        str(tmp_path / "gray.keras"),
        "--data-dir",
        str(real_data_dir),
        "--output",
        str(tmp_path / "o"),
    ]
    assert "pass --input-shape 32 32 1" in run_bad(argv, capsys)
    assert not (tmp_path / "o").exists()


def test_output_holding_another_run_is_refused(reference_run, capsys):
    _, output, _ = reference_run
    line = run_bad([*TINY_ARGV, "--seed", "1", "--output", str(output)], capsys)
    assert f"--output {output} holds a run with other settings (" in line
    assert "seed: 0 -> 1" in line


def test_bad_input_in_a_real_process_prints_no_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "neurn_keras.train", "--backbone", "resnet9000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "python -m neurn_keras.train: error: --backbone resnet9000: unknown backbone; choose "
        "one of " + ", ".join(applications.BACKBONES)
    ]  # one line, and none of TensorFlow's start-up lines
    assert result.stdout == ""


def test_a_run_that_fails_after_taking_its_folder_leaves_nothing(tmp_path, capsys, monkeypatch):
    """The data check passes (a file of the right name) but loading fails inside the lock:
    no folder, no lock, and no parent folder made for it (``runs/`` without --output)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mnist.npz").write_bytes(b"not an npz file")
    monkeypatch.chdir(tmp_path)
    line = run_bad([*TINY_ARGV, "--data-dir", str(tmp_path / "data")], capsys)
    assert "mnist" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_a_backend_that_is_not_installed_is_one_line(tmp_path):
    """KERAS_BACKEND names a backend whose package is missing: the install command, exit 2
    (a package that cannot be imported stands in for it)."""
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'torch' else real(name, *a)\n"
    )
    environment = {
        **os.environ,
        "KERAS_BACKEND": "torch",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "neurn_keras.train", "--steps", "1", "--eval-every", "1"],
        capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install torch" in lines[0], result.stderr[-2000:]
    assert not (tmp_path / "runs").exists()
