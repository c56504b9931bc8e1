"""Where neurn_keras keeps its caches, and whether it may download: one place for both.

* ``NEURN_CACHE_DIR`` is the root of every cache: decoded datasets, downloads (USPS),
  archsim's layer sequences. Unset, it is ``~/.neurn_keras/cache``. :func:`cache_dir`
  resolves it (and a sub-folder) for every module.
* ``NEURN_OFFLINE=1`` forbids downloads. Loaders ask :func:`offline` before trying one
  (:func:`check_online` raises); :func:`offline_guard` makes every ``urllib`` request
  inside it (``keras.utils.get_file``: ImageNet weights, the USPS files) fail at once
  with :class:`OfflineError`, so files Keras has already cached still load.

Data files are found by ``neurn_keras.data_dir`` (``NEURN_DATA_DIR``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from neurn_keras.errors import OfflineError

CACHE_ENV_VAR = "NEURN_CACHE_DIR"
OFFLINE_ENV_VAR = "NEURN_OFFLINE"
USER_CACHE = Path("~/.neurn_keras/cache")

T = TypeVar("T")


def cache_dir(*parts: str, default: str | os.PathLike | None = None) -> Path:
    """``$NEURN_CACHE_DIR`` (else ``default``, else ``~/.neurn_keras/cache``) / ``parts``.

    The path is expanded and need not exist.
    """
    root = os.environ.get(CACHE_ENV_VAR) or default or USER_CACHE
    return Path(root, *parts).expanduser()


def offline() -> bool:
    """Whether ``NEURN_OFFLINE=1`` forbids downloads."""
    return os.environ.get(OFFLINE_ENV_VAR, "") == "1"


def check_online(what: str) -> None:
    """Raises :class:`OfflineError` naming ``what`` when downloads are forbidden."""
    if offline():
        raise OfflineError(
            f"{OFFLINE_ENV_VAR}=1: no download of {what} tried (unset {OFFLINE_ENV_VAR} "
            "to allow it, or provide the file locally)"
        )


@contextlib.contextmanager
def offline_guard() -> Iterator[None]:
    """Inside, with ``NEURN_OFFLINE=1``, ``urllib.request.urlopen`` raises OfflineError.

    ``keras.utils.get_file`` opens its URL only when the file is not cached yet, so a
    cached file is still returned; a missing one fails at once, without a connection.
    Without ``NEURN_OFFLINE=1`` nothing changes.
    """
    if not offline():
        yield
        return
    saved = urllib.request.urlopen

    def refuse(url, *args, **kwargs):
        check_online(url.full_url if isinstance(url, urllib.request.Request) else url)
        return saved(url, *args, **kwargs)

    urllib.request.urlopen = refuse
    try:
        yield
    finally:
        urllib.request.urlopen = saved


def offline_guarded(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` run inside :func:`offline_guard` (for a one-line use at a call site)."""

    @functools.wraps(function)
    def guarded(*args, **kwargs) -> T:
        with offline_guard():
            return function(*args, **kwargs)

    return guarded
