"""The cortex, archsim, neuro and demo tools answer --help and bad arguments before
importing Keras, TensorFlow, pandas or rsatoolbox."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

HEAVY = {"keras", "tensorflow", "jax", "torch", "pandas", "rsatoolbox", "matplotlib"}


@pytest.mark.parametrize(
    "argv",
    [
        ["neurn_keras.cortex", "--help"],
        ["neurn_keras.cortex", "--model", "m.keras", "--output", "o", "--clusters", "0"],
        ["neurn_keras.archsim", "--help"],
        ["neurn_keras.archsim", "--output", "o", "--match", "one"],
        ["neurn_keras.neuro", "--help"],
        ["neurn_keras.neuro", "from-nwb", "--output", "x.npz", "--scene-size", "0x3"],
        ["neurn_keras.demo", "--help"],
        ["neurn_keras.demo", "--per-domain", "0"],
    ],
)
def test_answers_before_heavy_imports(argv, tmp_path):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode in (0, 2), done.stderr[-2000:]
    imported = {
        line.split("|")[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert not imported & HEAVY, sorted(imported & HEAVY)
    assert not list(tmp_path.iterdir())
