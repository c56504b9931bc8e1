"""Session-wide settings for tests and notebooks (nbmake runs notebooks from ``notebooks/``).

Notebooks run (nbmake's ``--nbmake``) when the run asks for them: ``python -m pytest``
(whose ``testpaths`` include ``notebooks``), a folder that holds ``notebooks/``, or a
notebook itself. ``python -m pytest tests/layers`` neither runs them nor prints nbmake's
"Learn more about nbmake" line. The rendered copies in ``docs/notebooks`` are never
collected (``tests/test_notebooks.py`` checks that they match the sources).

A relative ``NEURN_DATA_DIR`` (CI sets ``../shared/data``) is made absolute against the
directory pytest was started from, so the notebook kernels, whose working directory is
``notebooks/``, read the same data as the tests.

The run is isolated from the user's home: ``NEURN_CACHE_DIR`` and ``KERAS_HOME`` point
into a temporary folder of the session (the user's ``keras.json`` is copied there, so the
backend stays the same), ``NEURN_OFFLINE=1`` stops every download, and notebook kernels
inherit all of it. At the end the session fails if anything under ``~/.neurn_keras`` or
the user's Keras folder changed while it ran.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("NEURN_OFFLINE", "1")  # tests never download (TFDS, keras.utils.get_file)

_data_dir = os.environ.get("NEURN_DATA_DIR")
if _data_dir:
    os.environ["NEURN_DATA_DIR"] = str(Path(_data_dir).expanduser().resolve())

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
collect_ignore = ["docs"]


def asks_for_notebooks(args: list[str], bases: list[Path]) -> bool:
    """Whether a pytest argument is a notebook, ``notebooks/`` or a folder above it.

    Each argument (``path::test`` ids included) is read relative to the first of
    ``bases`` (the invocation folder, the root folder) where it exists.
    """
    for arg in args:
        name = arg.split("::")[0]
        found = [base / name for base in bases if (base / name).exists()]
        if not found:
            continue
        path = found[0].resolve()
        if path.suffix == ".ipynb" or path == NOTEBOOKS or path in NOTEBOOKS.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    bases = [Path(config.invocation_params.dir), config.rootpath]
    if asks_for_notebooks(list(config.args), bases):
        config.option.nbmake = True


# The user's folders that a test run must leave alone (Keras: before KERAS_HOME moves).
USER_KERAS_HOME = Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser()
WATCHED = (Path("~/.neurn_keras").expanduser(), USER_KERAS_HOME)


def _snapshot(roots) -> dict[str, tuple[int, int]]:
    """Every file under ``roots``: path -> (size, modification time)."""
    files = {}
    for root in roots:
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file():
                    info = path.stat()
                    files[str(path)] = (info.st_size, info.st_mtime_ns)
    return files


def _isolate(session_dir: Path) -> None:
    """Points the caches and Keras's folder into ``session_dir`` (before keras loads)."""
    keras_home = session_dir / "keras"
    keras_home.mkdir(parents=True)
    if (USER_KERAS_HOME / "keras.json").is_file():
        shutil.copyfile(USER_KERAS_HOME / "keras.json", keras_home / "keras.json")
    os.environ["KERAS_HOME"] = str(keras_home)
    os.environ["NEURN_CACHE_DIR"] = str(session_dir / "cache")


# At import, before any conftest or test imports keras (which reads KERAS_HOME once).
HOME_BEFORE = _snapshot(WATCHED)
SESSION_DIR = Path(tempfile.mkdtemp(prefix="neurn-keras-tests-"))
_isolate(SESSION_DIR)


def pytest_sessionfinish(session: pytest.Session) -> None:
    after = _snapshot(WATCHED)
    changed = sorted(
        p for p in HOME_BEFORE.keys() | after.keys() if HOME_BEFORE.get(p) != after.get(p)
    )
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"the test run wrote {len(changed)} file(s) outside its temporary folders:"]
        lines += [f"  {path}" for path in changed[:20]]
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(SESSION_DIR, ignore_errors=True)
