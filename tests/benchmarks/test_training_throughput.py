"""benchmarks.training_throughput: one small measured run, and its ratios."""

from __future__ import annotations

import pytest

from benchmarks import training_throughput

SMALL = ["--backends", "tensorflow", "--models", "digitnet", "--rounds", "1", "--steps", "2",
         "--batch", "16"]  # fmt: skip


def test_a_run_measures_every_case():
    """One small measurement in its own process (the page is rebuilt from the committed
    file by ``benchmarks.rebuild``, tested in ``test_rebuild.py``)."""
    saved = training_throughput.measure_all(training_throughput.parse_args(SMALL))
    measured = saved["results"]["tensorflow"]
    expected = {f"digitnet/{case}" for case in ("step/plain", "step/neurn", "arrays/neurn",
                                                 "pipeline/neurn", "stream/neurn")}  # fmt: skip
    assert set(measured) == expected | {"digitnet/pipeline/neurn/epoch_s", "versions", "platform"}
    assert all(measured[key] > 0 for key in expected)
    assert measured["digitnet/pipeline/neurn/epoch_s"] >= 0
    assert measured["versions"]["keras_backend"] == "tensorflow"


def test_the_ratios_are_time_per_image_over_the_floor_with_the_epoch_spread_over_its_steps():
    """At batch 100: the floor 1 ms an image; train 1.5 ms an image per step and 10 s of
    fixed work an epoch: over 36 steps (3,600 images) 1.5 + 10/3.6 = 4.28 ms an image,
    over 211 steps 1.5 + 10/21.1 = 1.97 ms."""
    measured = {"digitnet/step/plain": 1000.0, "digitnet/step/neurn": 800.0,
                "digitnet/pipeline/neurn": 1000 / 1.5,
                "digitnet/pipeline/neurn/epoch_s": 10.0}  # fmt: skip
    tp = training_throughput
    assert tp.epoch_ratio(measured, "digitnet", 36, 100) == pytest.approx(1.5 + 10 / 3.6)
    assert tp.epoch_ratio(measured, "digitnet", 211, 100) == pytest.approx(1.5 + 10 / 21.1)
    shares = tp.time_shares(measured, "digitnet", 211, 100)
    assert shares == pytest.approx({"NeuRN": 0.25, "the feed and callbacks per step": 0.25,
                                    "the epoch's fixed work": 10 / 21.1})  # fmt: skip
    row = tp.table({"jax": measured}, ["digitnet"], batch=100).splitlines()[2]
    assert row.endswith("| 10.00 | 4.28× ✗ | 1.97× ✗ |")
    summary = tp.readme_summary({"tensorflow": measured, "jax": measured}, ["digitnet"], 100)
    assert "tensorflow 1.97× (floor 1.00× TensorFlow's); jax 1.97×" in summary
    assert "- digitnet on jax, MNIST (211 steps an epoch): 1.97× = 1 + NeuRN +25%" in (
        tp.where_the_time_goes({"jax": measured}, ["digitnet"], 100)
    )


def test_a_slower_floor_is_named_as_the_backends_own_gap():
    results = {
        "jax": {"digitnet/step/plain": 250.0},
        "tensorflow": {"digitnet/step/plain": 1000.0},
        "torch": {"digitnet/step/plain": 900.0},  # within 1.25x: not a gap
    }
    gaps = training_throughput.backend_gaps(results, ["digitnet"])
    assert "jax's floor is 0.25× (digitnet) TensorFlow's." in gaps and "torch" not in gaps
    assert training_throughput.backend_gaps({"tensorflow": results["tensorflow"]}) == ""
