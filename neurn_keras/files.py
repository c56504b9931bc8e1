"""Files that are complete or absent: atomic writes (figures too), file hashes, and what a
``.keras`` file is.

Every result file is written to a temporary file beside its target and then renamed
over it, so a reader (or a run killed midway) sees the old file or the new one, never
half of one. The result gets the usual permissions (0666 less the umask), not
``mkstemp``'s 0600.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(
    path: str | os.PathLike, write: Callable[[Path], None], suffix: str = ".tmp"
) -> Path:
    """Calls ``write(temporary_path)``, then renames the temporary file to ``path``.

    Args:
        path: the target; its folder is created.
        write: writes the whole content to the path it is given.
        suffix: the temporary file's ending, for writers that go by it (Keras wants
            ``.keras``, matplotlib infers the format from ``.png``).

    Returns:
        ``path``. If ``write`` fails, the temporary file is removed and ``path`` is
        left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        with open(temporary, "rb+") as stream:  # on disk before the rename
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def atomic_write_json(path: str | os.PathLike, data: Any) -> Path:
    """Writes ``data`` as indented JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def atomic_save_model(model, path: str | os.PathLike) -> Path:
    """``model.save(path)`` (a ``.keras`` file), atomically."""
    return atomic_write(path, lambda temporary: model.save(temporary), suffix=".keras")


def save_figure(
    figure, path: str | os.PathLike, dpi: int = 150, close: bool = True, **kwargs
) -> Path:
    """Saves a matplotlib figure atomically and closes it: every figure the package writes.

    The format follows ``path``'s suffix; the figure is cropped to its contents
    (``bbox_inches="tight"``). ``**kwargs`` go to ``Figure.savefig``.

    Args:
        figure: a matplotlib ``Figure`` (a seaborn grid's ``.figure``).
        path: the file to write; its folder is created.
        dpi: resolution.
        close: close the figure afterwards (also when saving fails), freeing its memory.

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    options = {"dpi": dpi, "bbox_inches": "tight", **kwargs}
    try:
        return atomic_write(
            path, lambda temporary: figure.savefig(temporary, **options), suffix=path.suffix
        )
    finally:
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)


def read_json(path: str | os.PathLike) -> Any:
    """The JSON content of ``path``."""
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


KERAS_ARCHIVE_MEMBERS = ("config.json", "metadata.json")
"""What every ``.keras`` file (a zip archive) holds besides the weights."""


def is_keras_archive(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a ``.keras`` file: a zip holding ``KERAS_ARCHIVE_MEMBERS``.

    Reads only the zip's table of contents: no Keras, and no time spent on a file that is
    something else (Keras's own loader takes seconds to say so, at length).
    """
    try:
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return set(KERAS_ARCHIVE_MEMBERS) <= names
