"""The old names of the cortex comparison, Needleman–Wunsch and the tools, kept for one
release: each warns, naming the new one, and gives the same objects."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys

import pytest


def fresh_import(monkeypatch, name: str):
    """Imports ``name`` as if for the first time (its module-level warning fires again)."""
    for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        monkeypatch.delitem(sys.modules, loaded)
    return importlib.import_module(name)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("neurn_keras.alignment", "neurn_keras.cortex"),
        ("neurn_keras.alignment.figures", "neurn_keras.cortex.figures"),
        ("neurn_keras.alignment.representations", "neurn_keras.cortex.representations"),
        ("neurn_keras.alignment.pipeline", "neurn_keras.cortex"),
        ("neurn_keras.archsim.alignment", "neurn_keras.archsim.needleman_wunsch"),
        ("neurn_keras.align", "neurn_keras.cli.cortex"),
        ("neurn_keras.demo", "neurn_keras.cli.demo"),
        ("neurn_keras.archsim.__main__", "neurn_keras.cli.archsim"),
        ("neurn_keras.neuro.__main__", "neurn_keras.cli.neuro"),
    ],
)
def test_old_modules_warn_and_name_the_new_one(monkeypatch, old, new):
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated .* use {new}"):
        fresh_import(monkeypatch, old)


def test_old_modules_give_the_new_objects(monkeypatch):
    from neurn_keras import archsim, cortex
    from neurn_keras.cli import cortex as cortex_cli
    from neurn_keras.cortex import figures

    with pytest.warns(DeprecationWarning):
        alignment = fresh_import(monkeypatch, "neurn_keras.alignment")
        from neurn_keras.align import main
        from neurn_keras.alignment import figures as old_figures
        from neurn_keras.alignment.pipeline import rmse_analysis
        from neurn_keras.alignment.rsa import rsa_scores
        from neurn_keras.archsim.alignment import align
    assert alignment.rsa_analysis is cortex.rsa_analysis
    assert alignment.walk_layers is not None and alignment.has_neurn is not None
    assert old_figures is figures and old_figures.save_figure is not None
    assert rmse_analysis is cortex.rmse_analysis and rsa_scores is cortex.rsa_scores
    assert align is archsim.needleman_wunsch
    assert main is cortex_cli.main


def test_archsim_align_is_needleman_wunsch_with_a_warning():
    from neurn_keras import archsim

    with pytest.warns(DeprecationWarning, match="use neurn_keras.archsim.needleman_wunsch"):
        assert archsim.align is archsim.needleman_wunsch


def test_python_m_align_runs_the_cortex_tool_with_a_future_warning():
    done = subprocess.run(
        [sys.executable, "-m", "neurn_keras.align", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=120,
    )
    assert done.returncode == 0
    assert "usage: python -m neurn_keras.cortex" in done.stdout
    assert "FutureWarning: python -m neurn_keras.align is deprecated" in done.stderr
    assert "use python -m neurn_keras.cortex" in done.stderr
