"""benchmarks.gpu_run: it runs under JAX without TensorFlow (as on the GPU machine), and
its results file becomes the GPU section of the throughput page."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from benchmarks._throughput import gpu_section
from benchmarks.results import ROOT

WITHOUT_TENSORFLOW = """
import runpy, sys
sys.modules["tensorflow"] = None  # importing it fails, as on the GPU machine
sys.argv = ["gpu_run", *sys.argv[1:]]
runpy.run_module("benchmarks.gpu_run", run_name="__main__")
"""


def test_runs_under_jax_without_tensorflow(tmp_path):
    pytest.importorskip("jax")
    results = tmp_path / "gpu_run.json"
    command = [sys.executable, "-c", WITHOUT_TENSORFLOW, "--small", "--models", "digitnet",
               "--output", str(results)]  # fmt: skip
    environment = dict(os.environ, KERAS_BACKEND="jax")
    done = subprocess.run(
        command, capture_output=True, text=True, env=environment, cwd=ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(results.read_text())
    assert measured["versions"]["keras_backend"] == "jax" and not measured["skipped"]
    assert [row["shape"] for row in measured["neurn"]] == [[8, 32, 32, 3], [2, 64, 64, 3]]
    assert all(row["neurn_bytes_per_s"] > 0 < row["copy_bytes_per_s"] for row in measured["neurn"])
    assert sorted(measured["training"]) == [
        "digitnet/pipeline/neurn", "digitnet/pipeline/plain",
        "digitnet/step/neurn", "digitnet/step/plain",
    ]  # fmt: skip
    assert all(value > 0 for value in measured["training"].values())
    assert "| digitnet |" in done.stdout  # the section it would write


def fake_results() -> dict:
    return {
        "device": "gpu: NVIDIA H100",
        "settings": {"batch": 256, "steps": 50, "rounds": 5},
        "versions": {"jax": "0.10.2", "keras": "3.15.1", "python": "3.12.3"},
        "platform": "Linux",
        "neurn": [
            {
                "shape": [256, 32, 32, 3],
                "bytes": 6291456,
                "neurn_bytes_per_s": 1e11,
                "copy_bytes_per_s": 5e11,
            }
        ],
        "training": {
            "digitnet/step/plain": 40000.0,
            "digitnet/step/neurn": 38000.0,
            "digitnet/pipeline/plain": 30000.0,
            "digitnet/pipeline/neurn": 20000.0,
        },
        "skipped": ["training mobilenetv2"],
        "seconds": 300.0,
    }


def test_the_gpu_section_is_read_from_the_results_file(tmp_path):
    results = tmp_path / "gpu_run.json"
    results.write_text(json.dumps(fake_results()))
    section = gpu_section(results)
    assert section.lstrip().startswith("## On a GPU (JAX)") and "on gpu: NVIDIA H100" in section
    assert "| 256×32×32×3 | 100.0 GB/s | 500.0 GB/s | 5.0× |" in section
    assert (
        "| digitnet | 40,000 | 38,000 (0.95×) | 30,000 (0.75×) | 20,000 (0.50×) | 2.00× ✗ |"
        in section
    )
    assert "Not measured (past the time budget): training mobilenetv2." in section
    assert "Not measured yet" in gpu_section(tmp_path / "missing.json")
