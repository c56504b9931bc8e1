"""The data of a run: the source's training and test images, the targets' test images.

Every loader error becomes a one-line ``DataNotFoundError`` (or ``ArgumentError`` for a
limit beyond the data) carrying the loader's message. In the default target list, a
domain whose files are not there is skipped (with a one-line warning and a note in
``results.json``) without trying any download; a target named by the user must load.
:func:`check_data_present` finds every file without reading it, so a run can fail
fast, before it loads anything.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurn_keras.environment import portable_path, resolve_data_dir
from neurn_keras.errors import DataNotFoundError, one_line
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
    files: dict[str, str] = field(default_factory=dict)  # path in the data dir -> sha256


def _load(name: str, split: str, data_dir, limit: int | None, cut: bool = False):
    """``load_domain`` (or ``load_cifar27``), with errors as ``DataNotFoundError``.

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
        message = one_line(error)
        if not message.startswith(f"{name}: no {split} data"):  # says which split already
            message = f"{name} {split}: {message}"
        raise DataNotFoundError(message) from error


def _hash_files(name: str, split: str, data_dir, into: dict[str, str]) -> None:
    """sha256 of ``name``'s ``split`` files, keyed by their path relative to the data
    directory (elsewhere: as ``portable_path`` writes it), so records hold no machine paths."""
    from neurn_keras import datasets

    root = resolve_data_dir(data_dir).resolve()

    def key(path: Path) -> str:
        path = Path(path).resolve()
        return (
            path.relative_to(root).as_posix() if path.is_relative_to(root) else portable_path(path)
        )

    paths = datasets.source_files(name, split, data_dir=data_dir)
    if len(paths) <= MAX_LISTED_FILES:
        for path in paths:
            into.setdefault(key(path), sha256_file(path))
        return
    combined = hashlib.sha256()
    for path in sorted(paths):
        combined.update(f"{path.name} {sha256_file(path)}\n".encode())
    into[f"{key(paths[0].parent)} ({len(paths)} files)"] = "combined:" + combined.hexdigest()


def _available_locally(name: str, split: str, data_dir) -> str | None:
    """None when ``name``'s files for ``split`` are there; else why not (never downloads)."""
    from neurn_keras import datasets

    try:
        datasets.source_files(name, split, data_dir=data_dir)
    except FileNotFoundError as error:
        return one_line(error)
    return None


def check_data_present(config: RunConfig, data_dir=None) -> None:
    """Raises ``DataNotFoundError`` unless the source's files and every named target's are
    there (or, without ``data_dir``, can be fetched); reads and downloads nothing."""
    from neurn_keras.datasets.loading import has_online

    needed = [(config.source, "train"), (config.source, "test")]
    needed += [(target, "test") for target in config.targets or ()]
    for name, split in needed:
        if name == CIFAR27:
            name = "cifar100"
        reason = _available_locally(name, split, data_dir)
        if reason is not None and (data_dir is not None or not has_online(name)):
            raise DataNotFoundError(f"{name} {split}: {reason}")


def load_run_data(
    config: RunConfig,
    data_dir: str | os.PathLike | None = None,
    log: Callable[[str], None] = print,
) -> RunData:
    """Loads everything ``config`` trains and evaluates on, before any model is built.

    ``log`` receives one line for the loading and one per skipped default target.
    """
    started = time.perf_counter()
    x_train, y_train = _load(config.source, "train", data_dir, config.train_limit, cut=True)
    tests = {config.source: _load(config.source, "test", data_dir, config.test_limit, cut=True)}
    skipped: dict[str, str] = {}
    for target in config.resolved_targets():
        if config.targets is None and _available_locally(target, "test", data_dir) is not None:
            reason = f"no {target} files in the data directory (see data/README.md)"
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
    sizes = ", ".join(f"{name} {len(y)}" for name, (_, y) in tests.items())
    log(
        f"loaded {len(x_train)} {config.source} training images and test images "
        f"({sizes}) in {time.perf_counter() - started:.1f} s"
    )
    return RunData(x_train, y_train, tests, skipped, files)
