"""benchmarks.results: the one average, rows matched through the records, the statistics,
and a page's environment line from its records."""

from __future__ import annotations

import itertools

import pytest

from benchmarks import results
from neurn_keras.training import RunRecord


def record(seed: int, accuracy: dict, input_norm: str = "none", **fields) -> RunRecord:
    neurn = input_norm == "neurn"
    return RunRecord(
        backbone="digitnet", input_norm=input_norm, neurn=neurn,
        neurn_config={"kernel_size": 3, "padding": "reflect"} if neurn else None,
        augment="none", consistency=0.0, source="mnist", targets=[], input_shape=[32, 32, 3],
        seed=seed, accuracy=accuracy, test_images={}, train_images=1, val_images=1,
        epochs_run=1, steps_run=1, max_epochs=1, best_epoch=1, best_val_accuracy=0.5,
        stopped_early=False, precise_bn=None, train_images_per_second=None, wall_seconds=1.0,
        distributed_replicas=1, config={}, train_argv=[], versions={}, platform="",
        data_files={}, **fields,
    )  # fmt: skip


def test_the_average_is_over_the_real_targets_only():
    accuracy = {"mnist": 0.99, "usps": 0.8, "mnist_m": 0.6, "syn_render": 0.1}
    assert results.real_targets(accuracy, "mnist") == ["usps", "mnist_m"]
    assert results.average_over_targets(accuracy, "mnist") == pytest.approx(0.7)
    with pytest.raises(ValueError, match="no real target"):
        results.average_over_targets({"mnist": 0.9, "syn_render": 0.2}, "mnist")


def test_rows_are_matched_through_each_records_method():
    rows = {"ERM": results.method_of(input_norm="none"),
            "NeuRN (k=3)": results.method_of(input_norm="neurn", kernel_size=3)}  # fmt: skip
    found = results.records_by_row(
        [record(0, {"mnist": 1.0}), record(1, {"mnist": 1.0}, "neurn"),
         record(2, {"mnist": 1.0}, "lcn")], rows,
    )  # fmt: skip
    assert {name: sorted(seeds) for name, seeds in found.items()} == {
        "ERM": [0],
        "NeuRN (k=3)": [1],
    }
    with pytest.raises(ValueError, match="two records of seed 0"):
        results.records_by_row([record(0, {"mnist": 1.0}), record(0, {"mnist": 0.5})], rows)


def test_a_paired_interval_holds_the_mean_and_needs_two_pairs():
    comparison = results.paired({0: 0.7, 1: 0.72, 2: 0.69, 3: 0.9}, {0: 0.6, 1: 0.65, 2: 0.6})
    assert comparison.n == 3 and comparison.mean == pytest.approx((0.1 + 0.07 + 0.09) / 3)
    low, high = comparison.interval()
    assert low < comparison.mean < high and comparison.p < 0.05
    assert results.paired({0: 0.7}, {0: 0.6}).interval() is None


def test_the_permutation_test_is_exact():
    ours, theirs = [1, 1, -1, 1, -1, 1, 1], [1, -1, -1, 1, 1, 1, -1]
    agree, p = results.permutation_agreement(ours, theirs)
    orders = list(itertools.permutations(ours))
    brute = sum(sum(a == b for a, b in zip(o, theirs, strict=True)) >= agree for o in orders)
    assert agree == 4 and p == pytest.approx(brute / len(orders))


def test_measured_on_comes_from_the_records():
    versions = {"python": "3.11.7", "keras": "3.15.1", "keras_backend": "jax", "jax": "0.10.2",
                "numpy": "2.4.6"}  # fmt: skip
    one = [(versions, "Linux; x86_64")] * 2
    assert (
        results.measured_on(one) == "x86_64, Python 3.11.7, keras 3.15.1 (jax 0.10.2), numpy 2.4.6"
    )
    other = {**versions, "keras_backend": "tensorflow", "tensorflow": "2.21.0"}
    mixed = results.measured_on([*one, (other, "x86_64")])
    assert "(jax 0.10.2), numpy 2.4.6 (2 runs)" in mixed and "(tensorflow 2.21.0)" in mixed
    assert results.measured_on([]) == "nothing measured yet"


def test_a_small_p_is_never_printed_as_zero():
    assert results.p_text(0.00023) == "2.3e-04"
    assert results.p_text(0.0456) == "0.046"
    assert results.p_text(0.001) == "0.001"
    assert results.p_text(None) == "–"
