"""The examples in the docstrings (``>>>``) run and show what they print."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "neurn_keras"
PUBLIC = (
    "neurn_keras.layers.neurn",
    "neurn_keras.applications",
    "neurn_keras.cortex",
    "neurn_keras.cortex.rsa",
    "neurn_keras.archsim.needleman_wunsch",
)
"""Modules of the public API that must keep an example."""


def modules_with_examples() -> list[str]:
    """Every module of the package whose source holds a ``>>>`` example."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_public_api_has_examples():
    assert set(PUBLIC) <= set(modules_with_examples())


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags)
    assert result.attempted > 0 and result.failed == 0, f"{name}: see the output above"
