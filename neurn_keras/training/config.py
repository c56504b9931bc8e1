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
from dataclasses import dataclass, field
from pathlib import Path

from neurn_keras.errors import ArgumentError, ModelFileError
from neurn_keras.files import is_keras_archive, sha256_file
from neurn_keras.layer_options import AUGMENTS as AUGMENT_STAGES
from neurn_keras.layer_options import INPUT_NORMS as INPUT_NORM_STAGES
from neurn_keras.layer_options import NeuRNOptions
from neurn_keras.methods import Method
from neurn_keras.training import command_line
from neurn_keras.training.protocols import PROTOCOLS

CIFAR27 = "cifar27"
INPUT_NORMS = tuple(INPUT_NORM_STAGES)
"""What sits on the raw pixels in front of the backbone: NeuRN, local contrast
normalization (Jarrett et al. 2009), a one-line control, or nothing
(``layer_options.INPUT_NORMS``)."""
AUGMENTS = tuple(AUGMENT_STAGES)
"""Training-only augmentation of the raw pixels, before the input normalization (after
NeuRN with ``augment_after_norm``; ``layer_options.AUGMENTS``)."""
OPTIMIZERS = ("adam", "sgd")
"""``adam`` (Keras's Adam) or ``sgd`` (SGD with ``momentum``)."""
LR_SCHEDULES = ("constant", "cosine")
"""``constant``, or ``cosine``: decay from ``lr`` to 0 over the run's optimizer steps."""
LATER_FIELDS = {
    "optimizer": "adam",
    "momentum": 0.0,
    "lr_schedule": "constant",
    "augment_after_norm": False,
    "normalize_over": "image",
    "color": "rgb",
    "inner_neurn": False,
}
"""Fields added after results existed: left out of the identity at these defaults, so
every run made before they existed keeps its hash (and its cell directory)."""
NEURN_VARIANT_FIELDS = ("normalize_over", "color", "inner_neurn")
"""NeuRN's variants (issue 24's ablations): no part of a run without NeuRN."""
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


def _backbone_names() -> tuple[str, ...]:
    from neurn_keras import backbones

    return backbones.NAMES


def _field(default, group: str, help: str, **metadata):
    """A ``RunConfig`` field with its command-line documentation (``training.command_line``)."""
    return field(default=default, metadata={"help": help, "group": group, **metadata})


def _neurn_field(name: str):
    """The ``RunConfig`` field of NeuRN's option ``name``: its default, help and choices
    are ``NeuRNOptions``'s (stated once there)."""
    option = next(f for f in NeuRNOptions.fields() if f.name == name)
    flags = {key: value for key, value in option.metadata.items() if key not in ("help", "names")}
    return _field(option.default, "model", option.metadata["help"], **flags)


