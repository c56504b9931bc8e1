"""python -m neurn_keras.archsim: what it writes, and one-line errors on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from neurn_keras.archsim import model_zoo as zoo_module
from neurn_keras.archsim import needleman_wunsch, similarity_matrix
from neurn_keras.archsim.outputs import read_matrix
from neurn_keras.cli.archsim import main

MODELS = ["VGG16", "VGG19", "MobileNetV2", "ResNet50"]


@pytest.fixture(scope="module")
def cli_output(small_zoo, zoo_cache, tmp_path_factory):
    """One CLI run on the cached small zoo (nothing is built: the build is refused)."""
    out = tmp_path_factory.mktemp("archsim_out")
    patch = pytest.MonkeyPatch()
    patch.setattr(zoo_module, "build_sequence", lambda model: pytest.fail(f"built {model.name}"))
    try:
        argv = ["--output", str(out), "--models", "VGG*", "MobileNetV2", "ResNet50"]
        assert main([*argv, "--cache-dir", str(zoo_cache), "--quiet"]) == 0
    finally:
        patch.undo()
    return out


def test_writes_the_matrix_as_csv(cli_output, small_zoo):
    matrix = read_matrix(cli_output / "similarity.csv")
    expected = similarity_matrix({n: small_zoo[n] for n in MODELS}, progress=False)
    assert list(matrix.index) == list(matrix.columns) == MODELS
    np.testing.assert_allclose(matrix.to_numpy(), expected.to_numpy(), atol=1e-6)


def test_writes_the_sequences_and_the_figure(cli_output, small_zoo):
    sequences = json.loads((cli_output / "sequences.json").read_text())
    assert sequences == {n: list(small_zoo[n]) for n in MODELS}
    png = (cli_output / "similarity_clustermap.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert not list(cli_output.glob("*.tmp*"))


def test_writes_the_vgg16_vgg19_alignment(cli_output, small_zoo):
    text = (cli_output / "alignment_VGG16_VGG19.txt").read_text()
    result = needleman_wunsch(small_zoo["VGG16"], small_zoo["VGG19"])
    assert f"similarity index {result.similarity:.4f}" in text
    columns = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(columns) == result.length == 44
    assert sum(line.startswith("- ") for line in columns) == 6  # 3 Conv2D + 3 ReLU in VGG19


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--models", "VGG16", "NoSuchNet*"], "matches no model"),
        (["--models", "VGG16"], "at least 2 models"),
        (["--models", "VGG*", "--pair", "VGG16", "VGG17"], "unknown model 'VGG17'"),
        (["--models", "VGG*", "--gap", "-100000"], "beyond"),
        (["--models", "VGG*", "--match", "1.5"], "invalid int value"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path, capsys):
    try:
        code = main(["--output", str(tmp_path / "out"), *argv])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["--output", str(target), "--models", "VGG*"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_missing_output_is_refused(capsys):
    assert main(["--models", "VGG*"]) == 2
    assert "--output is required" in capsys.readouterr().err


def test_list_prints_the_zoo(capsys):
    assert main(["--list"]) == 0
    names = capsys.readouterr().out.split()
    assert "VGG16" in names and "EfficientNetV2L" in names


def test_module_runs_as_a_program_with_help():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "neurn_keras.archsim", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0
    assert "Needleman-Wunsch" in done.stdout and "--output" in done.stdout
