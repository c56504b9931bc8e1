"""Caches: decoded arrays once per process, slow formats once on disk.

* In memory: every ``(x, y)`` a loader decodes is kept for the life of the process and
  returned read-only (``x.flags.writeable`` is False; copy before editing in place).
  :func:`clear_cache` empties it.
* On disk: formats that are slow to decode (MNIST-M's PNG folders, SVHN's ``.mat``) are
  decoded once and saved as an uncompressed ``.npz`` named
  ``<dataset>_<split>.<fingerprint>.npz``, where the fingerprint hashes the source files'
  absolute paths, sizes and modification times (so an edited source is decoded again).
  The folder is ``$NEURN_CACHE_DIR`` if set, else ``<data_dir>/cache`` if the data
  directory is writable, else ``~/.neurn_keras/cache`` (resolved by
  :func:`neurn_keras.environment.cache_dir`). Delete those files to clear it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

import numpy as np

from neurn_keras import environment
from neurn_keras.datasets.formats import Arrays, DatasetFormatError, read_npz
from neurn_keras.files import atomic_write

CACHE_ENV_VAR = environment.CACHE_ENV_VAR
USER_CACHE = environment.USER_CACHE

_MEMORY: dict[Hashable, Arrays] = {}


def clear_cache() -> None:
    """Forget every array decoded in this process (files cached on disk stay)."""
    _MEMORY.clear()


def cached_in_memory(key: Hashable, load: Callable[[], Arrays]) -> Arrays:
    """``load()`` once per key and process; the arrays are returned read-only."""
    if key not in _MEMORY:
        x, y = load()
        x.flags.writeable = False
        y.flags.writeable = False
        _MEMORY[key] = (x, y)
    return _MEMORY[key]


def stat_key(paths: Sequence[Path]) -> tuple:
    """A hashable summary (absolute path, size, mtime) that changes when a file does."""
    key = []
    for path in paths:
        info = path.stat()
        key.append((str(path.resolve()), info.st_size, info.st_mtime_ns))
    return tuple(key)


def fingerprint(paths: Sequence[Path]) -> str:
    """16 hex digits of sha256 over the files' absolute paths, sizes and mtimes."""
    digest = hashlib.sha256()
    for path in paths:
        try:
            item = stat_key([path])
        except OSError:  # a missing file: the decoder reports it by name
            item = (str(path), None)
        digest.update(repr(item).encode())
    return digest.hexdigest()[:16]


def _is_writable_dir(path: Path) -> bool:
    """Whether a file may be created in ``path`` (created if missing).

    A folder whose mode has no write bit counts as read-only even for root (who could
    write anyway): a shared data directory marked read-only stays untouched.
    """
    existing = next(p for p in (path, *path.parents) if p.exists())
    if existing.is_dir() and not existing.stat().st_mode & 0o222:
        return False
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError:
        return False
    return True


def cache_root() -> Path:
    """``$NEURN_CACHE_DIR`` if set, else ``~/.neurn_keras/cache`` (downloads go below it)."""
    return environment.cache_dir(default=USER_CACHE)


def disk_cache_dir(data_dir: Path) -> Path:
    """Where decoded ``.npz`` caches go (see the module docstring for the order)."""
    if os.environ.get(CACHE_ENV_VAR):
        return cache_root()
    in_data = data_dir / "cache"
    if _is_writable_dir(in_data):
        return in_data
    return cache_root()


def save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """Write an uncompressed ``.npz`` via a temporary file and a rename (never half-written)."""
    # np.savez appends ".npz" to a name without it, so the temporary name must end in it
    atomic_write(path, lambda temporary: np.savez(temporary, **arrays), suffix=".npz")


def cached_on_disk(
    name: str,
    split: str,
    sources: Sequence[Path],
    data_dir: Path,
    decode: Callable[[], Arrays],
    image_shape: tuple[int, int, int],
) -> Arrays:
    """Read ``name``/``split`` from its disk cache, or ``decode()`` it and write the cache.

    A cache that cannot be read is decoded again and replaced; a cache folder that cannot
    be written only costs a warning.
    """
    stem = f"{name}_{split}"
    folder = disk_cache_dir(data_dir)
    path = folder / f"{stem}.{fingerprint(sources)}.npz"
    if path.is_file():
        try:
            return read_npz(path, split, image_shape)
        except DatasetFormatError as exc:
            warnings.warn(f"ignoring a broken cache, decoding again: {exc}", stacklevel=3)
    x, y = decode()
    try:
        save_npz_atomic(path, **{f"x_{split}": x, f"y_{split}": y})
        for stale in folder.glob(f"{stem}.*.npz"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        warnings.warn(
            f"{name}: could not write the decoded cache {path} ({exc}); set "
            f"{CACHE_ENV_VAR} to a writable folder to decode only once",
            stacklevel=3,
        )
    return x, y
