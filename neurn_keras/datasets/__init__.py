"""The digit domains and CIFAR-27, from local files or (online) TFDS.

    from neurn_keras import datasets

    x, y = datasets.load_domain("mnist", "train", limit=10000)   # uint8 (N, 28, 28, 1)
    x_t, y_t = datasets.load_domain("mnist_m", "test")            # uint8 (N, 32, 32, 3)
    (x, y), (x_val, y_val) = datasets.train_val_split(x, y, 0.1, seed=0)
    train = datasets.as_tf_dataset(x, y, 128, shuffle=True, seed=0, input_shape=(32, 32, 3))

Files are looked for in ``data_dir``, else ``$NEURN_DATA_DIR``, else
``~/.neurn_keras/data`` (see ``data/README.md`` for names and formats). Decoded arrays
are cached per process (:func:`clear_cache`); ``as_tf_dataset`` imports TensorFlow on
first use only.
"""

from __future__ import annotations

import os
from pathlib import Path

from neurn_keras._lazy import lazy_exports
from neurn_keras.datasets.cache import clear_cache
from neurn_keras.datasets.cifar27 import cifar27_classes, load_cifar27
from neurn_keras.datasets.digits import DOMAINS, RENDERED_DOMAINS, load_domain
from neurn_keras.datasets.formats import DatasetFormatError
from neurn_keras.datasets.loading import source_file_list
from neurn_keras.datasets.prepare import prepare
from neurn_keras.datasets.sources import SPLITS
from neurn_keras.datasets.split import train_val_split
from neurn_keras.datasets.syn_render import render_digits
from neurn_keras.errors import InvalidValueError

__all__ = [
    "DOMAINS",
    "RENDERED_DOMAINS",
    "SPLITS",
    "DatasetFormatError",
    "as_tf_dataset",
    "cifar27_classes",
    "clear_cache",
    "load_cifar27",
    "load_domain",
    "prepare",
    "render_digits",
    "source_files",
    "train_val_split",
]


def source_files(
    name: str, split: str = "train", data_dir: str | os.PathLike | None = None
) -> list[Path]:
    """The files that ``load_domain(name, split, data_dir)`` (or ``load_cifar27``) reads.

    ``name`` is a domain, ``"cifar27"`` (or ``"cifar100"``), or ``"syn_render"`` (no
    files: an empty list). For MNIST-M's PNG layout that is the labels file followed by
    every PNG. Never downloads; raises ``FileNotFoundError`` where :func:`load_domain`
    would have to.
    """
    known = (*DOMAINS, *RENDERED_DOMAINS, "cifar27", "cifar100")
    if name not in known:
        raise InvalidValueError(f"unknown dataset {name!r}; expected one of {known}")
    if name in RENDERED_DOMAINS:
        if split not in SPLITS:
            raise InvalidValueError(f"split={split!r} is not one of {SPLITS}")
        return []
    return source_file_list("cifar100" if name == "cifar27" else name, split, data_dir)


# TensorFlow is imported only when as_tf_dataset is asked for
__getattr__, __dir__, _ = lazy_exports(__name__, {"pipeline_tf": ["as_tf_dataset"]})
