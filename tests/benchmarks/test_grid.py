"""benchmarks._grid: two workers can share one grid."""

from __future__ import annotations

from benchmarks import neurn_ablations
from benchmarks._grid import run_cells
from benchmarks.results import CellStore
from neurn_keras.training.rundir import RunDirectory


def test_a_cell_another_process_holds_is_skipped_not_failed(tmp_path):
    cell = neurn_ablations.configs()[0]
    runs = tmp_path / "runs"
    store = CellStore(tmp_path / "cells")
    lines = []
    with RunDirectory(runs / cell.cell_name()).locked():  # held: as by a second worker
        failed = run_cells([cell], runs, store, log=lines.append)
    assert failed == []
    assert lines[-1].startswith("  skipped: another process runs it")
    assert not store.has(cell)
    assert not (runs / cell.cell_name() / "train.log").exists()  # nothing was launched
