"""python -m neurn_keras.sweep: cells named by their settings, skipped when done, resumed."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from neurn_keras.cli.sweep import build_parser, grid_cells, main
from neurn_keras.training import load_record, train_and_evaluate
from neurn_keras.training.backup import read_backup
from neurn_keras.training.grid import cell_dir, cell_status
from neurn_keras.training.rundir import RunDirectory

GRID = ["--backbones", "digitnet", "--sources", "mnist", "--neurn", "both", "--seeds", "0",
        "--targets", "usps", "--epochs", "1", "--train-limit", "300", "--test-limit", "64",
        "--batch-size", "64"]  # fmt: skip


def cells_of(argv):
    return grid_cells(build_parser().parse_args(argv))


def test_grid_expansion():
    argv = ["--backbones", "digitnet", "vgg19", "--sources", "mnist", "usps",
            "--seeds", "0", "1", "--kernel-sizes", "3", "5", "--paddings", "reflect", "zeros",
            "--output", "x"]  # fmt: skip
    cells = cells_of(argv)
    # per backbone, source and seed: one baseline and 2 x 2 NeuRN settings
    assert len(cells) == 2 * 2 * 2 * 5
    assert len({cell.cell_name() for cell in cells}) == len(cells)
    assert sum(not cell.neurn for cell in cells) == 8
    first = cells[:5]
    assert [c.cell_name().rsplit("-", 1)[0] for c in first] == [
        "digitnet-plain-mnist-seed0",
        "digitnet-neurn-k3-reflect-mnist-seed0",
        "digitnet-neurn-k3-zeros-mnist-seed0",
        "digitnet-neurn-k5-reflect-mnist-seed0",
        "digitnet-neurn-k5-zeros-mnist-seed0",
    ]
    assert all(c.epochs == 5 and c.train_limit == 10000 for c in cells)


def test_grid_of_methods_applies_the_consistency_loss_to_augmented_cells():
    argv = ["--input-norms", "none", "neurn", "lcn", "--augments", "none", "randconv",
            "--consistency", "10", "--seeds", "0", "--output", "x"]  # fmt: skip
    cells = cells_of(argv)
    assert [c.method().tag() for c in cells] == [
        "plain", "neurn-k3-reflect", "lcn",
        "randconv-c10+plain", "randconv-c10+neurn-k3-reflect", "randconv-c10+lcn",
    ]  # fmt: skip
    assert [c.consistency for c in cells] == [0, 0, 0, 10, 10, 10]
    protocol = cells_of(["--protocol", "digits10k", "--neurn", "on", "--output", "x"])
    assert {(c.steps, c.batch_size, c.protocol) for c in protocol} == {(10000, 32, "digits10k")}


def test_sweep_skips_done_cells_and_runs_the_others(real_data_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = [*GRID, "--output", str(runs), "--data-dir", str(real_data_dir)]
    plain, neurn = cells_of(argv)
    # one cell finished earlier (in this process), exactly where the sweep will look
    done = train_and_evaluate(neurn, cell_dir(runs, neurn), data_dir=real_data_dir)
    stamp = (cell_dir(runs, neurn) / "results.json").stat().st_mtime_ns
    capsys.readouterr()

    assert main(argv) == 0  # runs the other cell in its own process
    out = capsys.readouterr().out
    assert "2 cells in" in out and "1 complete (skipped), 0 to resume, 1 new" in out
    assert cell_status(cell_dir(runs, plain)) == "done"
    assert (cell_dir(runs, neurn) / "results.json").stat().st_mtime_ns == stamp
    log = (cell_dir(runs, plain) / "train.log").read_text()
    assert "epoch 1/1" in log and "--input-norm none" in log
    record = load_record(cell_dir(runs, plain) / "results.json")
    assert record.neurn is False and record.config == plain.identity()

    stamps = {p: p.stat().st_mtime_ns for p in runs.rglob("*") if p.is_file()}
    assert main(argv) == 0  # again: nothing to do, nothing rewritten
    assert "2 complete (skipped), 0 to resume, 0 new" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in runs.rglob("*") if p.is_file()} == stamps

    from neurn_keras.cli.table import main as table

    assert table([str(runs)]) == 0
    rows = capsys.readouterr().out.splitlines()[2:4]
    assert rows[0].startswith("| DigitNet | ") and rows[1].startswith("| DigitNet+NeuRN | ")
    accuracy = f"{100 * done.accuracy['usps']:.2f}"
    assert accuracy in rows[1]


def test_dry_run_shows_each_cells_status(tmp_path, capsys):
    argv = [*GRID, "--output", str(tmp_path), "--dry-run"]
    plain, neurn = cells_of(argv)
    RunDirectory(cell_dir(tmp_path, neurn)).claim(neurn)  # started: config.json
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"new      {cell_dir(tmp_path, plain)}",
        f"started  {cell_dir(tmp_path, neurn)}",
    ]


def test_changed_settings_make_new_cells(tmp_path):
    plain = cells_of([*GRID, "--output", str(tmp_path)])[0]
    longer = cells_of([*GRID, "--epochs", "2", "--output", str(tmp_path)])[0]
    assert cell_dir(tmp_path, plain) != cell_dir(tmp_path, longer)
    assert dataclasses.replace(plain, epochs=2) == longer


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--backbones", "resnet9000"], "--backbones resnet9000: unknown backbone"),
        (["--sources", "kmnist"], "--sources kmnist: unknown source domain"),
        (["--kernel-sizes", "4"], "--kernel-sizes 4: must be an odd integer"),
    ],
)
def test_bad_grid_exits_2_with_one_line(tmp_path, capsys, extra, message):
    assert main([*GRID, *extra, "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not any(tmp_path.iterdir())  # nothing was started


LOOPBACK_ONLY = ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
"""Runs a command in a network namespace of its own whose one interface is loopback."""


def loopback_only_works() -> bool:
    try:
        probe = subprocess.run([*LOOPBACK_ONLY, "true"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


@pytest.mark.slow
def test_ray_launcher_on_a_local_instance(real_data_dir, tmp_path):
    """The sweep on a local Ray instance. Ray 2.60 binds its servers to every interface
    whatever ``--node-ip-address`` says, so it cannot be held to 127.0.0.1 by its own
    settings: the sweep runs in a network namespace of its own whose only interface is
    loopback (nothing beyond this machine can reach it); where no namespace can be made
    (no privilege), the test is skipped rather than open Ray to the network."""
    pytest.importorskip("ray")
    if not loopback_only_works():
        pytest.skip("no network namespace here (unshare --net): Ray cannot be held to loopback")
    runs = tmp_path / "runs"
    argv = [*GRID, "--neurn", "off", "--output", str(runs), "--data-dir", str(real_data_dir),
            "--launcher", "ray", "--ray-address", "local"]  # fmt: skip
    result = subprocess.run(
        [*LOOPBACK_ONLY, sys.executable, "-m", "neurn_keras.sweep", *argv],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (cell,) = cells_of(argv)
    assert cell_status(cell_dir(runs, cell)) == "done"
    assert "1 complete" not in result.stdout
    record = load_record(cell_dir(runs, cell) / "results.json")
    assert record.neurn is False and 0 <= record.accuracy["usps"] <= 1


def kill_first_run_after_an_epoch(runs, cells, stop: threading.Event) -> list[int]:
    """Waits (in a thread) for the first cell's first committed epoch (its backup), then
    kills its train process with SIGKILL, as the out-of-memory killer would; returns the
    pids killed."""
    killed = []
    run = RunDirectory(cell_dir(runs, cells[0]))
    while not stop.is_set() and not killed:
        holder = run.holder()
        if read_backup(run.backup) is not None and holder and holder.startswith("process "):
            pid = int(holder.split()[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.02)
    return killed


def sweep_killing_the_first_cell(argv, runs, cells) -> int:
    """The sweep's exit status, its first cell's process killed once after an epoch."""
    stop = threading.Event()
    killer = concurrent.futures.ThreadPoolExecutor(1).submit(
        kill_first_run_after_an_epoch, runs, cells, stop
    )
    try:
        code = main(argv)
    finally:
        stop.set()
    assert len(killer.result(timeout=60)) == 1
    return code


def test_a_killed_cell_is_started_again_and_the_sweep_completes(real_data_dir, tmp_path, capsys):
    """Two cells; the first one's process is killed with SIGKILL after its first epoch. The
    sweep starts it again (it resumes from its backup), finishes both cells, exits 0 and
    names the retried cell; its record is written once and matches an uninterrupted run."""
    runs = tmp_path / "runs"
    argv = [*GRID, "--epochs", "6", "--patience", "none", "--output", str(runs),
            "--data-dir", str(real_data_dir)]  # fmt: skip
    cells = cells_of(argv)
    assert sweep_killing_the_first_cell(argv, runs, cells) == 0
    out = capsys.readouterr().out
    assert f"1 cell(s) died and were started again: {cells[0].cell_name()} (2 starts)" in out
    assert all(cell_status(cell_dir(runs, cell)) == "done" for cell in cells)
    log = (cell_dir(runs, cells[0]) / "train.log").read_text()
    assert "died (SIGKILL); starting again, resuming" in log and "resuming after epoch" in log
    resumed = load_record(cell_dir(runs, cells[0]) / "results.json")
    uninterrupted = train_and_evaluate(
        cells[0], tmp_path / "uninterrupted", data_dir=real_data_dir, log=lambda line: None
    )
    assert resumed.accuracy == uninterrupted.accuracy
    assert resumed.best_epoch == uninterrupted.best_epoch


def test_retries_zero_reports_the_death(real_data_dir, tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = [*GRID, "--neurn", "off", "--epochs", "6", "--patience", "none", "--retries", "0",
            "--output", str(runs), "--data-dir", str(real_data_dir)]  # fmt: skip
    cells = cells_of(argv)
    assert sweep_killing_the_first_cell(argv, runs, cells) == 1
    assert "1 of 1 cells failed" in capsys.readouterr().err
    assert cell_status(cell_dir(runs, cells[0])) == "started"
