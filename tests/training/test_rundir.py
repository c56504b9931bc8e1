"""The run directory: one process at a time, stale locks taken over, sweeps that skip the
cells another process runs, and finished runs extended to more epochs."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from neurn_keras.cli.train import main
from neurn_keras.errors import RunDirectoryError
from neurn_keras.training import load_record, train_and_evaluate
from neurn_keras.training.grid import cell_status
from neurn_keras.training.launchers import RUNNING_ELSEWHERE, Job, run_job
from neurn_keras.training.rundir import RunDirectory

HOLD = textwrap.dedent(
    """
    import sys, time
    from neurn_keras.training.rundir import RunDirectory
    with RunDirectory(sys.argv[1]).locked():
        print("holding", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def holder(tmp_path):
    """``holder(path)``: a live process holding ``path``; killed (SIGKILL) at the end."""
    processes = []

    def hold(path: Path) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        processes.append(process)
        assert process.stdout.readline().strip() == "holding"
        return process

    yield hold
    for process in processes:
        process.kill()
        process.wait(timeout=30)


def test_a_second_process_is_refused_with_the_holders_name(tmp_path, holder):
    run = RunDirectory(tmp_path / "run")
    process = holder(run.path)
    assert run.holder() is not None and f"process {process.pid}" in run.holder()
    with pytest.raises(RunDirectoryError, match=rf"is in use by process {process.pid} \("):
        with run.locked():
            pass
    assert run.lock.is_file()  # the holder's lock is left alone


def test_a_dead_holders_lock_is_taken_over(tmp_path, holder):
    run = RunDirectory(tmp_path / "run")
    process = holder(run.path)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert run.lock.is_file() and run.holder() is None  # the kernel released its flock
    with run.locked():
        assert f"process {os.getpid()}" in run.holder()
    assert not run.path.exists()  # nothing was written: nothing is left behind


def test_the_train_command_stops_at_once_on_a_directory_in_use(tmp_path, holder, capsys):
    output = tmp_path / "run"
    process = holder(output)
    started = time.monotonic()
    code = main(["--train-limit", "300", "--test-limit", "64", "--output", str(output)])
    assert code == 2 and time.monotonic() - started < 30  # before any data is loaded
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"in use by process {process.pid}" in lines[0]
    assert lines[0].startswith(f"python -m neurn_keras.train: error: --output {output} is in use")


def test_sweeps_skip_the_cells_another_process_runs(tmp_path, holder):
    cell = tmp_path / "cell"
    assert cell_status(cell) == "new"
    holder(cell)
    assert cell_status(cell) == "running"
    job = Job("cell", cell, ("--output", str(cell)))
    assert run_job(job).code == RUNNING_ELSEWHERE
    assert not (cell / "train.log").exists()  # nothing was launched


# ---------------------------------------------------------------- extending a finished run


def test_a_finished_run_extended_ends_as_the_longer_run(reference_run, real_data_dir, tmp_path):
    config, reference_output, reference = reference_run  # 2 epochs
    output = tmp_path / "extended"
    shorter = dataclasses.replace(config, epochs=1)
    first = train_and_evaluate(shorter, output, data_dir=real_data_dir, progress_bar=False)
    extended = train_and_evaluate(
        config, output, data_dir=real_data_dir, progress_bar=False, extend=True
    )
    assert extended.epochs_run == 2 and extended.max_epochs == 2
    assert extended.accuracy == reference.accuracy
    history = (output / "history.csv").read_text()
    assert history == (reference_output / "history.csv").read_text()
    assert [part["epochs_run"] for part in extended.parts] == [1]
    assert extended.parts[0]["accuracy"] == first.accuracy
    assert load_record(output / "parts" / "results-1-epochs.json").accuracy == first.accuracy
    assert json.loads((output / "config.json").read_text())["identity"] == config.identity()


def test_what_cannot_be_extended_is_refused_before_anything_changes(
    reference_run, real_data_dir, tmp_path, capsys
):
    config, output, _ = reference_run
    before = sorted(p.name for p in output.rglob("*"))
    cases = [
        (dataclasses.replace(config, epochs=2), "must be more than the 2 it ran for"),
        (dataclasses.replace(config, epochs=4, seed=1), "only epochs may change, not "),
    ]
    for changed, message in cases:
        with pytest.raises(RunDirectoryError, match=message):
            train_and_evaluate(changed, output, data_dir=real_data_dir, extend=True)
    with pytest.raises(RunDirectoryError, match="holds no finished run to extend"):
        train_and_evaluate(config, tmp_path / "new", data_dir=real_data_dir, extend=True)
    assert sorted(p.name for p in output.rglob("*")) == before
    assert main(["--epochs", "4", "--extend"]) == 2
    assert "--extend continues the run in --output: give --output" in capsys.readouterr().err
