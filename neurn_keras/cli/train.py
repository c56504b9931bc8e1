"""python -m neurn_keras.train: single-source domain generalization on digits.

Trains a backbone, with or without NeuRN, on one domain and measures its accuracy on
the source's test set and on every other domain's, the way Table 1 of Qazi et al.
(2025) was made. Run ``python -m neurn_keras.train --help`` for the full manual.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
from pathlib import Path

from neurn_keras import backbones, cli
from neurn_keras.cli import run_options
from neurn_keras.errors import NeurnError
from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE
from neurn_keras.training.config import DEFAULT_EPOCHS, DEFAULT_TRAIN_LIMIT, RunConfig

PROG = "python -m neurn_keras.train"
DOMAINS_TEXT = "mnist, usps, svhn, mnist_m, syn_render"
BACKBONES_TEXT = ", ".join(backbones.NAMES)

DESCRIPTION = f"""\
Train a backbone (optionally with NeuRN in front) on one source domain and report its
accuracy on the source's test set and on every target domain's test set: one cell of
the paper's Table 1.

With no arguments it runs the default: DigitNet with NeuRN (k={DEFAULT_KERNEL_SIZE}, reflect),
trained on the first {DEFAULT_TRAIN_LIMIT:,} MNIST training images (the literature's
single-source protocol; 10% of them held out for early stopping), at most {DEFAULT_EPOCHS}
epochs, tested on MNIST, USPS, SVHN, MNIST-M and syn_render (our rendered digits, never
SVHN). A default target whose
files are not in the data directory is skipped with a one-line warning (recorded under
"skipped" in results.json); a target named with --targets must be found. This takes a
few minutes on a laptop CPU.

The recipe is the paper's: Adam(--lr 0.001), batches of 256, EarlyStopping on
val_accuracy with patience 5 restoring the best weights; --epochs is a maximum (pass
e.g. --epochs 100 to train until early stopping, as the paper does). Before every
validation, BatchNormalization's moving statistics are recalibrated on training images
(--precise-bn), so that models with BatchNormalization are judged in inference mode as
they really are. --protocol digits10k is the literature's single-source digits protocol
(10,000 steps of batch 32 at lr 1e-4); --protocol prorandconv-digits the longer schedule
Pro-RandConv reports (SGD, momentum 0.9, lr 0.01 on a cosine, batch 64, 500 epochs);
--optimizer, --momentum and --lr-schedule change the optimizer of any run. Runs on every
Keras backend (KERAS_BACKEND=tensorflow, jax or torch).

domains: {DOMAINS_TEXT}; cifar27 as a source only.
backbones: {BACKBONES_TEXT}."""

EPILOG = """\
output (in --output):
  config.json    the run's settings (written when training starts; a rerun must match)
  model.keras    the trained model (best validation epoch); takes raw 0..255 pixels of
                 --input-shape
  history.csv    one row per epoch, counted from 1: loss, accuracy, val_loss,
                 val_accuracy (with --steps, an epoch is --eval-every steps)
  results.json   accuracies (in [0, 1]) per domain, settings, epochs run, Precise BN,
                 throughput, wall time, package versions, sha256 of every data file
  done           written last, when the run is complete
  resume/        checkpoints while training; a finished run keeps its last epoch's
                 weights and optimizer state there (resume/backup/), for --extend
  parts/         an extended run's earlier results.json

A run that fails before its first epoch (bad input, missing data, no weights) leaves
nothing behind. One process at a time works on --output: a second one stops at once,
naming the first (exit 2); a lock left by a process that died is taken over.

resuming and extending:
  A run that is killed resumes from its last finished epoch when the same command (same
  --output) is run again, and ends with the numbers an uninterrupted run would give on
  the same machine. A complete run is not redone. --output holding a run with other
  settings is an error. A complete run that did not stop early continues to a larger
  --epochs with --extend (same --output and settings): it ends as a run asked for that
  many epochs from the start would, and results.json lists the earlier part.

examples:
  python -m neurn_keras.train
  python -m neurn_keras.train --backbone mobilenetv2 --no-neurn --source usps --epochs 100
  python -m neurn_keras.train --source mnist_m --targets mnist usps --seed 1 --output runs/mm1
  python -m neurn_keras.train --source cifar27 --epochs 100 --output runs/c27
  python -m neurn_keras.train --init-from runs/c27/model.keras --source mnist
  python -m neurn_keras.train --protocol digits10k --augment randconv --input-norm neurn
  python -m neurn_keras.train --epochs 10 --output runs/a && \
      python -m neurn_keras.train --epochs 20 --output runs/a --extend
  KERAS_BACKEND=jax python -m neurn_keras.train --backbone mobilenetv2 --no-neurn

exit status: 0 done, 1 crashed (a bug: traceback), 2 bad input (one line: unknown name,
missing data, unreadable --init-from, ...), 3 a process of a run over several failed or
lost another (start them all again to resume), 130 interrupted (run again to resume).

