"""One training run's configuration: validation, defaults, identity hash and command line.

A run is identified by what changes its numbers (backbone, NeuRN, data, recipe, seed),
not by where it writes or reads: ``cell_hash`` hashes exactly those fields, so a sweep
can name a cell's directory by its configuration (as DomainBed does) and a rerun finds
the same directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from neurn_keras.cli import UsageError
from neurn_keras.files import sha256_file

CIFAR27 = "cifar27"
PADDINGS = ("reflect", "zeros")
DEFAULT_TRAIN_LIMIT = 10000
"""The literature's single-source protocol trains on the first 10,000 MNIST images."""
DEFAULT_EPOCHS = 5
"""Keeps the default run to a few minutes on a laptop CPU; the paper trains to early stop."""


def digit_domains() -> tuple[str, ...]:
    """Every digit domain a run can use: the four real ones, then our renderer."""
    from neurn_keras import datasets

    return (*datasets.DOMAINS, *datasets.RENDERED_DOMAINS)


def backbone_names() -> tuple[str, ...]:
    from neurn_keras.applications import BACKBONES

    return tuple(BACKBONES)


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's numbers. See ``python -m neurn_keras.train --help``.

    ``targets=None`` means the default targets (every other digit domain, ``syn_render``
    included), where a domain whose files are missing is skipped; named targets must be
    found. ``train_limit=None`` and ``test_limit=None`` mean all images.
    """

    backbone: str = "digitnet"
    neurn: bool = True
    kernel_size: int = 5
    padding: str = "reflect"
    source: str = "mnist"
    targets: tuple[str, ...] | None = None
    input_shape: tuple[int, int, int] = (32, 32, 3)
    epochs: int = DEFAULT_EPOCHS
    batch_size: int = 256
    lr: float = 0.001
    patience: int = 5
    val_split: float = 0.1
    train_limit: int | None = DEFAULT_TRAIN_LIMIT
    test_limit: int | None = None
    seed: int = 0
    weights: str | None = None
    init_from: str | None = None

    def __post_init__(self):
        if self.targets is not None:
            object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))

    # ---------------------------------------------------------------- derived values
    @property
    def classes(self) -> int:
        return 27 if self.source == CIFAR27 else 10

    def neurn_config(self) -> dict | None:
        """The NeuRN arguments for ``applications.build_model``, or None without NeuRN."""
        if not self.neurn:
            return None
        return {"kernel_size": self.kernel_size, "padding": self.padding}

    def default_targets(self) -> tuple[str, ...]:
        if self.source == CIFAR27:
            return ()
        return tuple(name for name in digit_domains() if name != self.source)

    def resolved_targets(self) -> tuple[str, ...]:
        return self.default_targets() if self.targets is None else self.targets

    # ---------------------------------------------------------------- checks
    def validate(self) -> RunConfig:
        """Raises ``UsageError`` naming the first bad value and its fix; returns self."""
        domains = digit_domains()
        backbones = backbone_names()
        if self.backbone not in backbones:
            raise UsageError(
                f"unknown backbone {self.backbone!r}; choose one of {', '.join(backbones)}"
            )
        if self.source not in (*domains, CIFAR27):
            raise UsageError(
                f"unknown source domain {self.source!r}; choose one of "
                f"{', '.join((*domains, CIFAR27))}"
            )
        for target in self.targets or ():
            if target not in domains:
                raise UsageError(
                    f"unknown target domain {target!r}; choose from {', '.join(domains)}"
                )
        if self.source in (self.targets or ()):
            raise UsageError(
                f"the source {self.source!r} is also listed in --targets; its own test set "
                "is always evaluated, so leave it out of --targets"
            )
        if self.targets is not None and len(set(self.targets)) != len(self.targets):
            raise UsageError(f"--targets lists a domain twice: {' '.join(self.targets)}")
        if self.source == CIFAR27 and self.targets:
            raise UsageError(
                "cifar27 has 27 classes, the digit targets 10: train on cifar27 without "
                "--targets, then train on a digit source with --init-from the cifar27 model"
            )
        if self.neurn and (self.kernel_size < 1 or self.kernel_size % 2 == 0):
            raise UsageError(f"--kernel-size {self.kernel_size} must be an odd integer >= 1")
        if self.padding not in PADDINGS:
            raise UsageError(f"--padding {self.padding!r} must be one of {', '.join(PADDINGS)}")
        height, width, channels = self.input_shape
        if height < 1 or width < 1 or channels not in (1, 3):
            raise UsageError(
                f"--input-shape {height} {width} {channels}: expected HEIGHT WIDTH 1|3"
            )
        for name in ("epochs", "batch_size", "patience"):
            if getattr(self, name) < 1:
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} must be >= 1, got {getattr(self, name)}")
        for name in ("train_limit", "test_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be >= 1 or 'all', got {value}")
        if not 0 < self.val_split < 1:
            raise UsageError(f"--val-split {self.val_split} must be in (0, 1)")
        if not self.lr > 0:
            raise UsageError(f"--lr {self.lr} must be positive")
        if self.weights not in (None, "imagenet") and not Path(self.weights).is_file():
            raise UsageError(
                f"--weights {self.weights!r} is neither 'none', 'imagenet' nor an existing file"
            )
        if self.init_from is not None:
            if not Path(self.init_from).is_file():
                raise UsageError(f"--init-from {self.init_from!r}: no such file")
            if self.weights is not None:
                raise UsageError(
                    "--init-from and --weights both set the starting weights; pass only one"
                )
        return self

    # ---------------------------------------------------------------- identity
    def identity(self) -> dict:
        """The fields that decide the results, in canonical form (for hashing)."""
        fields = dataclasses.asdict(self)
        fields["targets"] = list(self.targets) if self.targets is not None else None
        fields["input_shape"] = list(self.input_shape)
        if not self.neurn:
            fields["kernel_size"] = fields["padding"] = None
        for key in ("weights", "init_from"):  # a file is identified by its content
            value = fields[key]
            if value not in (None, "imagenet") and Path(value).is_file():
                fields[key] = "sha256:" + sha256_file(value)
        return fields

    def cell_hash(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def cell_name(self) -> str:
        """A readable, unique directory name: ``digitnet-neurn-k5-reflect-mnist-seed0-<hash>``."""
        tag = f"neurn-k{self.kernel_size}-{self.padding}" if self.neurn else "plain"
        return f"{self.backbone}-{tag}-{self.source}-seed{self.seed}-{self.cell_hash()}"

    # ---------------------------------------------------------------- command line
    def to_argv(self) -> list[str]:
        """Arguments of ``python -m neurn_keras.train`` that reproduce this configuration."""

        def limit(value):
            return "all" if value is None else str(value)

        argv = [
            "--backbone", self.backbone,
            "--neurn" if self.neurn else "--no-neurn",
            "--kernel-size", str(self.kernel_size),
            "--padding", self.padding,
            "--source", self.source,
            "--input-shape", *(str(v) for v in self.input_shape),
            "--epochs", str(self.epochs),
            "--batch-size", str(self.batch_size),
            "--lr", repr(self.lr),
            "--patience", str(self.patience),
            "--val-split", repr(self.val_split),
            "--train-limit", limit(self.train_limit),
            "--test-limit", limit(self.test_limit),
            "--seed", str(self.seed),
            "--weights", self.weights or "none",
        ]  # fmt: skip
        if self.targets is not None:
            argv += ["--targets", *(self.targets or ["none"])]
        if self.init_from is not None:
            argv += ["--init-from", self.init_from]
        return argv
