"""The environment a run depends on: data and cache folders, downloads, versions, seeds.

* ``NEURN_DATA_DIR`` is where data files are looked for: :func:`resolve_data_dir` gives
  ``data_dir=`` if passed, else ``$NEURN_DATA_DIR``, else ``~/.neurn_keras/data``, always
  as an absolute path. A relative ``$NEURN_DATA_DIR`` is resolved once, when the package
  first reads it: from the current folder if that names a folder, else from the
  repository root (a notebook runs in ``notebooks/`` while the README's commands count
  from the root), and written back absolute, so a later change of directory or a child
  process (a sweep's runs) sees the same folder. Neither: an error naming both.
* ``NEURN_CACHE_DIR`` is the root of every cache: decoded datasets, downloads (USPS),
  archsim's layer sequences. Unset, it is ``~/.neurn_keras/cache``. :func:`cache_dir`
  resolves it (and a sub-folder) for every module.
* ``NEURN_OFFLINE=1`` forbids downloads. Loaders ask :func:`offline` before trying one
  (:func:`check_online` raises); :func:`offline_guard` makes every ``urllib`` request
  inside it (``keras.utils.get_file``: ImageNet weights, the USPS files) fail at once
  with :class:`OfflineError`, so files Keras has already cached still load.
* :func:`versions` names what decides a run's numbers; :func:`seed_everything` seeds
  them without importing TensorFlow where it is not the backend.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import sys
import urllib.request
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from neurn_keras.errors import DataNotFoundError, OfflineError

DATA_ENV_VAR = "NEURN_DATA_DIR"
USER_DATA = Path("~/.neurn_keras/data")
CACHE_ENV_VAR = "NEURN_CACHE_DIR"
OFFLINE_ENV_VAR = "NEURN_OFFLINE"
USER_CACHE = Path("~/.neurn_keras/cache")
REPOSITORY = Path(__file__).resolve().parents[1]
"""The checkout the package runs from (for a relative ``$NEURN_DATA_DIR``)."""

T = TypeVar("T")


def _absolute(path: str | os.PathLike, base: str | os.PathLike | None = None) -> Path:
    """``path`` expanded and made absolute against ``base`` (default: the current directory),
    with ``..`` folded away."""
    return Path(os.path.abspath(Path(base or os.getcwd()).expanduser() / Path(path).expanduser()))


def resolve_data_dir(
    data_dir: str | os.PathLike | None = None, *, relative_to: str | os.PathLike | None = None
) -> Path:
    """The data directory, absolute: ``data_dir``, else ``$NEURN_DATA_DIR``, else
    ``~/.neurn_keras/data``. It need not exist, except as below.

    A relative ``data_dir`` counts from the current directory. A relative
    ``$NEURN_DATA_DIR`` counts from the current directory if that names a folder, else
    from ``relative_to`` (if given), else from the repository root of the package;
    ``DataNotFoundError`` names every place tried when none does. The absolute path is
    written back to ``os.environ``, so every later call, whatever the current directory,
    and every child process get the same one.
    """
    if data_dir is not None:
        return _absolute(data_dir)
    from_env = os.environ.get(DATA_ENV_VAR)
    if not from_env:
        return USER_DATA.expanduser()
    if Path(from_env).expanduser().is_absolute():
        resolved = _absolute(from_env)  # missing or not, the loaders say what they miss
    else:
        places = _places(from_env, relative_to)
        resolved = next((path for path, _ in places if path.is_dir()), None)
        if resolved is None:
            tried = ", ".join(f"{path} (from {origin})" for path, origin in places)
            raise DataNotFoundError(
                f"{DATA_ENV_VAR}={from_env} is a relative path that names no folder: tried "
                f"{tried}; set it to an absolute path, or one relative to where you run"
            )
    if str(resolved) != from_env:
        os.environ[DATA_ENV_VAR] = str(resolved)
    return resolved


def _places(relative: str, relative_to) -> list[tuple[Path, str]]:
    """Where a relative ``$NEURN_DATA_DIR`` may be, in the order tried, each with what
    it counts from (one entry per distinct folder)."""
    bases = [(None, "the current folder")]
    if relative_to not in (None, ""):
        bases.append((relative_to, f"relative_to={relative_to}"))
    bases.append((REPOSITORY, "the repository root"))
    found: dict[Path, str] = {}
    for base, origin in bases:
        found.setdefault(_absolute(relative, base), origin)
    return list(found.items())


def portable_path(path: str | os.PathLike) -> str:
    """A path as a shared record shows it: a relative path as it is, the home folder as
    ``~``, any other absolute path as ``.../`` and its last two parts (no machine's layout).

    >>> portable_path("../shared/data"), portable_path("/srv/lab/shared/data")
    ('../shared/data', '.../shared/data')
    """
    path = Path(path).expanduser()
    if not path.is_absolute():
        return path.as_posix()
    home = Path.home()
    if path.is_relative_to(home):
        return (Path("~") / path.relative_to(home)).as_posix()
    return ".../" + "/".join(path.parts[-2:])


def data_dir_setting(data_dir: str | os.PathLike | None = None) -> str:
    """How the data directory was chosen, for a record: ``"NEURN_DATA_DIR=../shared/data"``,
    ``"data_dir=~/digits"`` or the default (paths as :func:`portable_path` writes them)."""
    if data_dir is not None:
        return f"data_dir={portable_path(data_dir)}"
    if os.environ.get(DATA_ENV_VAR):
        return f"{DATA_ENV_VAR}={portable_path(os.environ[DATA_ENV_VAR])}"
    return f"default {portable_path(USER_DATA)}"


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


def versions() -> dict[str, str]:
    """The versions of what decides the numbers: Python, Keras, its backend, NumPy."""
    import keras
    import numpy as np

    import neurn_keras

    found = {
        "python": platform.python_version(),
        "neurn_keras": neurn_keras.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": np.__version__,
    }
    package = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(
        found["keras_backend"]
    )
    if package:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    commit = source_commit()
    if commit:
        found["neurn_keras_commit"] = commit
    return found


def source_commit() -> str | None:
    """The git commit of the package's checkout (``+changes`` where its tracked files
    differ from it), or None outside a git checkout: which code made a record."""
    import subprocess

    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "--short=10", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            [
                "git",
                "-C",
                str(checkout),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "neurn_keras",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+changes" if changed else "")


def seed_everything(seed: int) -> None:
    """``keras.utils.set_random_seed``, without importing TensorFlow on other backends.

    Keras seeds TensorFlow whenever it is installed, which imports it (seconds, and its
    start-up lines) in a JAX or PyTorch process that never uses it.
    """
    import keras

    hide = keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules
    if hide:
        sys.modules["tensorflow"] = None  # makes Keras's lazy import see no TensorFlow
    try:
        keras.utils.set_random_seed(seed)
    finally:
        if hide:
            del sys.modules["tensorflow"]
