"""python -m neurn_keras.train: single-source domain generalization on digits.

Trains a backbone, with or without NeuRN, on one domain and measures its accuracy on
the source's test set and on every other domain's, the way Table 1 of Qazi et al.
(2025) was made. Run ``python -m neurn_keras.train --help`` for the full manual.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from neurn_keras import cli
from neurn_keras.training.arguments import (
    add_data_arguments,
    add_recipe_arguments,
    shared_settings,
)
from neurn_keras.training.config import DEFAULT_EPOCHS, DEFAULT_TRAIN_LIMIT, PADDINGS, RunConfig

PROG = "python -m neurn_keras.train"
DOMAINS_TEXT = "mnist, usps, svhn, mnist_m, syn_render"
BACKBONES_TEXT = (
    "digitnet, vgg19, efficientnetb0, densenet121, shufflenetv2, xception, nasnetmobile, "
    "resnet50v2, inceptionv3, mobilenetv2, vit"
)

DESCRIPTION = f"""\
Train a backbone (optionally with NeuRN in front) on one source domain and report its
accuracy on the source's test set and on every target domain's test set: one cell of
the paper's Table 1.

With no arguments it runs the default: DigitNet with NeuRN (k=5, reflect), trained on
the first {DEFAULT_TRAIN_LIMIT:,} MNIST training images (the literature's single-source protocol;
10% of them held out for early stopping), at most {DEFAULT_EPOCHS} epochs, tested on MNIST, USPS,
SVHN, MNIST-M and syn_render (our rendered digits, never SVHN). A default target whose
files are not in the data directory is skipped with a one-line warning (recorded under
"skipped" in results.json); a target named with --targets must be found. This takes a
few minutes on a laptop CPU.

The recipe is the paper's: Adam(--lr 0.001), batches of 256, EarlyStopping on
val_accuracy with patience 5 restoring the best weights; --epochs is a maximum (pass
e.g. --epochs 100 to train until early stopping, as the paper does).

domains: {DOMAINS_TEXT}; cifar27 as a source only.
backbones: {BACKBONES_TEXT}."""

EPILOG = """\
output (in --output):
  model.keras    the trained model (best validation epoch); takes raw 0..255 pixels of
                 --input-shape
  history.csv    one row per epoch: loss, accuracy, val_loss, val_accuracy
  results.json   accuracies (in [0, 1]) per domain, settings, epochs run, throughput,
                 wall time, package versions, sha256 of every data file used
  done           written last, when the run is complete
  resume/        checkpoints while training (removed at the end)

resuming:
  A run that is killed resumes from its last finished epoch when the same command (same
  --output) is run again, and ends with the numbers an uninterrupted run would give on
  the same machine. A complete run is not redone. --output holding a run with other
  settings is an error.

examples:
  python -m neurn_keras.train
  python -m neurn_keras.train --backbone mobilenetv2 --no-neurn --source usps --epochs 100
  python -m neurn_keras.train --source mnist_m --targets mnist usps --seed 1 --output runs/mm1
  python -m neurn_keras.train --source cifar27 --epochs 100 --output runs/c27
  python -m neurn_keras.train --init-from runs/c27/model.keras --source mnist

exit status: 0 done, 1 crashed (a bug: traceback), 2 bad input (one line: unknown name,
missing data, unreadable --init-from, ...), 130 interrupted (run again to resume).

data: --data-dir, else $NEURN_DATA_DIR, else ~/.neurn_keras/data (see data/README.md)."""


def build_parser() -> cli.Parser:
    defaults = RunConfig()
    p = cli.Parser(prog=PROG, description=DESCRIPTION, epilog=EPILOG)
    model = p.add_argument_group("model")
    model.add_argument(
        "--backbone",
        default=defaults.backbone,
        metavar="NAME",
        help=f"backbone (default {defaults.backbone}): {BACKBONES_TEXT}",
    )
    model.add_argument(
        "--neurn",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="put NeuRN in front of the backbone (default: yes)",
    )
    model.add_argument(
        "--kernel-size",
        type=int,
        default=defaults.kernel_size,
        metavar="K",
        help="NeuRN window size, odd (default %(default)s)",
    )
    model.add_argument(
        "--padding",
        default=defaults.padding,
        choices=PADDINGS,
        help="NeuRN padding (default %(default)s)",
    )
    model.add_argument(
        "--init-from",
        type=Path,
        default=None,
        metavar="MODEL.keras",
        help="start from this saved model (e.g. one trained on cifar27); its "
        "classifier is replaced when the class count differs",
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--source",
        default=defaults.source,
        metavar="DOMAIN",
        help="training domain (default %(default)s)",
    )
    add_data_arguments(data)
    recipe = p.add_argument_group("training")
    add_recipe_arguments(recipe)
    recipe.add_argument(
        "--seed",
        type=int,
        default=defaults.seed,
        help="seed of the split, the initialization and the batch order (default %(default)s)",
    )
    run = p.add_argument_group("output")
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
    return RunConfig(
        backbone=args.backbone,
        neurn=args.neurn,
        kernel_size=args.kernel_size,
        padding=args.padding,
        source=args.source,
        seed=args.seed,
        init_from=None if args.init_from is None else str(args.init_from),
        **shared_settings(args),
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        from neurn_keras.training.run import train_and_evaluate

        config = config_from_args(args).validate()
        output = args.output or Path("runs") / config.cell_name()
        progress = {"auto": None, "bar": True, "lines": False}[args.progress]
        results = train_and_evaluate(
            config,
            output,
            data_dir=args.data_dir,
            distribute=args.distribute,
            progress_bar=progress,
        )
        accuracy = ", ".join(f"{name} {value:.4f}" for name, value in results["accuracy"].items())
        print(f"accuracy: {accuracy}")
        if results.get("skipped"):
            print(f"skipped (no data): {', '.join(results['skipped'])}")
        print(f"results: {Path(output) / 'results.json'}")
        return 0

    return cli.run_cli(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