data: --data-dir, else $NEURN_DATA_DIR, else ~/.neurn_keras/data (see data/README.md)."""


def build_parser() -> cli.Parser:
    p = cli.Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    sections = run_options.sections(p)
    norm = sections["model"].add_mutually_exclusive_group()
    norm.add_argument(
        "--neurn",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="shorthand for --input-norm neurn / --input-norm none",
    )
    run_options.add_field_options(sections, into={"input_norm": norm})
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
        help="data-parallel training on every local GPU, else every CPU device "
        "(TensorFlow: MirroredStrategy; JAX: keras.distribution.DataParallel; PyTorch: "
        "not available, Keras has no data-parallel training for it). --batch-size must "
        "be a multiple of the device count; the last partial training batch of each "
        "epoch is cut to a multiple of it, validation and test batches are padded with "
        "weight-0 images (results.json records both)",
    )
    processes = p.add_argument_group(
        "several processes (one run on several hosts; JAX; Keras's KERAS_DISTRIBUTION_* "
        "variables, which these flags set)"
    )
    processes.add_argument(
        "--num-processes",
        type=cli.positive_int,
        default=None,
        metavar="N",
        help="processes that train this run together, each started with the same command "
        "(default $KERAS_DISTRIBUTION_NUM_PROCESSES, else 1); data parallel over all their "
        "devices, each process reading its share of every batch",
    )
    processes.add_argument(
        "--process-id",
        type=int,
        default=None,
        metavar="I",
        help="this process's number, 0 to N-1 (default $KERAS_DISTRIBUTION_PROCESS_ID); "
        "process 0 owns --output (lock, backups, record), the others write nothing there",
    )
    processes.add_argument(
        "--job-addresses",
        default=None,
        metavar="HOST:PORT[,...]",
        help="the coordinator's address (process 0), or every process's, comma-separated "
        "(default $KERAS_DISTRIBUTION_JOB_ADDRESSES)",
    )
    run = p.add_argument_group("output")
    run.add_argument(
        "--extend",
        action="store_true",
        help="continue the finished run in --output to a larger --epochs (nothing else may "
        "change); the record keeps the earlier part",
    )
    run.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="DIR",
        help="run directory (default runs/<a name made from the settings>)",
    )
    run.add_argument(
        "--progress",
        choices=("auto", "bar", "lines"),
        default="auto",
        help="Keras's progress bar, or one line per epoch (default: the bar on a terminal)",
    )
    return p


def config_from_args(args) -> RunConfig:
    """The run's ``RunConfig``: the flags given, a ``--protocol`` preset, then the defaults."""
    settings = run_options.settings(args)
    if hasattr(args, "neurn"):
        settings["input_norm"] = "neurn" if args.neurn else "none"
    return run_options.config_from_settings(settings)


def processes_from_args(args):
    """The run's ``Processes``: the flags over Keras's variables (which the flags set, so
    that ``keras.distribution.initialize`` reads the same)."""
    import os

    from neurn_keras.training import processes

    flags = {
        processes.COUNT_VAR: args.num_processes,
        processes.INDEX_VAR: args.process_id,
        processes.ADDRESSES_VAR: args.job_addresses,
    }
    os.environ.update({name: str(value) for name, value in flags.items() if value is not None})
    return processes.from_environment()


EXIT_PROCESS_LOST = 3


@contextlib.contextmanager
def stop_at_once_if_a_process_fails(processes):
    """In a run over several processes, a failure (another process was killed, so this
    one's collective failed) ends this process at once, after its traceback and one line,
    instead of waiting minutes for the lost process at shutdown. Exit status 3, or 130
    on Ctrl-C; bad input stays one line with exit 2."""
    if not processes.several:
        yield
        return
    try:
        yield
    except NeurnError:  # bad input, the same in every process: one line, exit 2
        raise
    except BaseException as error:  # every other failure ends the process here
        interrupted = isinstance(error, KeyboardInterrupt)
        if not interrupted:
            traceback.print_exc()
        print(
            f"{PROG}: process {processes.index} of {processes.count} stopped; start every "
            "process again with the same command to resume from the last backup",
            file=sys.stderr,
            flush=True,
        )
        sys.stdout.flush()
        os._exit(cli.EXIT_INTERRUPTED if interrupted else EXIT_PROCESS_LOST)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        config = config_from_args(args).validate()
        if args.extend and args.output is None:
            raise cli.UsageError("--extend continues the run in --output: give --output")
        processes = processes_from_args(args)
        cli.import_keras()
        from neurn_keras.training.run import train_and_evaluate

        output = args.output or Path("runs") / config.cell_name()
        progress = {"auto": None, "bar": True, "lines": False}[args.progress]
        with stop_at_once_if_a_process_fails(processes):
            record = train_and_evaluate(
                config,
                output,
                data_dir=args.data_dir,
                distribute=args.distribute,
                progress_bar=progress,
                log=lambda line: print(line, flush=True),
                extend=args.extend,
                processes=processes,
            )
        accuracy = ", ".join(f"{name} {value:.4f}" for name, value in record.accuracy.items())
        print(f"accuracy: {accuracy}")
        if record.skipped:
            print(f"skipped (no data): {', '.join(record.skipped)}")
        print(f"results: {Path(output) / 'results.json'}")
        return 0

    flags = {"num_processes": "--num-processes", "process_id": "--process-id",
             "job_addresses": "--job-addresses"}  # fmt: skip
    return cli.run_cli(PROG, body, needs_keras=False, flags=flags)


if __name__ == "__main__":
    sys.exit(main())
