"""The command-line options that ``train`` and ``sweep`` share: the data and the recipe.

Both tools build their ``RunConfig`` from these options with :func:`shared_settings`,
so a sweep cell runs with exactly the settings ``train`` would give the same flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neurn_keras import cli
from neurn_keras.training.config import DEFAULT_EPOCHS, DEFAULT_TRAIN_LIMIT, RunConfig


def add_data_arguments(group: argparse._ArgumentGroup) -> None:
    """``--targets --train-limit --test-limit --val-split --input-shape --data-dir``."""
    defaults = RunConfig()
    group.add_argument(
        "--targets",
        nargs="+",
        default=None,
        metavar="DOMAIN",
        help="test domains besides the source (default: every other digit domain, "
        "syn_render included, skipping those without data; 'none' for none)",
    )
    group.add_argument(
        "--train-limit",
        type=cli.limit,
        default=DEFAULT_TRAIN_LIMIT,
        metavar="N",
        help="use the first N training images of the source, or 'all' "
        "(default %(default)s; fewer if the source has fewer)",
    )
    group.add_argument(
        "--test-limit",
        type=cli.limit,
        default=None,
        metavar="N",
        help="use the first N test images of every domain (default all)",
    )
    group.add_argument(
        "--val-split",
        type=cli.fraction,
        default=defaults.val_split,
        metavar="F",
        help="fraction of the training images held out, stratified, for early stopping "
        "(default %(default)s)",
    )
    group.add_argument(
        "--input-shape",
        type=cli.positive_int,
        nargs=3,
        default=list(defaults.input_shape),
        metavar=("H", "W", "C"),
        help="model input; every domain is resized to it (default 32 32 3)",
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder with the data files (default $NEURN_DATA_DIR, else ~/.neurn_keras/data)",
    )


def add_recipe_arguments(group: argparse._ArgumentGroup) -> None:
    """``--epochs --batch-size --lr --patience --weights --distribute``."""
    defaults = RunConfig()
    group.add_argument(
        "--epochs",
        type=cli.positive_int,
        default=DEFAULT_EPOCHS,
        metavar="N",
        help="maximum number of epochs (default %(default)s)",
    )
    group.add_argument(
        "--batch-size",
        type=cli.positive_int,
        default=defaults.batch_size,
        metavar="N",
        help="batch size (default %(default)s)",
    )
    group.add_argument(
        "--lr",
        type=cli.positive_float,
        default=defaults.lr,
        help="Adam learning rate (default %(default)s)",
    )
    group.add_argument(
        "--patience",
        type=cli.positive_int,
        default=defaults.patience,
        metavar="N",
        help="early-stopping patience in epochs (default %(default)s)",
    )
    group.add_argument(
        "--weights",
        default="none",
        metavar="none|imagenet|FILE",
        help="starting weights of the backbone (default none)",
    )
    group.add_argument(
        "--distribute",
        action="store_true",
        help="train on every local GPU (tf.distribute.MirroredStrategy)",
    )


def shared_settings(args: argparse.Namespace) -> dict:
    """The ``RunConfig`` fields set by the shared options."""
    targets = args.targets
    if targets is not None and [t.lower() for t in targets] == ["none"]:
        targets = ()
    return {
        "targets": None if targets is None else tuple(targets),
        "input_shape": tuple(args.input_shape),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "patience": args.patience,
        "val_split": args.val_split,
        "train_limit": args.train_limit,
        "test_limit": args.test_limit,
        "weights": None if args.weights.lower() == "none" else args.weights,
    }
