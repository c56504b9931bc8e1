"""Loading a saved NeuRN model in a fresh Python: ``neurn_keras.load_model``, and what plain
``keras.saving.load_model`` does without ``import neurn_keras`` (documented in
docs/deploying.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from neurn_keras import applications


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved model with NeuRN (k=3), and its output for a fixed batch."""
    keras.utils.set_random_seed(0)
    inner = keras.Sequential(
        [keras.Input((12, 12, 1)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    model = applications.with_neurn(inner, kernel_size=3, output_range="[0, 1]")
    path = tmp_path_factory.mktemp("model") / "neurn_model.keras"
    model.save(path)
    images = np.random.default_rng(0).integers(0, 256, (2, 12, 12, 1)).astype("float32")
    np.save(path.with_suffix(".npy"), images)
    return path, keras.ops.convert_to_numpy(model(images))


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )


def test_neurn_keras_load_model_in_a_fresh_process(saved):
    path, expected = saved
    result = run_python(
        f"""
        import numpy as np
        from neurn_keras import load_model

        model = load_model({str(path)!r})
        images = np.load({str(path.with_suffix(".npy"))!r})
        print(model.get_layer("neurn").kernel_size)
        np.save({str(path.with_suffix(".out.npy"))!r}, np.asarray(model(images)))
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["3"]
    np.testing.assert_allclose(np.load(path.with_suffix(".out.npy")), expected, rtol=1e-6)


def test_keras_alone_cannot_find_neurn_and_the_import_is_the_fix(saved):
    """Today's behaviour: Keras imports only its own packages' modules while loading, so
    without ``import neurn_keras`` it raises TypeError "Could not locate class 'NeuRN'"
    (its message quotes the layer's config, whose ``module`` names neurn_keras)."""
    path, _ = saved
    result = run_python(
        f"""
        import keras

        try:
            keras.saving.load_model({str(path)!r})
        except TypeError as error:
            message = str(error)
            print("located" if "Could not locate class 'NeuRN'" in message else "other")
            print("named" if "neurn_keras.layers" in message else "unnamed")
        else:
            print("loaded")
        import neurn_keras

        print(type(keras.saving.load_model({str(path)!r}).get_layer("neurn")).__name__)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["located", "named", "NeuRN"]
