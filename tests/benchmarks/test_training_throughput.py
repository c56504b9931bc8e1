"""benchmarks.training_throughput: one small measured run, and its page rebuilt from the
results file alone."""

from __future__ import annotations

import json

from benchmarks import training_throughput

SMALL = ["--backends", "tensorflow", "--models", "digitnet", "--rounds", "1", "--steps", "1",
         "--batch", "16"]  # fmt: skip


def test_a_run_measures_every_case_and_report_only_rebuilds_its_page(tmp_path):
    page, results = tmp_path / "page.md", tmp_path / "results.json"
    files = ["--page", str(page), "--results", str(results)]
    assert training_throughput.main([*SMALL, *files]) == 0
    measured = json.loads(results.read_text())["results"]["tensorflow"]
    expected = {f"digitnet/{case}" for case in ("step/plain", "step/neurn", "arrays/neurn",
                                                 "pipeline/neurn", "stream/neurn")}  # fmt: skip
    assert expected <= set(measured)
    assert all(measured[key] > 0 for key in expected)
    written = page.read_text()
    page.unlink()
    assert training_throughput.main(["--report-only", *files]) == 0
    assert page.read_text() == written


def test_the_ratios_are_time_per_image_over_the_floor():
    results = {
        "tensorflow": {"digitnet/step/plain": 1000.0, "digitnet/pipeline/neurn": 900.0},
        "jax": {"digitnet/step/plain": 500.0, "digitnet/pipeline/neurn": 250.0},
    }
    summary = training_throughput.readme_summary(results, ["digitnet"])
    assert "tensorflow 1.11×, floor 1.00× TensorFlow's; jax 2.00×, floor 0.50×" in summary
    rows = training_throughput.table(results, ["digitnet"]).splitlines()[2:]
    assert rows[0].endswith("| 1.11× ✓ |") and rows[1].endswith("| 2.00× ✗ |")