def check_model_file(path: str) -> None:
    """Raises ``ModelFileError`` unless ``path`` (``init_from``) is a ``.keras`` archive.

    Reads the zip's table of contents only, so a wrong file is refused before Keras loads.
    """
    if not is_keras_archive(path):
        raise ModelFileError(
            f"`init_from` {path} is not a Keras model file (a .keras zip written by "
            "model.save() or python -m neurn_keras.train)"
        )


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

    # model
    backbone: str = _field(
        "digitnet", "model", "backbone: " + ", ".join(_backbone_names()), metavar="NAME"
    )
    input_norm: str = _field(
        "neurn",
        "model",
        "in front of the backbone, on the raw pixels: "
        + "; ".join(f"{s.name}: {s.label or 'nothing'}" for s in INPUT_NORM_STAGES.values()),
        choices=INPUT_NORMS,
    )
    # NeuRN's options (``NeuRNOptions``): one line each here, everything else there
    kernel_size: int = _neurn_field("kernel_size")
    padding: str = _neurn_field("padding")
    normalize_over: str = _neurn_field("normalize_over")
    color: str = _neurn_field("color")
    inner_neurn: bool = _field(
        False,
        "model",
        "DigitNet only: NeuRN (the same k, padding and maximum) again right after the "
        "first convolution",
    )
    augment: str = _field(
        "none",
        "model",
        "training-only augmentation of the raw pixels, before the input normalization: "
        "RandConv (Xu et al. 2021), Pro-RandConv (Choi et al. 2023) or random polarity "
        "inversion (255 - x for half of the images)",
        choices=AUGMENTS,
    )
    augment_after_norm: bool = _field(
        False,
        "model",
        "put the augmentation after NeuRN (on its output scaled to 0..255) instead of on "
        "the raw pixels",
    )
    consistency: float = _field(
        0.0,
        "model",
        "with an augmentation: RandConv's consistency loss (KL of 3 augmented draws to "
        "their mean) with this weight (0: off; RandConv uses 10)",
        metavar="LAMBDA",
    )
    # data
    source: str = _field("mnist", "data", "training domain", metavar="DOMAIN")
    targets: tuple[str, ...] | None = _field(
        None,
        "data",
        "test domains besides the source (default: every other digit domain, syn_render "
        "included, skipping those without data; 'none' for none)",
        metavar="DOMAIN",
    )
    input_shape: tuple[int, int, int] = _field(
        (32, 32, 3), "data", "model input; every domain is resized to it", metavar=("H", "W", "C")
    )
    train_limit: int | None = _field(
        DEFAULT_TRAIN_LIMIT,
        "data",
        "use the first N training images of the source, or 'all' (fewer if the source has fewer)",
        metavar="N",
        none="all",
    )
    test_limit: int | None = _field(
        None,
        "data",
        "use the first N test images of every domain, or 'all'",
        metavar="N",
        none="all",
    )
    val_split: float = _field(
        0.1,
        "data",
        "fraction of the training images held out, stratified, for early stopping and "
        "model selection",
        metavar="F",
    )
    # training
    epochs: int = _field(DEFAULT_EPOCHS, "training", "maximum number of epochs", metavar="N")
    steps: int | None = _field(
        None,
        "training",
        "train for N optimizer steps instead of --epochs, validating every --eval-every "
        "steps (an epoch of history.csv)",
        metavar="N",
    )
    eval_every: int | None = _field(
        None, "training", "steps between validations, with --steps (must divide it)", metavar="N"
    )
    batch_size: int = _field(256, "training", "batch size", metavar="N")
    lr: float = _field(0.001, "training", "learning rate, the start of a schedule")
    optimizer: str = _field("adam", "training", "adam, or sgd with --momentum", choices=OPTIMIZERS)
    momentum: float = _field(0.0, "training", "SGD momentum, with --optimizer sgd")
    lr_schedule: str = _field(
        "constant",
        "training",
        "constant, or cosine: from --lr down to 0 over the run's optimizer steps",
        choices=LR_SCHEDULES,
    )
    patience: int | None = _field(
        5,
        "training",
        "early-stopping patience in epochs, or 'none' to never stop early; the best "
        "validation epoch is kept either way",
        metavar="N|none",
    )
    seed: int = _field(0, "training", "seed of the split, the initialization and the batch order")
    weights: str | None = _field(
        None, "training", "starting weights of the backbone", metavar="none|imagenet|FILE"
    )
    init_from: str | None = _field(
        None,
        "training",
        "start from this saved model (e.g. one trained on cifar27); its classifier is "
        "replaced when the class count differs",
        metavar="MODEL.keras",
    )
    precise_bn: int = _field(
        DEFAULT_PRECISE_BN,
        "training",
        "before every validation, replace BatchNormalization's moving statistics by "
        "averages over this many training images (0: off; no effect without "
        "BatchNormalization)",
        metavar="IMAGES",
    )
    protocol: str | None = _field(
        None,
        "training",
        "start from a literature preset; options given here change it (and the record "
        "lists what changed). "
        + "; ".join(f"{p.name}: {p.description}" for p in PROTOCOLS.values()),
        choices=tuple(PROTOCOLS),
    )

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

    def neurn_options(self) -> NeuRNOptions | None:
        """NeuRN's options, or None without NeuRN."""
        if not self.neurn:
            return None
        return NeuRNOptions(**{f.name: getattr(self, f.name) for f in NeuRNOptions.fields()})

    def neurn_config(self) -> dict | None:
        """The NeuRN arguments for ``applications.build_model``, or None without NeuRN."""
        options = self.neurn_options()
        return None if options is None else options.as_dict()

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
        backbones = _backbone_names()
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
            ("augment", self.augment, AUGMENTS),
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("lr_schedule", self.lr_schedule, LR_SCHEDULES),
        ):
            if value not in allowed:
                raise ArgumentError(name, value, f"must be one of {', '.join(allowed)}")
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise ArgumentError("protocol", self.protocol, f"choose one of {', '.join(PROTOCOLS)}")

    def _validate_numbers(self) -> None:
        options = NeuRNOptions(**{f.name: getattr(self, f.name) for f in NeuRNOptions.fields()})
        for name, value, allowed in options.problems():
            if name != "kernel_size" or self.neurn:  # a run without NeuRN ignores its window
                raise ArgumentError(name, value, f"must be {allowed}")
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
        if self.inner_neurn and (not self.neurn or self.backbone != "digitnet"):
            raise ArgumentError(
                "inner_neurn",
                self.inner_neurn,
                "repeats NeuRN inside DigitNet: set `input_norm` neurn and `backbone` digitnet",
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
            check_model_file(self.init_from)
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
            fields.update({key: LATER_FIELDS[key] for key in NEURN_VARIANT_FIELDS})
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

    def method(self) -> Method:
        """What stands in front of the backbone (and its names: ``method().tag()``, ...)."""
        return Method(
            augment=self.augment,
            consistency=self.consistency,
            input_norm=self.input_norm,
            neurn=self.neurn_options(),
            augment_after_norm=self.augment_after_norm,
            inner_neurn=self.neurn and self.inner_neurn,
        )

    def cell_name(self) -> str:
        """A readable, unique directory name: ``digitnet-neurn-k3-reflect-mnist-seed0-<hash>``."""
        method, seed = self.method().tag(), self.seed
        return f"{self.backbone}-{method}-{self.source}-seed{seed}-{self.cell_hash()}"

    # ---------------------------------------------------------------- command line
    def to_argv(self) -> list[str]:
        """Arguments of ``python -m neurn_keras.train`` that reproduce this configuration:
        one flag per field (``training.command_line``), a field unset in the preset left out."""
        base = RunConfig.for_protocol(self.protocol) if self.protocol else None
        return command_line.to_argv(self, base)
