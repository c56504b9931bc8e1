"""The code of docs/deploying.md runs, top to bottom, and each path gives Keras's answer."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploying.md"

pytestmark = [
    pytest.mark.skipif(
        keras.backend.backend() != "tensorflow",
        reason="docs/deploying.md exports SavedModel and TFLite: TensorFlow backend only",
    ),
    pytest.mark.filterwarnings(r"ignore:\s*Warning. tf.lite.Interpreter is deprecated:UserWarning"),
]


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_deployment_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for code in examples():
        exec(code, namespace)
    model, images = namespace["model"], namespace["images"]
    expected = model.predict(images, verbose=0)
    np.testing.assert_allclose(namespace["same"].predict(images, verbose=0), expected, atol=1e-6)
    np.testing.assert_allclose(namespace["probabilities"].numpy(), expected, atol=1e-5)
    for name in ("digitnet_neurn.tflite", "digitnet_neurn_int8.tflite"):
        assert (tmp_path / name).stat().st_size > 0
    assert capsys.readouterr().out.split()[-1] in {str(c) for c in range(10)}
