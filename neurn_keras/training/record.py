"""The record of a finished run (``results.json``): one typed, versioned class and its readers.

    from neurn_keras.training import load_record, collect_records

    record = load_record("runs/example/results.json")
    record.accuracy["usps"], record.method().label()
    records, problems = collect_records("runs/")

Producers build a :class:`RunRecord`; every reader (the table, the benchmarks, the
notebooks) reads one back with :func:`load_record`, which checks the schema version,
the types and the accuracies, and names what is wrong.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from neurn_keras.errors import ResultsError
from neurn_keras.layer_options import NeuRNOptions
from neurn_keras.methods import Method

SCHEMA_VERSION = 2


@dataclass
class RunRecord:
    """What a run did and measured. Accuracies are fractions in [0, 1].

    The settings fields repeat the run's ``RunConfig`` in readable form; ``config`` is
    its full identity (files as sha256), ``train_argv`` the command that reruns it.
    Epochs count from 1. With ``steps``, an epoch is ``eval_every`` steps.
    """

    backbone: str
    input_norm: str
    neurn: bool
    neurn_config: dict | None
    augment: str
    consistency: float
    source: str
    targets: list
    input_shape: list
    seed: int
    accuracy: dict
    test_images: dict
    train_images: int
    val_images: int
    epochs_run: int
    steps_run: int
    max_epochs: int
    best_epoch: int | None
    best_val_accuracy: float | None
    stopped_early: bool
    precise_bn: dict | None
    train_images_per_second: float | None
    wall_seconds: float
    distributed_replicas: int
    config: dict
    train_argv: list
    versions: dict
    platform: str
    data_files: dict
    skipped: dict = field(default_factory=dict)
    augment_after_norm: bool = False
    protocol: str | None = None
    protocol_deviations: dict = field(default_factory=dict)
    data_dir: str | None = None
    """How the data directory was chosen (``NEURN_DATA_DIR=../shared/data``), never an
    absolute path of the machine; ``data_files`` are keyed by their path inside it."""
    parts: list = field(default_factory=list)
    """An extended run's earlier parts, each as ``RunRecord.summary`` gives it."""
    per_device_batch_size: int | None = None
    """Images per device per step (``batch_size`` / ``distributed_replicas``)."""
    data_parallel_devices: list = field(default_factory=list)
    """The devices each batch was split over (``distribute``; empty: one device)."""
    train_images_dropped_per_pass: int = 0
    """Training images each pass left out, its last batch cut to a multiple of the devices."""
    eval_images_padded: dict = field(default_factory=dict)
    """Per evaluated set (``validation`` and each test domain), the weight-0 images that
    padded its last batch to a multiple of the devices (empty on one device)."""
    distributed_processes: int = 1
    """The processes that trained the run together (``training.processes``; 1: one)."""
    backbone_input: dict = field(default_factory=dict)
    """What the backbone was fed and how it started (``model_parts.backbone_input``): the
    preprocessing mode, the input range of a full-scale image and the initialization
    (DigitNet's changed on 2026-12-01: records made before then say so here)."""
    schema_version: int = SCHEMA_VERSION
    path: str | None = field(default=None, compare=False)
    """The run directory it was read from (not stored in the file)."""

    # ------------------------------------------------------------------ labels
    def method(self) -> Method:
        """What stood in front of the backbone: ``record.method().label()`` names it."""
        options = NeuRNOptions.from_mapping(self.neurn_config or {}) if self.neurn else None
        return Method(
            augment=self.augment,
            consistency=float(self.consistency),
            input_norm=self.input_norm,
            neurn=options,
            augment_after_norm=self.augment_after_norm,
            inner_neurn=bool(self.neurn and self.config.get("inner_neurn", False)),
        )

    def summary(self) -> dict:
        """What a part of an extended run measured: its length, its best epoch, accuracies."""
        return {
            "max_epochs": self.max_epochs,
            "epochs_run": self.epochs_run,
            "best_epoch": self.best_epoch,
            "best_val_accuracy": self.best_val_accuracy,
            "accuracy": self.accuracy,
            "wall_seconds": self.wall_seconds,
        }

    @property
    def target_accuracy(self) -> dict:
        return {name: value for name, value in self.accuracy.items() if name != self.source}

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("path")
        return data

    @classmethod
    def from_json(cls, data: object, where: str = "results") -> RunRecord:
        """The record in ``data`` (a parsed ``results.json``); ``ResultsError`` if invalid."""
        if not isinstance(data, dict):
            raise ResultsError(f"{where}: expected a JSON object, got {type(data).__name__}")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ResultsError(
                f"{where}: schema_version {version!r}, this neurn_keras reads "
                f"{SCHEMA_VERSION}; rerun the run with this version"
            )
        hints = typing.get_type_hints(cls)
        values = {}
        for item in dataclasses.fields(cls):
            if item.name == "path":
                continue
            if item.name not in data:
                if (
                    item.default is dataclasses.MISSING
                    and item.default_factory is dataclasses.MISSING
                ):
                    raise ResultsError(f"{where}: missing key {item.name!r}")
                continue
            value = data[item.name]
            if not _has_type(value, hints[item.name]):
                raise ResultsError(f"{where}: {item.name!r} has the wrong type ({value!r})")
            values[item.name] = value
        record = cls(**values)
        record._check(where)
        return record

    def _check(self, where: str) -> None:
        for domain, value in self.accuracy.items():
            if not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ResultsError(f"{where}: accuracy[{domain!r}]={value!r} is not in [0, 1]")
        if self.source not in self.accuracy:
            raise ResultsError(f"{where}: no accuracy for the source {self.source!r}")


def accuracy_digits(images: int) -> int:
    """Decimals that tell apart every accuracy ``k / images`` (4 at least)."""
    return max(4, math.ceil(math.log10(max(images, 1))))


def round_accuracy(value: float, images: int) -> float:
    """An accuracy over ``images`` examples without float32 noise: 0.9735000133 -> 0.9735."""
    return round(float(value), accuracy_digits(images))


def _has_type(value, hint) -> bool:
    if hint is typing.Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_has_type(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    kind = origin or hint
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def load_record(path: str | os.PathLike) -> RunRecord:
    """Reads and checks one ``results.json``; ``record.path`` is its run directory."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path}: {error}") from error
    record = RunRecord.from_json(data, str(path))
    record.path = str(Path(path).parent)
    return record


def collect_records(runs_dir: str | os.PathLike) -> tuple[list[RunRecord], list[str]]:
    """Every valid ``results.json`` under ``runs_dir`` (recursively, sorted by path), and
    one line per invalid one."""
    records, problems = [], []
    for path in sorted(Path(runs_dir).rglob("results.json")):
        try:
            records.append(load_record(path))
        except ResultsError as error:
            problems.append(str(error))
    return records, problems
