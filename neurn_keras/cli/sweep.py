"""python -m neurn_keras.sweep: run a grid of training runs (locally or on Ray)."""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

from neurn_keras import cli
from neurn_keras.cli import run_options
from neurn_keras.training.config import RunConfig
from neurn_keras.training.launchers import (
    DEFAULT_RETRIES,
    LAUNCHERS,
    RUNNING_ELSEWHERE,
    Job,
    Outcome,
    launch_local,
    launch_ray,
)

NEURN_MODES = {"on": ("neurn",), "off": ("none",), "both": ("none", "neurn")}
"""``--neurn``: the input normalizations of the cells."""

PROG = "python -m neurn_keras.sweep"

DESCRIPTION = """\
Run every combination of --backbones x --sources x methods (--augments x input
normalizations, NeuRN with each --kernel-sizes x --paddings) x --seeds as one
python -m neurn_keras.train run each, into RUNS_DIR (--output). Each cell's directory
is named from its settings (e.g. digitnet-neurn-k5-reflect-mnist-seed0-3f9c1e2a7b),
so running the same sweep again skips the cells that are complete and resumes the
ones that were interrupted. Each cell's output goes to <cell>/train.log.

Launchers: local (default) runs the cells one after another on this machine; ray runs
them as Ray tasks on an existing Ray cluster (--ray-address, default auto), one GPU per
task where the cluster has GPUs (pip install 'neurn_keras[ray]'). Then make the table
with: python -m neurn_keras.table RUNS_DIR"""

EPILOG = """\
examples:
  python -m neurn_keras.sweep --backbones digitnet mobilenetv2 --sources mnist usps mnist_m \\
      --neurn both --seeds 0 1 2 --epochs 100 --train-limit all --output runs/table1
  python -m neurn_keras.sweep --neurn on --kernel-sizes 3 5 7 --paddings reflect zeros \\
      --seeds 0 1 2 --output runs/k_sweep --dry-run
  python -m neurn_keras.sweep ... --launcher ray --ray-address auto

exit status: 0 every cell complete, 1 some cell failed (see its train.log), 2 bad input,
130 interrupted (run again to resume)."""


def build_parser() -> cli.Parser:
    p = cli.Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    grid = p.add_argument_group("grid")
    norms = grid.add_mutually_exclusive_group()
    norms.add_argument(
        "--neurn",
        choices=tuple(NEURN_MODES),
        default=None,
        help="with NeuRN, without, or both (default both)",
    )
    run_options.add_sweep_axes(grid, norms)
    sections = run_options.sections(p, title="every run: {} (as in python -m neurn_keras.train)")
    run_options.add_field_options(sections, skip=run_options.VARIED)
    sections["data"].add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder with the data files (default $NEURN_DATA_DIR, else ~/.neurn_keras/data)",
    )
    sections["training"].add_argument(
        "--distribute",
        action="store_true",
        help="train each run on every local accelerator (as train --distribute)",
    )
    launch = p.add_argument_group("launching")
    launch.add_argument(
        "--output",
        type=Path,
        required=True,
        metavar="RUNS_DIR",
        help="directory for the cells (required)",
    )
    launch.add_argument(
        "--launcher",
        choices=LAUNCHERS,
        default="local",
        help="local: one after another (default); ray: Ray tasks",
    )
    launch.add_argument(
        "--ray-address",
        default="auto",
        help="Ray cluster address (default auto; 'local' starts one here)",
    )
    launch.add_argument(
        "--cpus-per-task",
        type=float,
        default=1,
        metavar="N",
        help="CPUs reserved per Ray task (default 1)",
    )
    launch.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="start a cell whose process died (killed by a signal: out of memory, a lost "
        f"node) again up to N times, resuming from its backup (default {DEFAULT_RETRIES}; "
        "0: never); a cell that fails on its own is not retried",
    )
    launch.add_argument(
        "--dry-run", action="store_true", help="list the cells and their status; run nothing"
    )
    return p


def base_config(args) -> RunConfig:
    """The settings every cell shares; the grid varies the rest."""
    return run_options.config_from_settings(run_options.settings(args, skip=run_options.VARIED))


