"""Progress bars: no "IProgress not found" warning in a Jupyter kernel without ipywidgets."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest
import tqdm.std

from neurn_keras import _progress

# What tqdm takes for a Jupyter kernel: ipykernel's shell module is loaded.
IN_A_KERNEL = textwrap.dedent(
    """
    import sys, types, warnings
    import IPython
    sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
    warnings.simplefilter("always")
    """
)


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", IN_A_KERNEL + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_text_bar_without_ipywidgets(monkeypatch):
    real = importlib.util.find_spec

    def without_ipywidgets(name, *args):
        return None if name == "ipywidgets" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_ipywidgets)
    assert _progress.bar_class() is tqdm.std.tqdm
    with _progress.tqdm(total=2, disable=True) as bar:
        assert isinstance(bar, tqdm.std.tqdm)


def test_tqdm_auto_where_ipywidgets_is_installed(monkeypatch):
    import tqdm.auto

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: object())
    assert _progress.bar_class() is tqdm.auto.tqdm


def test_no_iprogress_warning_in_a_kernel_without_ipywidgets():
    if importlib.util.find_spec("ipywidgets") is not None:
        pytest.skip("ipywidgets is installed: the widget bar is used and does not warn")
    ours = run(
        """
        from neurn_keras import _progress
        for _ in _progress.tqdm(range(3)):
            pass
        """
    )
    plain = run("import tqdm.auto")  # what the package did before
    assert ours.returncode == 0, ours.stderr[-2000:]
    assert "IProgress not found" not in ours.stderr
    assert "IProgress not found" in plain.stderr


def test_no_iprogress_warning_from_umap_in_a_kernel():
    """umap imports tqdm.auto itself; the cortex sampling imports it without the warning."""
    if importlib.util.find_spec("ipywidgets") is not None:
        pytest.skip("ipywidgets is installed: the widget bar is used and does not warn")
    result = run(
        """
        from neurn_keras._progress import no_iprogress_warning
        with no_iprogress_warning():
            import umap.layouts
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "IProgress not found" not in result.stderr
