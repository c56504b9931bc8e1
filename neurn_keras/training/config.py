"""One training run's configuration: validation, defaults, identity hash and command line.

A run is identified by what changes its numbers (backbone, input normalization,
augmentation, data, schedule, seed), not by where it writes or reads: ``cell_hash``
hashes exactly those fields, so a sweep can name a cell's directory by its
configuration (as DomainBed does) and a rerun finds the same directory.

Validation raises :class:`neurn_keras.errors.ArgumentError` naming the field
(``kernel_size=4``); the command-line tools show the same error with their flags.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from neurn_keras.errors import ArgumentError
from neurn_keras.files import sha256_file
from neurn_keras.layer_options import PADDINGS, is_odd_size
from neurn_keras.training.protocols import PROTOCOLS

CIFAR27 = "cifar27"
INPUT_NORMS = ("neurn", "lcn", "none")
"""What sits on the raw pixels in front of the backbone: NeuRN, local contrast
normalization (Jarrett et al. 2009), or nothing."""
AUGMENTS = ("none", "randconv", "prorandconv")
"""Training-only augmentation of the raw pixels, before the input normalization (after
NeuRN with ``augment_after_norm``)."""
OPTIMIZERS = ("adam", "sgd")
"""``adam`` (Keras's Adam) or ``sgd`` (SGD with ``momentum``)."""
LR_SCHEDULES = ("constant", "cosine")
"""``constant``, or ``cosine``: decay from ``lr`` to 0 over the run's optimizer steps."""
LATER_FIELDS = {
    "optimizer": "adam",
    "momentum": 0.0,
    "lr_schedule": "constant",
    "augment_after_norm": False,
}
"""Fields added after results existed: left out of the identity at these defaults, so
every run made before they existed keeps its hash (and its cell directory)."""
DEFAULT_TRAIN_LIMIT = 10000
"""The literature's single-source protocol trains on the first 10,000 MNIST images."""
DEFAULT_EPOCHS = 5
"""Keeps the default run to a few minutes on a laptop CPU; the paper trains to early stop."""
DEFAULT_PRECISE_BN = 8192
"""Training images whose BatchNormalization statistics replace the moving ones before
every validation (pycls's default); 0 turns it off."""


def digit_domains() -> tuple[str, ...]:
    """Every digit domain a run can use: the four real ones, then our renderer."""
    from neurn_keras import datasets

    return (*datasets.DOMAINS, *datasets.RENDERED_DOMAINS)


def backbone_names() -> tuple[str, ...]:
    from neurn_keras import backbones

    return backbones.NAMES


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run's numbers. See ``python -m neurn_keras.train --help``.

    ``targets=None`` means the default targets (every other digit domain, ``syn_render``
    included), where a domain whose files are missing is skipped; named targets must be
    found. ``train_limit=None`` and ``test_limit=None`` mean all images. With ``steps``
    the run takes that many optimizer steps, validating every ``eval_every`` steps (an
    "epoch" of ``history.csv``); without it, ``epochs`` passes over the training images.
    ``patience=None`` never stops early (the best validation epoch is still kept).
    ``protocol`` names the preset (``PROTOCOLS``) the run started from.
    """

    backbone: str = "digitnet"
    input_norm: str = "neurn"
    kernel_size: int = 5
    padding: str = "reflect"
    augment: str = "none"
    augment_after_norm: bool = False
    consistency: float = 0.0
    source: str = "mnist"
    targets: tuple[str, ...] | None = None
    input_shape: tuple[int, int, int] = (32, 32, 3)
    epochs: int = DEFAULT_EPOCHS
    steps: int | None = None
    eval_every: int | None = None
    batch_size: int = 256
    lr: float = 0.001
    optimizer: str = "adam"
    momentum: float = 0.0
    lr_schedule: str = "constant"
    patience: int | None = 5
    val_split: float = 0.1
    train_limit: int | None = DEFAULT_TRAIN_LIMIT
    test_limit: int | None = None
    seed: int = 0
    weights: str | None = None
    init_from: str | None = None
    precise_bn: int = DEFAULT_PRECISE_BN
    protocol: str | None = None

    def __post_init__(self):
        if self.targets is not None:
            object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "input_shape", tuple(int(v) for v in self.input_shape))

    @classmethod
    def for_protocol(cls, protocol: str, **changes) -> RunConfig:
        """The preset ``protocol`` (a key of ``PROTOCOLS``) with ``changes`` to its free fields."""
        if protocol not in PROTOCOLS:
            raise ArgumentError("protocol", protocol, f"choose one of {', '.join(PROTOCOLS)}")
        return cls(**{**PROTOCOLS[protocol].settings, **changes, "protocol": protocol})

    # ---------------------------------------------------------------- derived values
    @property
    def neurn(self) -> bool:
        """Whether NeuRN is the input normalization."""
        return self.input_norm == "neurn"

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

    def protocol_deviations(self) -> dict:
        """The preset fields this run changed (empty without a protocol)."""
        return PROTOCOLS[self.protocol].deviations(self) if self.protocol else {}

    # ---------------------------------------------------------------- checks
    def validate(self) -> RunConfig:
        """Raises ``ArgumentError`` naming the first bad field and its fix; returns self."""
        self._validate_names()
        self._validate_numbers()
        self._validate_files()
        return self

    def _validate_names(self) -> None:
        domains = digit_domains()
        backbones = backbone_names()
        if self.backbone not in backbones:
            raise ArgumentError(
                "backbone", self.backbone, f"unknown backbone; choose one of {', '.join(backbones)}"
            )
        if self.source not in (*domains, CIFAR27):
            raise ArgumentError(
                "source",
                self.source,
                f"unknown source domain; choose one of {', '.join((*domains, CIFAR27))}",
            )
        for target in self.targets or ():
            if target not in domains:
                raise ArgumentError(
                    "targets", target, f"unknown target domain; choose from {', '.join(domains)}"
                )
        if self.source in (self.targets or ()):
            raise ArgumentError(
                "targets",
                self.targets,
                f"the source {self.source!r} is also listed in `targets`; its own test set "
                "is always evaluated, so leave it out",
            )
        if self.targets is not None and len(set(self.targets)) != len(self.targets):
            raise ArgumentError("targets", self.targets, "lists a domain twice")
        if self.source == CIFAR27 and self.targets:
            raise ArgumentError(
                "targets",
                self.targets,
                "cifar27 has 27 classes, the digit targets 10: train on cifar27 without "
                "`targets`, then train on a digit source with `init_from` the cifar27 model",
            )
        for name, value, allowed in (
            ("input_norm", self.input_norm, INPUT_NORMS),
            ("padding", self.padding, PADDINGS),
            ("augment", self.augment, AUGMENTS),
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("lr_schedule", self.lr_schedule, LR_SCHEDULES),
        ):
            if value not in allowed:
                raise ArgumentError(name, value, f"must be one of {', '.join(allowed)}")
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise ArgumentError("protocol", self.protocol, f"choose one of {', '.join(PROTOCOLS)}")

    def _validate_numbers(self) -> None:
        if self.neurn and not is_odd_size(self.kernel_size):
            raise ArgumentError("kernel_size", self.kernel_size, "must be an odd integer >= 1")
        height, width, channels = self.input_shape
        if height < 1 or width < 1 or channels not in (1, 3):
            raise ArgumentError(
                "input_shape", self.input_shape, "expected HEIGHT WIDTH 1|3 (e.g. 32 32 3)"
            )
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ArgumentError(name, getattr(self, name), "must be >= 1")
        for name in ("patience", "steps", "eval_every", "train_limit", "test_limit"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ArgumentError(name, value, "must be >= 1 (or unset)")
        if (self.steps is None) != (self.eval_every is None):
            raise ArgumentError(
                "eval_every",
                self.eval_every,
                "`steps` and `eval_every` go together: give both or neither",
            )
        if self.steps is not None and self.steps % self.eval_every:
            raise ArgumentError(
                "eval_every", self.eval_every, f"must divide `steps` ({self.steps}) exactly"
            )
        if not 0 < self.val_split < 1:
            raise ArgumentError("val_split", self.val_split, "must be in (0, 1)")
        if not self.lr > 0:
            raise ArgumentError("lr", self.lr, "must be positive")
        if not 0 <= self.momentum < 1:
            raise ArgumentError("momentum", self.momentum, "must be in [0, 1)")
        if self.momentum and self.optimizer != "sgd":
            raise ArgumentError(
                "momentum", self.momentum, "applies to `optimizer` sgd (Adam has its own)"
            )
        if self.precise_bn < 0:
            raise ArgumentError("precise_bn", self.precise_bn, "must be >= 0 (0 turns it off)")
        if self.consistency < 0:
            raise ArgumentError("consistency", self.consistency, "must be >= 0 (0 turns it off)")
        if self.augment_after_norm and (self.augment == "none" or not self.neurn):
            raise ArgumentError(
                "augment_after_norm",
                self.augment_after_norm,
                "puts the augmentation after NeuRN: set `augment` and `input_norm` neurn",
            )
        if self.consistency > 0 and self.augment == "none":
            raise ArgumentError(
                "consistency",
                self.consistency,
                "the consistency loss compares augmented draws: set `augment` too",
            )

    def _validate_files(self) -> None:
        if self.weights not in (None, "imagenet") and not Path(self.weights).is_file():
            raise ArgumentError(
                "weights", self.weights, "is neither none, imagenet nor an existing file"
            )
        if self.init_from is not None:
            if not Path(self.init_from).is_file():
                raise ArgumentError("init_from", self.init_from, "no such file")
            if self.weights is not None:
                raise ArgumentError(
                    "init_from",
                    self.init_from,
                    "`init_from` and `weights` both set the starting weights; pass only one",
                )

    # ---------------------------------------------------------------- identity
    def identity(self) -> dict:
        """The fields that decide the results, in canonical form (for hashing)."""
        fields = dataclasses.asdict(self)
        fields["targets"] = list(self.targets) if self.targets is not None else None
        fields["input_shape"] = list(self.input_shape)
        if not self.neurn:
            fields["kernel_size"] = fields["padding"] = None
        if self.steps is not None:
            fields["epochs"] = None
        for key, default in LATER_FIELDS.items():
            if fields[key] == default:
                del fields[key]
        for key in ("weights", "init_from"):  # a file is identified by its content
            value = fields[key]
            if value not in (None, "imagenet") and Path(value).is_file():
                fields[key] = "sha256:" + sha256_file(value)
        return fields

    def cell_hash(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def method_tag(self) -> str:
        """``neurn-k5-reflect``, ``plain``, ``lcn``, with ``randconv+`` etc. in front."""
        tag = {"neurn": f"neurn-k{self.kernel_size}-{self.padding}", "lcn": "lcn"}.get(
            self.input_norm, "plain"
        )
        if self.augment != "none":
            augment = self.augment + (f"-c{self.consistency:g}" if self.consistency else "")
            tag = f"{tag}+{augment}" if self.augment_after_norm else f"{augment}+{tag}"
        return tag

    def cell_name(self) -> str:
        """A readable, unique directory name: ``digitnet-neurn-k5-reflect-mnist-seed0-<hash>``."""
        return (
            f"{self.backbone}-{self.method_tag()}-{self.source}-seed{self.seed}-{self.cell_hash()}"
        )

    # ---------------------------------------------------------------- command line
    def to_argv(self) -> list[str]:
        """Arguments of ``python -m neurn_keras.train`` that reproduce this configuration."""

        def optional(value):
            return "none" if value is None else str(value)

        def limit(value):
            return "all" if value is None else str(value)

        argv = [
            "--backbone", self.backbone,
            "--input-norm", self.input_norm,
            "--kernel-size", str(self.kernel_size),
            "--padding", self.padding,
            "--augment", self.augment,
            "--consistency", repr(self.consistency),
            "--source", self.source,
            "--input-shape", *(str(v) for v in self.input_shape),
            "--batch-size", str(self.batch_size),
            "--lr", repr(self.lr),
            "--optimizer", self.optimizer,
            "--momentum", repr(self.momentum),
            "--lr-schedule", self.lr_schedule,
            "--patience", optional(self.patience),
            "--val-split", repr(self.val_split),
            "--train-limit", limit(self.train_limit),
            "--test-limit", limit(self.test_limit),
            "--seed", str(self.seed),
            "--weights", self.weights or "none",
            "--precise-bn", str(self.precise_bn),
        ]  # fmt: skip
        if self.steps is None:
            argv += ["--epochs", str(self.epochs)]
        else:
            argv += ["--steps", str(self.steps), "--eval-every", str(self.eval_every)]
        if self.augment_after_norm:
            argv += ["--augment-after-norm"]
        if self.protocol is not None:
            argv += ["--protocol", self.protocol]
        if self.targets is not None:
            argv += ["--targets", *(self.targets or ["none"])]
        if self.init_from is not None:
            argv += ["--init-from", self.init_from]
        return argv
