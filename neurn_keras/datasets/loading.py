"""From a dataset name to arrays: local files first, then (only without ``data_dir=``) online.

The order for ``load_source("svhn", "train")``:

1. the data directory (``data_dir``, else ``$NEURN_DATA_DIR``, else ``~/.neurn_keras/data``)
   and its dataset sub-folders, every layout of :mod:`neurn_keras.datasets.sources`;
2. only when ``data_dir`` was *not* passed: files downloaded before, then TFDS (mnist,
   svhn, cifar100) or a hash-checked download (usps). MNIST-M has no download.

An explicit ``data_dir`` is the only place looked. ``NEURN_OFFLINE=1`` turns step 2's
downloads off. Before any download the dataset's host is tried once (a few seconds),
because TFDS retries for minutes before it gives up without a network.
"""

from __future__ import annotations

import os
import socket
import warnings
from pathlib import Path

from neurn_keras.datasets import tfds_source, usps_download
from neurn_keras.datasets.cache import cached_in_memory, cached_on_disk, stat_key
from neurn_keras.datasets.formats import Arrays, DatasetFormatError, check_arrays
from neurn_keras.datasets.sources import (
    SOURCES,
    Located,
    Source,
    check_split,
    locate,
    not_found_message,
)
from neurn_keras.environment import OFFLINE_ENV_VAR, offline, resolve_data_dir
from neurn_keras.errors import InvalidValueError, MissingFileError

DOWNLOADABLE = ("usps",)
DOWNLOAD_HOSTS = {  # where TFDS and the USPS download fetch each dataset
    "mnist": "storage.googleapis.com",
    "svhn": "ufldl.stanford.edu",
    "cifar100": "www.cs.toronto.edu",
    "usps": "www.csie.ntu.edu.tw",
}


def unreachable(host: str, timeout: float = 5.0) -> str | None:
    """Why ``host`` cannot be reached on port 443 within ``timeout`` s, or None if it can."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as error:
        return f"{host} is unreachable ({error})"
    return None


def _source(name: str) -> Source:
    if name not in SOURCES:
        raise InvalidValueError(f"unknown dataset {name!r}; expected one of {tuple(SOURCES)}")
    return SOURCES[name]


def _find(
    name: str, split: str, data_dir: str | os.PathLike | None
) -> tuple[Source, Located | None, str]:
    """The located files (or None) and the not-found message, for load and source_files."""
    source = _source(name)
    check_split(split)
    root = resolve_data_dir(data_dir)
    with_downloads = data_dir is None and name in DOWNLOADABLE
    found, tried = locate(source, split, root, with_downloads)
    return source, found, not_found_message(source, split, root, tried, with_downloads)


def _read_located(found: Located, split: str) -> Arrays:
    source, layout = found.source, found.layout

    def decode() -> Arrays:
        x, y = layout.read(found.paths, split)
        return check_arrays(x, y, found.paths[0], source.image_shape, source.num_classes)

    def load() -> Arrays:
        if layout.disk_cache:
            return cached_on_disk(
                source.name, split, found.files(), found.data_dir, decode, source.image_shape
            )
        return decode()

    key = (source.name, split, layout.name, stat_key(found.paths))
    return cached_in_memory(key, load)


def _fetch_online(source: Source, split: str, label_names=None) -> Arrays:
    if source.name == "usps":
        path = usps_download.download_usps(split)
        found, _ = locate(source, split, path.parent)
        if found is None:
            raise MissingFileError(f"usps: the download {path} is not where it was expected")
        return _read_located(found, split)

    def load() -> Arrays:
        x, y = tfds_source.load_tfds(source.name, split, label_names)
        return check_arrays(x, y, f"TFDS {source.name}", source.image_shape, source.num_classes)

    return cached_in_memory((source.name, split, "tfds"), load)


def has_online(name: str) -> bool:
    """Whether the dataset has an online fallback (TFDS or a download)."""
    return name in DOWNLOADABLE or name in tfds_source.TFDS_NAMES


def load_source(
    name: str, split: str, data_dir: str | os.PathLike | None = None, label_names=None
) -> Arrays:
    """Full ``(x, y)`` of a stored dataset's split, read-only and cached per process.

    Raises:
        FileNotFoundError: no local files (and, without ``data_dir``, no download worked).
        DatasetFormatError: a file was found but is corrupt or inconsistent.
    """
    source, found, missing = _find(name, split, data_dir)
    if found is not None:
        x, y = _read_located(found, split)
    elif data_dir is not None or not has_online(name):
        raise MissingFileError(missing)
    elif offline():
        raise MissingFileError(f"{missing} ({OFFLINE_ENV_VAR}=1: no download tried)")
    elif reason := unreachable(DOWNLOAD_HOSTS[name]):
        raise MissingFileError(f"{missing} No download tried: {reason}.")
    else:
        try:
            x, y = _fetch_online(source, split, label_names)
        except DatasetFormatError:
            raise
        except Exception as exc:  # network, TFDS and HTTP errors come in many types
            raise MissingFileError(f"{missing} The online fallback failed: {exc}") from exc
    expected = source.canonical_sizes[split]
    if len(x) != expected:
        warnings.warn(
            f"{name} {split}: {len(x)} images where the canonical split has {expected}",
            stacklevel=3,
        )
    return x, y


def source_file_list(
    name: str, split: str, data_dir: str | os.PathLike | None = None
) -> list[Path]:
    """The files :func:`load_source` reads for this split; never downloads.

    Raises ``FileNotFoundError`` when there are none (nothing local, nothing fetched yet).
    """
    _, found, missing = _find(name, split, data_dir)
    if found is not None:
        return found.files()
    if data_dir is None and name in tfds_source.TFDS_NAMES:
        files = tfds_source.prepared_files(name, split)
        if files:
            return files
    raise MissingFileError(missing)
