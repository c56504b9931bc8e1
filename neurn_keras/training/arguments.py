"""The command-line options that ``train`` and ``sweep`` share: the data and the recipe.

Every option defaults to "not given" (None), so that :func:`base_settings` can tell a
``--protocol`` preset's values from the user's: the preset fills what was not given,
then ``RunConfig``'s own defaults fill the rest. Both tools build their ``RunConfig``
this way, so a sweep cell runs with exactly the settings ``train`` would give the same
flags.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neurn_keras import cli
from neurn_keras.training.config import (
    DEFAULT_EPOCHS,
    DEFAULT_PRECISE_BN,
    LR_SCHEDULES,
    OPTIMIZERS,
    RunConfig,
)
from neurn_keras.training.protocols import PROTOCOLS


def _optional_int(text: str) -> int | None:
    """A positive integer, or ``none``."""
    return None if text.lower() == "none" else cli.positive_int(text)


def _non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else cli.positive_int(text)


def _non_negative_float(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else cli.positive_float(text)


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
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"use the first N training images of the source, or 'all' (default "
        f"{defaults.train_limit}; fewer if the source has fewer)",
    )
    group.add_argument(
        "--test-limit",
        type=cli.limit,
        default=argparse.SUPPRESS,
        metavar="N",
        help="use the first N test images of every domain (default all)",
    )
    group.add_argument(
        "--val-split",
        type=cli.fraction,
        default=argparse.SUPPRESS,
        metavar="F",
        help="fraction of the training images held out, stratified, for early stopping "
        f"and model selection (default {defaults.val_split})",
    )
    group.add_argument(
        "--input-shape",
        type=cli.positive_int,
        nargs=3,
        default=argparse.SUPPRESS,
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
    """``--protocol --epochs --steps --eval-every --batch-size --lr --optimizer --momentum
    --lr-schedule --patience --weights --precise-bn --distribute``."""
    defaults = RunConfig()
    group.add_argument(
        "--protocol",
        choices=tuple(PROTOCOLS),
        default=None,
        help="start from a literature preset; options given here change it (and the "
        "record lists what changed). "
        + "; ".join(f"{p.name}: {p.description}" for p in PROTOCOLS.values()).replace("%", "%%"),
    )
    group.add_argument(
        "--epochs",
        type=cli.positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"maximum number of epochs (default {DEFAULT_EPOCHS})",
    )
    group.add_argument(
        "--steps",
        type=cli.positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help="train for N optimizer steps instead of --epochs, validating every "
        "--eval-every steps (an epoch of history.csv)",
    )
    group.add_argument(
        "--eval-every",
        type=cli.positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help="steps between validations, with --steps (must divide it)",
    )
    group.add_argument(
        "--batch-size",
        type=cli.positive_int,
        default=argparse.SUPPRESS,
        metavar="N",
        help=f"batch size (default {defaults.batch_size})",
    )
    group.add_argument(
        "--lr",
        type=cli.positive_float,
        default=argparse.SUPPRESS,
        help=f"learning rate, the start of a schedule (default {defaults.lr})",
    )
    group.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=argparse.SUPPRESS,
        help=f"adam, or sgd with --momentum (default {defaults.optimizer})",
    )
    group.add_argument(
        "--momentum",
        type=_non_negative_float,
        default=argparse.SUPPRESS,
        help=f"SGD momentum, with --optimizer sgd (default {defaults.momentum:g})",
    )
    group.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        default=argparse.SUPPRESS,
        help="constant, or cosine: from --lr down to 0 over the run's optimizer steps "
        f"(default {defaults.lr_schedule})",
    )
    group.add_argument(
        "--patience",
        type=_optional_int,
        default=argparse.SUPPRESS,
        metavar="N|none",
        help=f"early-stopping patience in epochs, or 'none' to never stop early "
        f"(default {defaults.patience}); the best validation epoch is kept either way",
    )
    group.add_argument(
        "--weights",
        default=argparse.SUPPRESS,
        metavar="none|imagenet|FILE",
        help="starting weights of the backbone (default none)",
    )
    group.add_argument(
        "--precise-bn",
        type=_non_negative_int,
        default=argparse.SUPPRESS,
        metavar="IMAGES",
        help="before every validation, replace BatchNormalization's moving statistics by "
        f"averages over this many training images (default {DEFAULT_PRECISE_BN}; 0: off; "
        "no effect without BatchNormalization)",
    )
    group.add_argument(
        "--distribute",
        action="store_true",
        help="train on every local accelerator (TensorFlow: MirroredStrategy; JAX: "
        "keras.distribution.DataParallel; not available on PyTorch)",
    )


def add_method_arguments(group: argparse._ArgumentGroup, grid: bool = False) -> None:
    """``--consistency`` (and, for ``train``, the method of the one run)."""
    group.add_argument(
        "--consistency",
        type=_non_negative_float,
        default=argparse.SUPPRESS,
        metavar="LAMBDA",
        help="with an augmentation: RandConv's consistency loss (KL of 3 augmented "
        "draws to their mean) with this weight (default 0: off; RandConv uses 10)"
        + ("; applies to the augmented cells" if grid else ""),
    )


SETTING_NAMES = (
    "train_limit", "test_limit", "val_split", "input_shape", "epochs", "steps",
    "eval_every", "batch_size", "lr", "optimizer", "momentum", "lr_schedule", "patience",
    "weights", "precise_bn", "consistency",
)  # fmt: skip


def base_settings(args: argparse.Namespace) -> dict:
    """The ``RunConfig`` fields the shared options set (only those given), plus
    ``protocol``: pass them to :func:`config_from_settings`."""
    settings = {name: getattr(args, name) for name in SETTING_NAMES if hasattr(args, name)}
    if "input_shape" in settings:
        settings["input_shape"] = tuple(settings["input_shape"])
    if "weights" in settings:
        settings["weights"] = None if settings["weights"].lower() == "none" else settings["weights"]
    if args.targets is not None:
        targets = args.targets
        settings["targets"] = () if [t.lower() for t in targets] == ["none"] else tuple(targets)
    if args.protocol is not None:
        settings["protocol"] = args.protocol
    return settings


def config_from_settings(**settings) -> RunConfig:
    """``RunConfig`` from given fields, a ``protocol``'s preset filling what is not given."""
    protocol = settings.pop("protocol", None)
    if protocol is None:
        return RunConfig(**settings)
    return RunConfig.for_protocol(protocol, **settings)
