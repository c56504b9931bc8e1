"""CIFAR-27: the 27 natural-scene classes of CIFAR-100 that the paper uses.

The class list, in label order, is ``data/cifar27_classes.txt`` of the repository;
an installed package without the repository falls back to the same list kept here
(a test checks the two agree).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from neurn_keras.datasets.cache import cached_in_memory, stat_key
from neurn_keras.datasets.formats import Arrays, DatasetFormatError, read_label_names
from neurn_keras.datasets.loading import load_source, source_file_list
from neurn_keras.environment import resolve_data_dir

CLASSES_FILE = Path(__file__).resolve().parents[2] / "data" / "cifar27_classes.txt"

# CIFAR-100's fine labels in label order (alphabetical), as in its meta / fine_label_names.txt.
CIFAR100_FINE_LABELS = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus "
    "butterfly camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach "
    "couch crab crocodile cup dinosaur dolphin elephant flatfish forest fox girl hamster "
    "house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree "
    "motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear "
    "pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road "
    "rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar "
    "sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip "
    "turtle wardrobe whale willow_tree wolf woman worm"
).split()

_PACKAGED_CLASSES = (
    "butterfly chimpanzee bear elephant forest fox kangaroo leopard lion lizard maple_tree "
    "mountain oak_tree orchid otter palm_tree pine_tree plain poppy rose sea sunflower tiger "
    "tulip turtle willow_tree wolf"
).split()


def cifar27_classes() -> list[str]:
    """The 27 class names in label order (0..26)."""
    if CLASSES_FILE.is_file():
        names = read_label_names(CLASSES_FILE)
        unknown = sorted(set(names) - set(CIFAR100_FINE_LABELS))
        if len(names) != 27 or len(set(names)) != 27 or unknown:
            raise DatasetFormatError(
                f"{CLASSES_FILE}: expected 27 distinct CIFAR-100 class names, got "
                f"{len(names)} ({len(set(names))} distinct; not in CIFAR-100: {unknown})"
            )
        return names
    return list(_PACKAGED_CLASSES)


def _check_label_names(found: list[Path]) -> None:
    """If a ``fine_label_names.txt`` sits beside the binary files, it must match ours."""
    for path in found:
        names_file = path.parent / "fine_label_names.txt"
        if path.suffix == ".bin" and names_file.is_file():
            if read_label_names(names_file) != CIFAR100_FINE_LABELS:
                raise DatasetFormatError(
                    f"{names_file}: the fine label names differ from CIFAR-100's "
                    "(is this CIFAR-100's binary version?)"
                )


def load_cifar27(split: str, data_dir: str | os.PathLike | None = None) -> Arrays:
    """CIFAR-100 images of the 27 natural-scene classes, relabelled 0..26.

    Args:
        split: ``"train"`` (500 per class, 13500) or ``"test"`` (100 per class, 2700).
        data_dir: as for :func:`neurn_keras.datasets.load_domain`; files are
            ``cifar100.npz`` (fine labels 0..99) or CIFAR-100's binary version
            (``cifar-100-binary/train.bin``, ``test.bin``); online, TFDS ``cifar100``.

    Returns:
        ``(x, y)``: x uint8 (N, 32, 32, 3) in source order, y int64 in 0..26 (the order of
        :func:`cifar27_classes`). Cached per process and read-only.
    """
    classes = cifar27_classes()
    try:
        files = source_file_list("cifar100", split, data_dir)
    except FileNotFoundError:
        files = []  # load_source fetches it online, or raises the full message

    def select() -> Arrays:
        _check_label_names(files)  # TFDS's names are checked by load_source
        x, y = load_source("cifar100", split, data_dir, label_names=CIFAR100_FINE_LABELS)
        fine = np.array([CIFAR100_FINE_LABELS.index(name) for name in classes])
        relabel = np.full(100, -1, np.int64)
        relabel[fine] = np.arange(len(fine))
        keep = relabel[y] >= 0
        return np.ascontiguousarray(x[keep]), relabel[y[keep]]

    where = (str(resolve_data_dir(data_dir)), data_dir is None)  # online only without data_dir
    key = ("cifar27", split, where, stat_key(files), tuple(classes))
    return cached_in_memory(key, select)
