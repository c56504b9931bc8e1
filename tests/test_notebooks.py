"""The notebooks start quietly, find the data wherever Jupyter was started, and their
rendered copies (docs/notebooks, with outputs) match them.

Each notebook's first code cell imports ``neurn_keras`` before anything that imports
TensorFlow, and reads a relative ``NEURN_DATA_DIR`` from the repository root (Jupyter
runs a notebook in ``notebooks/``). Here that cell and every import of the notebook run
in a fresh Python in ``notebooks/``, as a kernel would, with the README's relative
``NEURN_DATA_DIR`` and without ``TF_CPP_MIN_LOG_LEVEL``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RENDERED = ROOT / "docs" / "notebooks"
RENDER = "python -m benchmarks.render_notebooks"
LARGEST_RENDERED = 2 * 2**20
TENSORFLOW_LINE = re.compile(
    r"^([IWEF]\d{4} \d\d:\d\d:\d\d|WARNING: All log messages before absl"
    r"|To enable the following instructions)"
)
"""A line TensorFlow's C++ runtime prints (absl's log format, its CPU-feature notice)."""
FIRST_OP = "import keras\nkeras.ops.convert_to_numpy(keras.ops.ones(1))\n"
"""The first computation, where TensorFlow looks for a GPU (the ``cuInit`` line)."""


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def code_cells(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in cells(path) if cell["cell_type"] == "code"]


def import_program(path: Path) -> str:
    """The notebook's first code cell, then every import statement of the other cells."""
    setup, *rest = code_cells(path)
    imports = [
        ast.unparse(node)
        for source in rest
        for node in ast.parse(source).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    return "\n".join([setup, *imports, FIRST_OP])


def run_in_notebooks(code: str, data_dir: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    if data_dir is not None:
        env["NEURN_DATA_DIR"] = data_dir
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT / "notebooks",
        env=env,
    )


def tensorflow_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if TENSORFLOW_LINE.match(line)]


def test_the_pattern_knows_tensorflow_lines():
    assert tensorflow_lines(
        "W0000 00:00:1796462938.549723   17131 port.cc:153] oneDNN custom operations\n"
        "E0000 00:00:1796462969.448412   17263 cuda_platform.cc:52] failed call to cuInit\n"
        "data directory: /data\n"
    ) == [
        "W0000 00:00:1796462938.549723   17131 port.cc:153] oneDNN custom operations",
        "E0000 00:00:1796462969.448412   17263 cuda_platform.cc:52] failed call to cuInit",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_neurn_keras_is_the_first_package_imported(path):
    imported = [
        (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]
        for node in ast.parse(code_cells(path)[0]).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    packages = [name for name in imported if name not in sys.stdlib_module_names]
    assert packages[0] == "neurn_keras"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_imports_print_no_tensorflow_lines_and_find_the_data(path, real_data_dir):
    relative = os.path.relpath(real_data_dir, ROOT)  # as the README sets it: ../shared/data
    assert not Path(relative).is_absolute()
    result = run_in_notebooks(import_program(path), data_dir=relative)
    assert result.returncode == 0, result.stderr[-3000:]
    assert tensorflow_lines(result.stderr) == []
    if "resolve_data_dir" in code_cells(path)[0]:
        assert f"data directory: {real_data_dir.resolve()}" in result.stdout


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="TensorFlow's start-up lines: the TensorFlow backend only",
)
def test_the_library_order_is_quiet_and_keras_first_is_not():
    """``import neurn_keras`` first silences TensorFlow's start-up; imported after Keras
    it cannot: TensorFlow has printed already (documented in docs/deploying.md and the
    package's docstring)."""
    quiet = run_in_notebooks("import neurn_keras\n" + FIRST_OP)
    loud = run_in_notebooks("import keras\nimport neurn_keras\n" + FIRST_OP)
    assert quiet.returncode == 0 and loud.returncode == 0, quiet.stderr + loud.stderr
    assert tensorflow_lines(quiet.stderr) == []
    assert tensorflow_lines(loud.stderr) != []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_sources_carry_no_outputs(path):
    code = [cell for cell in cells(path) if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_rendered_copy_ran_todays_defaults(path):
    """A rendered copy stores the fingerprint of the package's defaults it ran with; a
    default changed since (and shown, perhaps, in its outputs) makes it stale."""
    from benchmarks.render_notebooks import defaults_fingerprint

    stored = json.loads((RENDERED / path.name).read_text(encoding="utf-8"))["metadata"]
    found = stored.get("neurn_keras", {}).get("defaults_fingerprint")
    assert found == defaults_fingerprint(), f"run {RENDER} {path.name[:2]}"


def test_every_notebook_has_a_rendered_copy():
    assert sorted(p.name for p in RENDERED.glob("*.ipynb")) == [p.name for p in NOTEBOOKS], (
        f"run {RENDER}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_the_rendered_copy_has_the_sources_cells_and_clean_outputs(path):
    rendered = RENDERED / path.name
    assert [(c["cell_type"], "".join(c["source"])) for c in cells(rendered)] == [
        (c["cell_type"], "".join(c["source"])) for c in cells(path)
    ], f"{rendered.relative_to(ROOT)} is out of date: run {RENDER} {path.name[:2]}"
    code = [cell for cell in cells(rendered) if cell["cell_type"] == "code"]
    assert all(cell["execution_count"] for cell in code)  # every cell ran
    outputs = [output for cell in code for output in cell["outputs"]]
    assert not [output for output in outputs if output["output_type"] == "error"]
    text = "".join("".join(output.get("text", "")) for output in outputs)
    assert tensorflow_lines(text) == [] and "IProgress" not in text and "\r" not in text
    assert rendered.stat().st_size < LARGEST_RENDERED
