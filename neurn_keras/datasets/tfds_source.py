"""TensorFlow Datasets as the online fallback for mnist, svhn and cifar100 (TensorFlow only).

Reached only when no local file was found and no explicit ``data_dir`` was given. TFDS
keeps its own copy (``~/tensorflow_datasets`` or ``$TFDS_DATA_DIR``), so a dataset is
downloaded at most once; ``NEURN_OFFLINE=1`` refuses one that is not prepared yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neurn_keras.datasets.formats import Arrays
from neurn_keras.environment import check_online, offline
from neurn_keras.errors import InvalidValueError

TFDS_NAMES = {"mnist": "mnist", "svhn": "svhn_cropped", "cifar100": "cifar100"}


def load_tfds(source: str, split: str, label_names: Sequence[str] | None = None) -> Arrays:
    """Images and labels of ``split`` from TFDS (downloads and prepares them if needed).

    Args:
        source: ``"mnist"``, ``"svhn"`` or ``"cifar100"``.
        split: ``"train"`` or ``"test"``.
        label_names: if given, TFDS's class names must equal them (guards label order).
    """
    name = TFDS_NAMES[source]
    if offline() and not prepared_files(source, split):
        check_online(f"TFDS {name}")
    import tensorflow_datasets as tfds

    builder = tfds.builder(name)
    builder.download_and_prepare()
    if label_names is not None:
        found = list(builder.info.features["label"].names)
        if found != list(label_names):
            raise InvalidValueError(f"TFDS {name}: class names {found[:5]}... differ from ours")
    data = builder.as_dataset(split=split, batch_size=-1, as_supervised=True)
    images, labels = tfds.as_numpy(data)
    return np.asarray(images), np.asarray(labels)


def prepared_files(source: str, split: str) -> list[Path]:
    """The files TFDS has already prepared for ``split`` (never downloads); may be empty."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(TFDS_NAMES[source])
    return sorted(Path(builder.data_dir).glob(f"{builder.name}-{split}.*"))
