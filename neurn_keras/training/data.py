"""The data of a run: the source's training and test images, the targets' test images.

Every loader error becomes a one-line ``UsageError`` carrying the loader's message. In
the default target list, a domain whose files are not there is skipped (with a warning
and a note in ``results.json``) without trying any download; a target named by the
user must load.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from neurn_keras.cli import UsageError, one_line
from neurn_keras.files import sha256_file
from neurn_keras.training.config import CIFAR27, RunConfig

MAX_LISTED_FILES = 16
"""Above this many files for one split (MNIST-M as PNGs), one combined digest is kept."""


@dataclass
class RunData:
    """Arrays at native size (uint8 NHWC, int64 labels), and what was skipped or read."""

    x_train: np.ndarray
    y_train: np.ndarray
    tests: dict[str, tuple[np.ndarray, np.ndarray]]  # the source first, then the targets
    skipped: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256


def _load(name: str, split: str, data_dir, limit: int | None, cut: bool = False):
    """``load_domain`` (or ``load_cifar27``), with errors as ``UsageError``.

    ``cut=True`` takes *at most* ``limit`` images (fewer when the split is smaller).
    """
    from neurn_keras import datasets
    from neurn_keras.datasets import DatasetFormatError

    try:
        if name == CIFAR27:
            x, y = datasets.load_cifar27(split, data_dir=data_dir)
            return (x[:limit], y[:limit]) if limit else (x, y)
        try:
            return datasets.load_domain(name, split, data_dir=data_dir, limit=limit)
        except ValueError:
            if not cut or limit is None:
                raise
        x, y = datasets.load_domain(name, split, data_dir=data_dir)  # fewer than limit
        return x[:limit], y[:limit]
    except (FileNotFoundError, DatasetFormatError, ValueError) as error:
        raise UsageError(f"{name} {split}: {one_line(error)}") from error


def _hash_files(name: str, split: str, data_dir, into: dict[str, str]) -> None:
    from neurn_keras import datasets

    paths = datasets.source_files(name, split, data_dir=data_dir)
    if len(paths) <= MAX_LISTED_FILES:
        for path in paths:
            into.setdefault(str(path), sha256_file(path))
        return
    combined = hashlib.sha256()
    for path in sorted(paths):
        combined.update(f"{path.name} {sha256_file(path)}\n".encode())
    into[f"{paths[0].parent} ({len(paths)} files)"] = "combined:" + combined.hexdigest()


def _available_locally(name: str, data_dir) -> str | None:
    """None when ``name``'s test files are there; else why not (never downloads)."""
    from neurn_keras import datasets

    try:
        datasets.source_files(name, "test", data_dir=data_dir)
    except FileNotFoundError as error:
        return one_line(error)
    return None


def load_run_data(
    config: RunConfig,
    data_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] = print,
) -> RunData:
    """Loads everything ``config`` trains and evaluates on, before any model is built.

    ``log`` receives the one-line warning for each skipped default target.
    """
    x_train, y_train = _load(config.source, "train", data_dir, config.train_limit, cut=True)
    tests = {config.source: _load(config.source, "test", data_dir, config.test_limit, cut=True)}
    skipped: dict[str, str] = {}
    for target in config.resolved_targets():
        if config.targets is None:
            reason = _available_locally(target, data_dir)
            if reason is not None:
                log(f"warning: skipping target {target}: {reason}")
                skipped[target] = reason
                continue
        tests[target] = _load(target, "test", data_dir, config.test_limit, cut=True)
    files: dict[str, str] = {}
    for name, split in [(config.source, "train"), *((name, "test") for name in tests)]:
        try:
            _hash_files(name, split, data_dir, files)
        except FileNotFoundError:  # loaded online, where no local files stay behind
            files[f"{name} {split}"] = "unavailable (loaded without local files)"
    return RunData(x_train, y_train, tests, skipped, files)
