"""The online fallback for USPS: LIBSVM's copy, fetched with ``keras.utils.get_file``.

Kept under ``$NEURN_CACHE_DIR/downloads``; ``NEURN_OFFLINE=1`` refuses a download.

LIBSVM's ``usps.bz2`` (7291 train) and ``usps.t.bz2`` (2007 test) hold the same
Hull (1994) digits in the ESL split, as LIBSVM text with labels 1..10 (digit + 1) and
pixel values in [-1, 1]. The MD5 sums are the ones torchvision pins for these URLs
(``torchvision/datasets/usps.py``); they were not checked against a download here.
"""

from __future__ import annotations

from pathlib import Path

from neurn_keras.datasets.sources import download_dir
from neurn_keras.environment import offline_guard

LIBSVM_URL = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/"
USPS_FILES = {
    "train": ("usps.bz2", "ec16c51db3855ca6c91edd34d0e9b197"),
    "test": ("usps.t.bz2", "8ea070ee2aca1ac39742fdd1ef5ed118"),
}


def download_usps(split: str) -> Path:
    """Download (once, hash-checked) the LIBSVM USPS file of ``split``; returns its path."""
    from keras.utils import get_file

    name, md5 = USPS_FILES[split]
    folder = download_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with offline_guard():  # NEURN_OFFLINE=1: a file not downloaded yet fails at once
        path = get_file(
            name,
            origin=LIBSVM_URL + name,
            file_hash=md5,
            hash_algorithm="md5",
            cache_dir=str(folder.parent),
            cache_subdir=folder.name,
        )
    return Path(path)
