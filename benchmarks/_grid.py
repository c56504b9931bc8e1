"""Benchmark grids run cell by cell, resumably, each finished cell's record kept in the repo.

A cell is one ``python -m neurn_keras.train`` run (its own process, its own run
directory under ``runs/``, which git ignores). When it finishes, its ``results.json``,
its ``history.csv`` and any checks made on its saved model go to one small JSON file in
the repository (``docs/results/<page>/<grid>/<cell>.json``): the results pages are
generated from those files alone, so cells run on other machines (the GPU) come back as
files and join the page. Running a grid again skips every cell whose file exists.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from benchmarks.results import ROOT, CellStore, Finished
from neurn_keras.training import RunConfig, RunRecord, load_record


def add_grid_options(parser, name: str, cells: Path | None) -> None:
    """The options every grid script shares: ``--report-only --max-minutes --runs-dir
    --cells-dir`` (runs under ``runs/benchmarks/<name>``, cells in ``cells``). Without
    ``--report-only`` the script runs its missing cells first; either way it then writes
    its page and every section ``results.REGISTRY`` gives it."""
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="only write the page and its sections, from the committed records",
    )
    parser.add_argument(
        "--max-minutes", type=float, default=None, help="start no new cell after this many minutes"
    )
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "benchmarks" / name)
    parser.add_argument(
        "--cells-dir", type=Path, default=cells, help="where finished cells are kept"
    )


DIGIT_TARGETS = ("usps", "mnist_m", "syn_render")
"""The targets of the digits grids' cells from MNIST (their committed cells name these)."""


def protocol_cells(
    protocol: str, rows: dict, names, seeds, targets=DIGIT_TARGETS
) -> list[RunConfig]:
    """The ``RunConfig`` of every named row (``rows``: ``{name: (key, changes)}``) and seed,
    every row of a seed first (so a partial grid covers every row)."""
    return [
        RunConfig.for_protocol(protocol, targets=targets, seed=seed, **rows[name][1])
        for seed in seeds
        for name in names
    ]


def add_row_options(parser, rows: dict, names, seeds) -> None:
    """``--rows KEY ...`` (of the ``names`` a page runs) and ``--seeds N ...``."""
    keys = [rows[name][0] for name in names]
    parser.add_argument("--rows", nargs="+", choices=keys, default=keys, metavar="KEY",
                        help=f"only these rows' runs ({', '.join(keys)})")  # fmt: skip
    parser.add_argument("--seeds", nargs="+", type=int, choices=seeds, default=list(seeds))


def chosen_rows(rows: dict, keys) -> tuple[str, ...]:
    """The row names of ``--rows``' keys."""
    by_key = {key: name for name, (key, _) in rows.items()}
    return tuple(by_key[key] for key in keys)


def read_history(run_dir: Path) -> list[dict]:
    """``history.csv`` as a list of rows of numbers."""
    path = run_dir / "history.csv"
    if not path.exists():
        return []
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    return [{key: float(value) for key, value in row.items()} for row in rows]


def train_argv(config: RunConfig, output: Path, data_dir: Path | None) -> tuple[str, ...]:
    argv = [*config.to_argv(), "--output", str(output), "--progress", "lines"]
    if data_dir is not None:
        argv += ["--data-dir", str(data_dir)]
    return tuple(argv)


def run_cells(
    cells: Iterable[RunConfig],
    runs_dir: Path,
    store: CellStore,
    data_dir: Path | None = None,
    checks: Callable[[RunRecord, Path], dict] | None = None,
    max_minutes: float | None = None,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Runs every cell not in ``store`` (each in its own process) and stores it when done.

    Args:
        checks: called with the finished record and run directory; its dict is stored.
        max_minutes: start no new cell after this many minutes (a slice of a long grid).

    Returns:
        The names of the cells that failed (their ``train.log`` says why); a cell another
        process holds is skipped, not failed, so two workers can share one grid.
    """
    from neurn_keras.training.launchers import RUNNING_ELSEWHERE, Job, run_job

    started = time.monotonic()
    todo = [cell for cell in cells if not store.has(cell)]
    log(f"{len(todo)} cells to run; finished cells go to {store.directory}")
    failed = []
    for number, cell in enumerate(todo, 1):
        if max_minutes is not None and time.monotonic() - started > 60 * max_minutes:
            log(f"the {max_minutes:g}-minute budget is spent; {len(todo) - number + 1} cells left")
            break
        output = runs_dir / cell.cell_name()
        log(f"[{number}/{len(todo)}] {cell.cell_name()}")
        cell_started = time.monotonic()
        outcome = run_job(Job(cell.cell_name(), output, train_argv(cell, output, data_dir)))
        code = outcome.code
        if outcome.retried:
            log(f"  its process died; started {outcome.attempts} times in all")
        if code == RUNNING_ELSEWHERE:
            log("  skipped: another process runs it (its lock is in the run directory)")
            continue
        if code != 0:
            log(f"  FAILED (exit {code}); see {output / 'train.log'}")
            failed.append(cell.cell_name())
            if code == 130:
                raise KeyboardInterrupt
            continue
        record = load_record(output / "results.json")
        extra = checks(record, output) if checks else {}
        store.save(cell, Finished(record, read_history(output), extra))
        accuracy = ", ".join(f"{k} {100 * v:.1f}" for k, v in record.accuracy.items())
        log(f"  done in {(time.monotonic() - cell_started) / 60:.1f} min: {accuracy}")
    return failed


def run_grid(cells: Iterable[RunConfig], args) -> None:
    """``run_cells`` with the options of ``add_grid_options`` (``args``), then one line:
    the minutes it took and the cells that failed."""
    started = time.monotonic()
    failed = run_cells(
        cells, args.runs_dir, CellStore(args.cells_dir), max_minutes=args.max_minutes
    )
    print(f"{(time.monotonic() - started) / 60:.1f} min; failed: {failed or 'none'}")


def batchnorm_check(record: RunRecord, run_dir: Path, images: int = 1000, batch: int = 256):
    """The source test accuracy of the saved model in inference mode (moving statistics)
    and with each batch's own statistics, on the first ``images`` test images."""
    import keras
    import numpy as np

    from neurn_keras import datasets
    from neurn_keras.training.precise_bn import batchnorm_layers

    model = keras.models.load_model(run_dir / "model.keras")
    if not batchnorm_layers(model):
        return {}
    x, y = datasets.load_domain(record.source, "test", limit=images)
    x = datasets.prepare(x, tuple(record.input_shape)).astype("float32")
    inference = model.predict(x, batch_size=batch, verbose=0).argmax(-1)
    batch_statistics = np.concatenate(
        [
            keras.ops.convert_to_numpy(model(x[i : i + batch], training=True)).argmax(-1)
            for i in range(0, len(x), batch)
        ]
    )
    return {
        "batchnorm": {
            "images": len(y),
            "inference": float(np.mean(inference == y)),
            "batch_statistics": float(np.mean(batch_statistics == y)),
        }
    }


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}"
