"""The Python examples of the README's applications section run and do what they say."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[2] / "README.md"


def section_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- section: applications -->(.*?)<!-- /section: applications -->", text, re.DOTALL
    )
    assert match, "README.md has no applications section"
    return re.findall(r"```python\n(.*?)```", match.group(1), re.DOTALL)


def test_the_readme_examples_run():
    examples = section_examples()
    assert len(examples) == 2
    build_model, drop_in = ({} for _ in examples)
    exec(examples[0], build_model)
    assert build_model["probabilities"].shape == (4, 10)
    np.testing.assert_allclose(build_model["probabilities"].sum(axis=1), 1.0, atol=1e-5)
    exec(examples[1], drop_in)
    model = drop_in["model"]
    assert type(model.layers[1]).__name__ == "NeuRN"
    assert model.output.shape == (None, 10)
