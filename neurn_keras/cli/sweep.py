"""python -m neurn_keras.sweep: run a grid of training runs (locally or on Ray)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from neurn_keras import cli
from neurn_keras.training.arguments import (
    add_data_arguments,
    add_method_arguments,
    add_recipe_arguments,
    base_settings,
    config_from_settings,
)
from neurn_keras.training.config import AUGMENTS, INPUT_NORMS, PADDINGS, RunConfig

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
    d = RunConfig()
    p = cli.Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    grid = p.add_argument_group("grid")
    grid.add_argument(
        "--backbones",
        nargs="+",
        default=["digitnet"],
        metavar="NAME",
        help="backbones (default digitnet)",
    )
    grid.add_argument(
        "--sources",
        nargs="+",
        default=["mnist"],
        metavar="DOMAIN",
        help="source domains (default mnist)",
    )
    norms = grid.add_mutually_exclusive_group()
    norms.add_argument(
        "--neurn",
        choices=("on", "off", "both"),
        default=None,
        help="with NeuRN, without, or both (default both)",
    )
    norms.add_argument(
        "--input-norms",
        nargs="+",
        choices=INPUT_NORMS,
        default=None,
        metavar="NORM",
        help=f"input normalizations, instead of --neurn ({', '.join(INPUT_NORMS)})",
    )
    grid.add_argument(
        "--augments",
        nargs="+",
        choices=AUGMENTS,
        default=["none"],
        metavar="AUGMENT",
        help=f"augmentations ({', '.join(AUGMENTS)}; default none)",
    )
    grid.add_argument(
        "--kernel-sizes",
        nargs="+",
        type=int,
        default=[d.kernel_size],
        metavar="K",
        help="NeuRN window sizes (default 5)",
    )
    grid.add_argument(
        "--paddings",
        nargs="+",
        choices=PADDINGS,
        default=[d.padding],
        help="NeuRN paddings (default reflect)",
    )
    grid.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0, 1, 2],
        metavar="SEED",
        help="seeds (default 0 1 2)",
    )
    add_data_arguments(p.add_argument_group("every run: data (as in python -m neurn_keras.train)"))
    recipe = p.add_argument_group("every run: training")
    add_recipe_arguments(recipe)
    add_method_arguments(recipe, grid=True)
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
        choices=("local", "ray"),
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
        "--dry-run", action="store_true", help="list the cells and their status; run nothing"
    )
    return p


GRID_FLAGS = {
    "backbone": "--backbones",
    "source": "--sources",
    "seed": "--seeds",
    "input_norm": "--input-norms",
    "kernel_size": "--kernel-sizes",
    "padding": "--paddings",
    "augment": "--augments",
}
"""The grid's flags for the fields it varies (errors name the flag the user typed)."""


def base_config(args) -> RunConfig:
    """The settings every cell shares; the grid varies the rest."""
    return config_from_settings(**base_settings(args))


def grid_cells(args) -> list[RunConfig]:
    from neurn_keras.training.grid import expand_grid, input_norms_for

    return expand_grid(
        base_config(args),
        args.backbones,
        args.sources,
        args.seeds,
        input_norms=args.input_norms or input_norms_for(args.neurn or "both"),
        kernel_sizes=args.kernel_sizes,
        paddings=args.paddings,
        augments=args.augments,
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
        from tqdm import tqdm

        from neurn_keras.training.grid import cell_dir, cell_status
        from neurn_keras.training.launchers import Job, launch_local, launch_ray

        cells = grid_cells(args)
        for cell in cells:
            cell.validate()
        status = {cell.cell_name(): cell_status(cell_dir(args.output, cell)) for cell in cells}
        if args.dry_run:
            for cell in cells:
                print(f"{status[cell.cell_name()]:8s} {cell_dir(args.output, cell)}")
            return 0
        todo = [cell for cell in cells if status[cell.cell_name()] != "done"]
        print(
            f"{len(cells)} cells in {args.output}: {len(cells) - len(todo)} complete (skipped), "
            f"{sum(status[c.cell_name()] == 'started' for c in todo)} to resume, "
            f"{sum(status[c.cell_name()] == 'new' for c in todo)} new"
        )
        jobs = []
        for cell in todo:
            output = cell_dir(args.output, cell)
            jobs.append(Job(cell.cell_name(), output, job_argv(cell, output, args)))
        failed = []
        bar = tqdm(total=len(jobs), desc="cells", unit="cell", disable=not jobs)

        def report(job: Job, code: int) -> None:
            outcome = (
                "done" if code == 0 else f"FAILED (exit {code}; see {job.output / 'train.log'})"
            )
            if code != 0:
                failed.append(job.name)
            bar.write(f"{job.name}: {outcome}")
            bar.update(1)

        try:
            if args.launcher == "ray":
                launch_ray(jobs, report, args.ray_address, args.cpus_per_task)
            else:
                launch_local(jobs, report)
        finally:
            bar.close()
        if failed:
            print(
                f"{len(failed)} of {len(jobs)} cells failed: {', '.join(failed)}", file=sys.stderr
            )
            return 1
        print(f"all {len(cells)} cells complete; table: python -m neurn_keras.table {args.output}")
        return 0

    return cli.run_cli(PROG, body, flags=GRID_FLAGS)


if __name__ == "__main__":
    sys.exit(main())
