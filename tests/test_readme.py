"""The README's Python examples run, in order, and do what their comments say."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def test_the_readme_examples_run_and_do_what_they_say():
    found = examples()
    assert len(found) == 3
    layer, wrapped, backbone = ({} for _ in found)
    exec(found[0], layer)
    model = layer["model"]
    assert type(model.layers[1]).__name__ == "NeuRN" and model.layers[1].kernel_size == 3
    assert model.output.shape == (None, 10)
    exec(found[1], wrapped)
    pixels = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype("float32")
    model, base = wrapped["model"], wrapped["base"]
    assert model.get_layer("neurn") is not None and base in model.layers
    inverted = keras.ops.convert_to_numpy(model(255.0 - pixels))
    np.testing.assert_allclose(inverted, keras.ops.convert_to_numpy(model(pixels)), atol=1e-4)
    exec(found[2], backbone)
    assert backbone["probabilities"].shape == (4, 10)
    np.testing.assert_allclose(backbone["probabilities"].sum(axis=1), 1.0, atol=1e-5)
    assert backbone["model"].get_layer("neurn") is not None
