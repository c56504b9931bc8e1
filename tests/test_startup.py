"""How the package starts: CLIs answer without Keras, TensorFlow is not needed on JAX."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from neurn_keras._startup import started_as_command

HEAVY = ("keras", "tensorflow", "jax", "torch")


def imported_modules(
    *args: str, env: dict | None = None
) -> tuple[set[str], subprocess.CompletedProcess]:
    """Runs ``python -X importtime *args``: the top-level modules it imported, and the result."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    names = {
        line.split("|")[-1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return names, result


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "neurn_keras.train", "--help"],
        ["-m", "neurn_keras.train", "--epochs", "zero"],
        ["-m", "neurn_keras.sweep", "--help"],
        ["-m", "neurn_keras.table", "--help"],
    ],
)
def test_command_line_answers_before_importing_keras(argv):
    names, result = imported_modules(*argv)
    assert result.returncode in (0, 2), result.stderr[-2000:]
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


@pytest.mark.parametrize(
    ("argv", "script", "expected"),
    [
        (["python", "-m", "neurn_keras.train"], "-m", True),
        (["python", "-X", "importtime", "-m", "neurn_keras.cortex", "x"], "-m", True),
        (["python", "-m", "pytest"], "-m", False),
        (["python", "-c", "import neurn_keras"], "-c", False),
        (["python", "notebook.py"], "notebook.py", False),
        (["/venv/bin/python", "/venv/bin/neurn-train"], "/venv/bin/neurn-train", True),
    ],
)
def test_started_as_command(argv, script, expected):
    assert started_as_command(argv, script) is expected


def test_library_import_registers_the_layers():
    code = (
        "import neurn_keras, keras; print(keras.saving.get_registered_object('neurn_keras>NeuRN'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "NeuRN" in result.stdout


BLOCK_TENSORFLOW = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoTensorFlow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "tensorflow_datasets"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTensorFlow())
    """
)


@pytest.mark.usefixtures("real_data_dir")
def test_training_on_jax_without_tensorflow(tmp_path):
    """What a machine without TensorFlow sees: the import, a model and a short run."""
    pytest.importorskip("jax")
    output = tmp_path / "run"
    code = BLOCK_TENSORFLOW + textwrap.dedent(
        f"""
        import neurn_keras, keras
        assert keras.backend.backend() == "jax"
        from neurn_keras.cli.train import main
        rc = main(["--train-limit", "300", "--test-limit", "64", "--batch-size", "64",
                   "--epochs", "1", "--targets", "usps", "--output", {str(output)!r}])
        assert "tensorflow" not in sys.modules, "tensorflow was imported"
        sys.exit(rc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((output / "results.json").read_text())
    assert record["versions"]["keras_backend"] == "jax"
    assert set(record["accuracy"]) == {"mnist", "usps"}


def console_scripts() -> dict[str, str]:
    import configparser
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parents[1] / "setup.cfg")
    lines = config["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict(line.replace(" ", "").split("=") for line in lines)


def test_every_tool_is_a_console_script_without_keras_at_start():
    scripts = console_scripts()
    assert set(scripts) == {
        f"neurn-{tool}"
        for tool in ("train", "sweep", "table", "cortex", "archsim", "neuro", "demo")
    }
    for name, target in scripts.items():
        module, function = target.split(":")
        code = (
            f"import sys; sys.argv[0] = {name!r}; from {module} import {function}; "
            f"sys.exit({function}(['--help']))"
        )
        names, result = imported_modules("-c", code)
        assert result.returncode == 0, (name, result.stderr[-2000:])
        assert result.stdout.startswith(f"usage: {name}"), (name, result.stdout[:200])
        assert not names & set(HEAVY), (name, sorted(names & set(HEAVY)))
