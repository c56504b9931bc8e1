"""The backbones' declaration (``neurn_keras/backbones.py``) and what derives from it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neurn_keras import backbones

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("keras", "tensorflow", "numpy", "jax", "torch")

TABLE1_ORDER = (
    "digitnet",
    "vgg19",
    "efficientnetb0",
    "densenet121",
    "shufflenetv2",
    "xception",
    "nasnetmobile",
    "resnet50v2",
    "inceptionv3",
    "mobilenetv2",
    "vit",
)
"""The paper's Table 1 order, DigitNet (not in the paper) first: typed here once more, as the
test's own record of what the declaration must say."""


def run_python(*args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def heavy_modules(names) -> list[str]:
    return sorted({name for name in names if name.split(".")[0] in HEAVY})


def test_the_module_imports_no_keras_tensorflow_or_numpy():
    """Loaded on its own in a fresh interpreter, the declaration imports nothing heavy."""
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('neurn_keras.backbones', "
        f"{str(ROOT / 'neurn_keras' / 'backbones.py')!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules[spec.name] = module\n"
        "spec.loader.exec_module(module)\n"
        "assert module.NAMES[0] == 'digitnet'\n"
        "print('\\n'.join(sys.modules))\n"
    )
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert heavy_modules(result.stdout.split()) == []


def test_importing_neurn_keras_backbones_as_a_command_imports_no_keras():
    """``import neurn_keras.backbones`` through the package, as a command-line tool does it."""
    result = run_python("-X", "importtime", "-m", "neurn_keras.backbones")
    assert result.returncode == 0, result.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "neurn_keras" in imported
    assert heavy_modules(imported) == []
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == list(TABLE1_ORDER)


def test_the_order_is_explicit_and_the_papers():
    assert backbones.NAMES == TABLE1_ORDER
    assert [b.name for b in backbones.BACKBONES] == list(TABLE1_ORDER)
    assert [backbones.order(name) for name in TABLE1_ORDER] == list(range(len(TABLE1_ORDER)))
    assert backbones.order("resnet9000") == len(TABLE1_ORDER)


def test_every_declaration_is_consistent():
    labels = [b.label for b in backbones.BACKBONES]
    assert len(set(labels)) == len(labels)
    for b in backbones.BACKBONES:
        assert b.name == b.name.lower() and b.name.isidentifier()
        assert 1 <= b.min_size <= b.default_size
        assert b.preprocessing in ("caffe", "tf", "torch", "unit", "pixels")
        if b.from_keras:
            assert b.code == f"keras.applications.{b.label}" and b.imagenet_weights
        else:
            assert b.code.startswith("neurn_keras.applications.") and not b.imagenet_weights
    assert backbones.get("digitnet").paper_row is None
    assert backbones.get("shufflenetv2").paper_row == "ShuffleNet"
    assert all(b.paper_row for b in backbones.BACKBONES if b.name != "digitnet")


def test_get_and_label():
    assert backbones.get("mobilenetv2").label == "MobileNetV2"
    assert backbones.label("mobilenetv2") == "MobileNetV2"
    assert backbones.label("resnet9000") == "resnet9000"
    with pytest.raises(ValueError, match=r"unknown backbone 'vgg16'; choose one of digitnet, vgg"):
        backbones.get("vgg16")


# ------------------------------------------------------------ what derives from it


def test_the_train_cli_lists_the_declared_backbones_in_order():
    from neurn_keras.cli import train

    text = ", ".join(TABLE1_ORDER)
    assert train.BACKBONES_TEXT == text
    help_text = " ".join(train.build_parser().format_help().split())
    assert f"backbones: {text}." in help_text
    assert f"backbone: {text} (default digitnet)" in help_text


def test_table_rows_follow_the_declared_order_and_labels():
    from neurn_keras.training import tables

    rows = [tables.Row(name, tables.Method(), ()) for name in reversed((*TABLE1_ORDER, "other"))]
    ordered = sorted(rows, key=tables._row_order)
    assert [row.backbone for row in ordered] == [*TABLE1_ORDER, "other"]
    assert [tables.backbone_label(name) for name in TABLE1_ORDER] == [
        b.label for b in backbones.BACKBONES
    ]
    assert tables.backbone_label("other") == "other"
