"""A run killed at each kill point and started again ends with the numbers of a run never
killed, bit for bit (TensorFlow, CPU): what ``docs/results/faults.md`` reports."""

from __future__ import annotations

import signal

import pytest

from benchmarks import faults
from neurn_keras.training.faults import POINTS


def test_every_kill_point_is_measured():
    assert set(faults.KILL_AT) == set(POINTS)


@pytest.mark.slow
def test_every_kill_point_resumes_to_the_same_result(real_data_dir, tmp_path):
    reference, measured = faults.measure(tmp_path, real_data_dir)
    assert len(reference["history"]) == 3 and reference["record"]["precise_bn"]["batches"] == 2
    for item in measured:
        assert item["killed_exit"] == -signal.SIGKILL, item["point"]  # the kill happened...
        assert "done" not in item["left_after_kill"], item["point"]  # ...before the end
        assert item["resumed_exit"] == 0, item["point"]
        assert item["differences"] == [], item["point"]
    assert faults.verdict(measured) == (len(POINTS), len(POINTS))


def test_a_difference_is_found():
    """The comparison is not blind: another history or accuracy is a difference."""
    run = {"record": {"accuracy": {"mnist": 0.5}, "best_epoch": 2}, "history": [{"loss": "1"}]}
    other = {"record": {"accuracy": {"mnist": 0.5}, "best_epoch": 3}, "history": [{"loss": "2"}]}
    assert faults.differences(run, run) == []
    assert faults.differences(run, other) == ["best_epoch: 2 != 3", "history.csv differs"]
