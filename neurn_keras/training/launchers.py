"""Running a sweep's cells: one after another here, or as Ray tasks on a cluster.

Each cell runs as its own ``python -m neurn_keras.train`` process (a clean TensorFlow
per run, as DomainBed's launchers do), writing its output to ``<cell>/train.log``.
A launcher returns each cell's exit status; the train command itself skips complete
cells and resumes interrupted ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHERS = ("local", "ray")
RUNNING_ELSEWHERE = -1
"""A job's status when another live process holds its run directory: it is not run."""


@dataclass(frozen=True)
class Job:
    """One cell to run: its name, directory and the train command's arguments."""

    name: str
    output: Path
    argv: tuple[str, ...]

    def command(self) -> list[str]:
        return [sys.executable, "-m", "neurn_keras.train", *self.argv]


def run_job(job: Job) -> int:
    """Runs one cell's train command to completion; returns its exit status, or
    ``RUNNING_ELSEWHERE`` when another process holds the cell (a sweep launched twice,
    a Ray retry)."""
    from neurn_keras.training.rundir import RunDirectory

    if RunDirectory(job.output).holder() is not None:
        return RUNNING_ELSEWHERE
    job.output.mkdir(parents=True, exist_ok=True)
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(job.output / "train.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(job.command())}\n")
        log.flush()
        return subprocess.run(
            job.command(), stdout=log, stderr=subprocess.STDOUT, env=environment, check=False
        ).returncode


def launch_local(jobs: Sequence[Job], report: Callable[[Job, int], None]) -> list[int]:
    """Runs the jobs one after another in this machine; ``report`` is called after each."""
    codes = []
    for job in jobs:
        code = run_job(job)
        report(job, code)
        codes.append(code)
        if code == 130:  # interrupted with Ctrl-C: stop the sweep too
            raise KeyboardInterrupt
    return codes


def launch_ray(
    jobs: Sequence[Job],
    report: Callable[[Job, int], None],
    address: str = "auto",
    cpus_per_task: float = 1,
) -> list[int]:
    """Runs the jobs as Ray tasks, one GPU each where the cluster has GPUs.

    Args:
        address: ``"auto"`` (an existing cluster, e.g. started with ``ray start``), a
            ``ray://`` or ``host:port`` address, or ``"local"`` to start a Ray instance
            on this machine. Every node needs neurn_keras installed and the sweep's
            output directory (and data) on a shared path.
        cpus_per_task: CPUs reserved for each task.
    """
    try:
        import ray
    except ImportError as error:
        from neurn_keras.errors import MissingDependencyError

        raise MissingDependencyError(
            "--launcher ray needs Ray: pip install 'neurn_keras[ray]' (or pip install ray)"
        ) from error
    if not ray.is_initialized():
        if address == "local":
            ray.init(include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    task = ray.remote(num_cpus=cpus_per_task, num_gpus=gpus, max_retries=0)(run_job)
    pending = {task.remote(job): index for index, job in enumerate(jobs)}
    codes = [0] * len(jobs)
    while pending:
        finished, _ = ray.wait(list(pending), num_returns=1)
        for ref in finished:
            index = pending.pop(ref)
            try:
                codes[index] = ray.get(ref)
            except ray.exceptions.RayError:
                codes[index] = 1
            report(jobs[index], codes[index])
    return codes
