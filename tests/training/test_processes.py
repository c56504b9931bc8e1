"""One run over several processes (JAX): who is who, each process's share of a batch,
and two real local processes against one process with two devices, killed and resumed.

The processes find each other through a coordinator on 127.0.0.1 (a port the test picks);
JAX's coordination service and Gloo's collectives then listen on the loopback address
only, so nothing beyond this machine can reach them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import keras
import pytest

from neurn_keras.errors import ArgumentError
from neurn_keras.training import processes as processes_module
from neurn_keras.training.backup import read_backup
from neurn_keras.training.processes import Processes, from_environment, is_loopback
from neurn_keras.training.rundir import RunDirectory

TINY = ["--train-limit", "330", "--test-limit", "63", "--batch-size", "64", "--targets",
        "usps", "--progress", "lines"]  # fmt: skip


def test_one_process_by_default_and_from_keras_variables():
    assert from_environment({}) == Processes()
    found = from_environment(
        {
            processes_module.COUNT_VAR: "2",
            processes_module.INDEX_VAR: "1",
            processes_module.ADDRESSES_VAR: "10.0.0.1:1234,10.0.0.2:2345",
        }
    )
    assert found == Processes(2, 1, ("10.0.0.1:1234", "10.0.0.2:2345"))
    assert found.several and not found.owner


@pytest.mark.parametrize(
    "processes,message",
    [
        (Processes(2, 2, ("h:1",)), "between 0 and 1"),
        (Processes(0, 0), ">= 1"),
        (Processes(2, 0), "coordinator's host:port"),
        (Processes(3, 0, ("h:1", "h:2")), "all 3 processes"),
        (Processes(2, 0, ("nohost",)), "host:port"),
    ],
)
def test_bad_settings_name_the_fix(processes, message):
    with pytest.raises(ArgumentError, match=message):
        processes.check()


def test_each_process_reads_a_contiguous_share():
    shares = [Processes(4, i, ("h:1",)).share(64) for i in range(4)]
    assert [(s.start, s.stop) for s in shares] == [(0, 16), (16, 32), (32, 48), (48, 64)]


@pytest.mark.parametrize(
    "address,loopback",
    [("127.0.0.1:80", True), ("localhost:1", True), ("[::1]:9", True), ("10.0.0.1:1", False)],
)
def test_loopback_addresses(address, loopback):
    assert is_loopback(address) == loopback


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the error is for other backends")
def test_other_backends_are_told_to_use_jax():
    with pytest.raises(ArgumentError, match="needs KERAS_BACKEND=jax"):
        processes_module.join(Processes(2, 0, ("127.0.0.1:1",)))


# ----------------------------------------------------- real processes on this machine (JAX)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(index: int, port: int, output, data_dir, extra=(), count: int = 2) -> subprocess.Popen:
    """One process of a run over ``count``, coordinated on 127.0.0.1:``port``."""
    environment = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "NEURN_DATA_DIR": str(data_dir),
    }
    argv = [sys.executable, "-m", "neurn_keras.train", *TINY, *extra, "--output", str(output),
            "--num-processes", str(count), "--process-id", str(index),
            "--job-addresses", f"127.0.0.1:{port}"]  # fmt: skip
    return subprocess.Popen(
        argv, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def run_together(output, data_dir, extra=()) -> list[str]:
    """Both processes to the end; their outputs (asserting exit 0)."""
    port = free_port()
    running = [start(i, port, output, data_dir, extra) for i in (1, 0)]
    outputs = [p.communicate(timeout=600)[0] for p in running]
    for process, text in zip(running, outputs, strict=True):
        assert process.returncode == 0, text[-3000:]
    return outputs[::-1]  # process 0 first


def one_process_two_devices(output, data_dir, extra=()) -> dict:
    environment = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
                   "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}  # fmt: skip
    argv = [sys.executable, "-m", "neurn_keras.train", *TINY, *extra, "--distribute",
            "--output", str(output), "--data-dir", str(data_dir)]  # fmt: skip
    result = subprocess.run(argv, env=environment, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads((output / "results.json").read_text())


def test_two_processes_train_like_one_process_on_two_devices(real_data_dir, tmp_path):
    """Keras's variables, two local processes, one CPU device each: one record, with 2
    processes and 2 replicas, within the tolerance of the two-device test
    (``test_distribute.py``: 2 test images per domain, 1% of the loss; measured here: the
    same numbers). Process 1 holds no lock and writes nothing into the run directory."""
    pytest.importorskip("jax")
    output = tmp_path / "together"
    owner, other = run_together(output, real_data_dir, ["--epochs", "2"])
    record = json.loads((output / "results.json").read_text())
    assert record["distributed_processes"] == 2 and record["distributed_replicas"] == 2
    assert len(record["data_parallel_devices"]) == 2 and record["per_device_batch_size"] == 32
    assert "process 0 of 2 (owns the run directory)" in owner
    assert "process 1 of 2 (writes nothing there)" in other
    assert "epoch 1/2" in owner and "epoch 1/2" not in other
    single = one_process_two_devices(tmp_path / "single", real_data_dir, ["--epochs", "2"])
    assert single["distributed_processes"] == 1 and single["distributed_replicas"] == 2
    for domain, accuracy in record["accuracy"].items():
        assert abs(accuracy - single["accuracy"][domain]) <= 2 / 63 + 1e-6, domain
    assert record["best_val_accuracy"] == pytest.approx(single["best_val_accuracy"], abs=2 / 33)
    history = (output / "history.csv").read_text().splitlines()
    single_history = (tmp_path / "single" / "history.csv").read_text().splitlines()
    loss = [float(line.split(",")[2]) for line in (history[-1], single_history[-1])]
    assert loss[0] == pytest.approx(loss[1], rel=0.01)


def test_a_killed_process_resumes_with_the_others_from_the_last_backup(real_data_dir, tmp_path):
    """Process 1 is killed (SIGKILL) after the first backup; process 0 stops at once (exit
    3, one line saying to start every process again) instead of hanging; started again,
    both resume from process 0's backup and end with the uninterrupted run's numbers. The
    model (``--init-from``, read again inside the run's distribution) has BatchNormalization,
    so Precise BN runs over the processes too."""
    pytest.importorskip("jax")
    from benchmarks.faults import small_batchnorm_model

    model = small_batchnorm_model(tmp_path / "start.keras")
    extra = ["--epochs", "4", "--patience", "none", "--input-norm", "none", "--lr", "0.01",
             "--init-from", str(model), "--precise-bn", "128"]  # fmt: skip
    output = tmp_path / "killed"
    port = free_port()
    running = [start(i, port, output, real_data_dir, extra) for i in (1, 0)]
    run = RunDirectory(output)
    deadline = time.monotonic() + 300
    while read_backup(run.backup) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    running[0].send_signal(signal.SIGKILL)
    text = running[1].communicate(timeout=120)[0]
    running[0].wait(timeout=30)
    assert running[1].returncode == 3, text[-3000:]
    assert "start every process again with the same command" in text
    assert not run.is_done()
    owner, _ = run_together(output, real_data_dir, extra)
    assert "resuming after epoch" in owner
    resumed = json.loads((output / "results.json").read_text())
    run_together(tmp_path / "uninterrupted", real_data_dir, extra)
    uninterrupted = json.loads((tmp_path / "uninterrupted" / "results.json").read_text())
    assert resumed["accuracy"] == uninterrupted["accuracy"]
    assert resumed["best_epoch"] == uninterrupted["best_epoch"]
    assert resumed["epochs_run"] == uninterrupted["epochs_run"] == 4
    assert resumed["precise_bn"]["recalibrations"] == 4
