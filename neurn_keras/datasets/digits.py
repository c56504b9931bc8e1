"""The digit domains: MNIST, USPS, SVHN, MNIST-M, and our rendered ``syn_render``."""

from __future__ import annotations

import os

import numpy as np

from neurn_keras.datasets import syn_render
from neurn_keras.datasets.cache import cached_in_memory
from neurn_keras.datasets.formats import Arrays
from neurn_keras.datasets.loading import load_source
from neurn_keras.datasets.sources import check_split
from neurn_keras.errors import InvalidValueError

DOMAINS = ("mnist", "usps", "svhn", "mnist_m")
"""The four digit domains of the paper, loaded from real files (or TFDS / a download)."""

RENDERED_DOMAINS = (syn_render.NAME,)
"""Domains we render ourselves (``syn_render``): not a published dataset."""


def check_limit(limit: int | None, available: int, what: str) -> int:
    """The number of examples to take: ``limit``, or all when None; errors name the fix."""
    if limit is None:
        return available
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
        raise InvalidValueError(f"{what}: limit={limit!r} must be a positive integer or None")
    if limit > available:
        raise InvalidValueError(f"{what}: limit={limit} but only {available} images are available")
    return int(limit)


def _rendered(split: str, count: int) -> Arrays:
    """The first ``count`` images of a syn_render split (prefix-stable, cached)."""
    seed = syn_render.split_seed(split)
    return cached_in_memory(
        (syn_render.NAME, split, count), lambda: syn_render.render_digits(count, seed)
    )


def load_domain(
    name: str,
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    limit: int | None = None,
) -> Arrays:
    """Images and labels of a digit domain, at native size.

    Args:
        name: one of :data:`DOMAINS` or ``"syn_render"`` (our renderer, see
            :mod:`neurn_keras.datasets.syn_render`; ``data_dir`` is ignored for it).
        split: ``"train"`` or ``"test"``.
        data_dir: the data directory, then the only place looked. Without it:
            ``$NEURN_DATA_DIR``, else ``~/.neurn_keras/data``, then TFDS or a download
            where one exists (not for MNIST-M; ``NEURN_OFFLINE=1`` turns it off).
        limit: take the first ``limit`` images in source order (None: all).

    Returns:
        ``(x, y)``: x uint8 (N, H, W, C) (C = 1 for gray), y int64 digits 0..9. The arrays
        are cached for the process and read-only; copy them to edit in place.

    Raises:
        FileNotFoundError: the data is not there (the message says what to get, and where).
        DatasetFormatError: a file is corrupt or inconsistent (the message names it).
    """
    check_split(split)
    what = f"{name} {split}"
    if name == syn_render.NAME:
        return _rendered(split, check_limit(limit, syn_render.SPLIT_SIZES[split], what))
    if name not in DOMAINS:
        raise InvalidValueError(
            f"unknown domain {name!r}; expected one of {DOMAINS + RENDERED_DOMAINS}"
        )
    x, y = load_source(name, split, data_dir)
    count = check_limit(limit, len(x), what)
    return (x, y) if count == len(x) else (x[:count], y[:count])
