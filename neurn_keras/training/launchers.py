"""Running a sweep's cells: one after another here, or as Ray tasks on a cluster.

Each cell runs as its own ``python -m neurn_keras.train`` process (a clean TensorFlow
per run, as DomainBed's launchers do), writing its output to ``<cell>/train.log``.
A launcher returns each cell's :class:`Outcome`; the train command itself skips complete
cells and resumes interrupted ones.

A cell whose process dies (killed by a signal: the out-of-memory killer, a lost node, a
``kill -9``) is started again up to ``Job.retries`` times, and resumes from its last
backup; a cell that fails on its own (a bug, exit 1; bad input, exit 2) or is
interrupted (Ctrl-C, exit 130) is not. A run directory is held by one process at a time
(``RunDirectory.locked``), so no cell runs twice at once, and a finished run is never
run again, so no record is written twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHERS = ("local", "ray")
RUNNING_ELSEWHERE = -1
"""A job's status when another live process holds its run directory: it is not run."""
DEFAULT_RETRIES = 2
"""How many times a cell whose process died is started again (``--retries``)."""
INTERRUPTED = 130
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Job:
    """One cell to run: its name, directory, the train command's arguments, and how many
    times to start it again if its process dies."""

    name: str
    output: Path
    argv: tuple[str, ...]
    retries: int = DEFAULT_RETRIES

    def command(self) -> list[str]:
        return [sys.executable, "-m", "neurn_keras.train", *self.argv]


@dataclass(frozen=True)
class Outcome:
    """How a job ended: the exit status of its last attempt (``RUNNING_ELSEWHERE`` when
    another process held it), and how many times it was started."""

    code: int
    attempts: int = 1

    @property
    def retried(self) -> bool:
        return self.attempts > 1


def died(code: int) -> bool:
    """Whether an exit status is a death by a signal other than Ctrl-C (worth a retry)."""
    return code < 0 and code != -signal.SIGINT


def run_job(job: Job) -> Outcome:
    """Runs one cell's train command to completion, again (resuming) after each death up
    to ``job.retries`` times; ``RUNNING_ELSEWHERE`` when another process holds the cell (a
    sweep launched twice, a Ray retry)."""
    from neurn_keras.training.rundir import RunDirectory

    attempts = 0
    while True:
        if RunDirectory(job.output).holder() is not None:
            return Outcome(RUNNING_ELSEWHERE, max(attempts, 1))
        attempts += 1
        code = _attempt(job)
        if not died(code) or attempts > job.retries:
            return Outcome(code, attempts)
        with open(job.output / "train.log", "a", encoding="utf-8") as log:
            name = (
                signal.Signals(-code).name if -code in {int(s) for s in signal.Signals} else -code
            )
            log.write(f"# attempt {attempts} died ({name}); starting again, resuming\n")


def _attempt(job: Job) -> int:
    """One start of the job's train command; its exit status (negative: killed by a signal)."""
    job.output.mkdir(parents=True, exist_ok=True)
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(job.output / "train.log", "a", encoding="utf-8") as log:
        log.write(f"$ {' '.join(job.command())}\n")
        log.flush()
        return subprocess.run(
            job.command(), stdout=log, stderr=subprocess.STDOUT, env=environment, check=False
        ).returncode


def launch_local(jobs: Sequence[Job], report: Callable[[Job, Outcome], None]) -> list[Outcome]:
    """Runs the jobs one after another in this machine; ``report`` is called after each."""
    outcomes = []
    for job in jobs:
        outcome = run_job(job)
        report(job, outcome)
        outcomes.append(outcome)
        if outcome.code == INTERRUPTED:  # interrupted with Ctrl-C: stop the sweep too
            raise KeyboardInterrupt
    return outcomes


def launch_ray(
    jobs: Sequence[Job],
    report: Callable[[Job, Outcome], None],
    address: str = "auto",
    cpus_per_task: float = 1,
) -> list[Outcome]:
    """Runs the jobs as Ray tasks, one GPU each where the cluster has GPUs.

    A task retries its own cell's deaths (``run_job``); Ray starts a task again (up to
    ``Job.retries`` times) when the worker running it dies, and the new attempt takes
    over the dead one's lock.

    Args:
        address: ``"auto"`` (an existing cluster, e.g. started with ``ray start``), a
            ``ray://`` or ``host:port`` address, or ``"local"`` to start a Ray instance
            on this machine, on the loopback address only. Every node needs neurn_keras
            installed and the sweep's output directory (and data) on a shared path.
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
        if address == "local":  # nothing listens beyond this machine
            ray.init(include_dashboard=False, log_to_driver=False, _node_ip_address=LOOPBACK)
        else:
            ray.init(address=address, log_to_driver=False)
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    task = ray.remote(num_cpus=cpus_per_task, num_gpus=gpus)(run_job)
    pending = {
        task.options(max_retries=job.retries).remote(job): index for index, job in enumerate(jobs)
    }
    outcomes = [Outcome(0)] * len(jobs)
    while pending:
        finished, _ = ray.wait(list(pending), num_returns=1)
        for ref in finished:
            index = pending.pop(ref)
            try:
                outcomes[index] = ray.get(ref)
            except ray.exceptions.RayError:
                outcomes[index] = Outcome(1, jobs[index].retries + 1)
            report(jobs[index], outcomes[index])
    return outcomes