def grid_cells(args) -> list[RunConfig]:
    from neurn_keras.training.grid import expand_grid

    values = {name: run_options.sweep_values(args, name) for name in run_options.VARIED}
    return expand_grid(
        base_config(args),
        values["backbone"],
        values["source"],
        values["seed"],
        input_norms=values["input_norm"] or NEURN_MODES[args.neurn or "both"],
        kernel_sizes=values["kernel_size"],
        paddings=values["padding"],
        augments=values["augment"],
    )


def job_argv(cell: RunConfig, output: Path, args: argparse.Namespace) -> tuple[str, ...]:
    argv = [*cell.to_argv(), "--output", str(output), "--progress", "lines"]
    if args.data_dir is not None:
        argv += ["--data-dir", str(args.data_dir)]
    if args.distribute:
        argv.append("--distribute")
    return tuple(argv)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        from neurn_keras.training.grid import cell_dir, cell_status

        cells = grid_cells(args)
        for cell in cells:
            cell.validate()
        status = {cell.cell_name(): cell_status(cell_dir(args.output, cell)) for cell in cells}
        if args.dry_run:
            for cell in cells:
                print(f"{status[cell.cell_name()]:8s} {cell_dir(args.output, cell)}")
            return 0
        todo = [cell for cell in cells if status[cell.cell_name()] not in ("done", "running")]
        counts = collections.Counter(status.values())
        running = counts["running"]
        print(
            f"{len(cells)} cells in {args.output}: {counts['done']} complete (skipped), "
            f"{counts['started']} to resume, {counts['new']} new"
            + (f", {running} running in another process (skipped)" if running else "")
        )
        jobs = []
        for cell in todo:
            output = cell_dir(args.output, cell)
            jobs.append(Job(cell.cell_name(), output, job_argv(cell, output, args), args.retries))
        outcomes, retried = launch(jobs, args)
        failed = [name for name, outcome in outcomes.items() if outcome == "failed"]
        elsewhere = running + sum(o == "elsewhere" for o in outcomes.values())
        if retried:
            listed = ", ".join(f"{name} ({tries} starts)" for name, tries in retried.items())
            print(f"{len(retried)} cell(s) died and were started again: {listed}")
        if failed:
            print(
                f"{len(failed)} of {len(jobs)} cells failed: {', '.join(failed)}", file=sys.stderr
            )
            return 1
        if elsewhere:
            print(f"{elsewhere} cells are running in another process; run again to collect them")
            return 0
        print(f"all {len(cells)} cells complete; table: python -m neurn_keras.table {args.output}")
        return 0

    return cli.run_cli(PROG, body, flags=run_options.SWEEP_FLAGS)


def launch(jobs: list[Job], args) -> tuple[dict[str, str], dict[str, int]]:
    """Runs the jobs with the chosen launcher and a progress bar; each job's outcome
    (``"done"``, ``"failed"`` or ``"elsewhere"``: another process holds it), and the
    starts of each job that was started more than once."""
    from tqdm import tqdm

    from neurn_keras.training.grid import cell_status

    outcomes, retried = {}, {}
    bar = tqdm(total=len(jobs), desc="cells", unit="cell", disable=not jobs)

    def report(job: Job, outcome: Outcome) -> None:
        code = outcome.code
        if outcome.retried:
            retried[job.name] = outcome.attempts
        held = code == cli.EXIT_USAGE and cell_status(job.output) == "running"
        if code == RUNNING_ELSEWHERE or held:
            outcomes[job.name], line = "elsewhere", "running in another process (skipped)"
        elif code == 0:
            outcomes[job.name], line = "done", "done"
        else:
            outcomes[job.name] = "failed"
            line = f"FAILED (exit {code}; see {job.output / 'train.log'})"
        bar.write(f"{job.name}: {line}")
        bar.update(1)

    try:
        if args.launcher == "ray":
            launch_ray(jobs, report, args.ray_address, args.cpus_per_task)
        else:
            launch_local(jobs, report)
    finally:
        bar.close()
    return outcomes, retried


if __name__ == "__main__":
    sys.exit(main())
