"""The run directory: the unit of exchange between training and everything after it.

    <output>/
      config.json     the run's identity (written when training starts; a rerun must match it)
      model.keras     the trained model (best validation epoch), raw 0..255 pixels in
      history.csv     one row per epoch, counted from 1
      results.json    accuracies and the record of the run (see results.py)
      done            written last: the run is complete
      resume/         while training: best.keras and backup/ (removed at the end)
      train.log       a sweep cell's output (written by the sweep's launcher)

Every file except ``history.csv`` (appended one row per epoch, repaired on resume) is
written atomically. The directory is claimed (``config.json``) only once every input
has been checked and loaded; a run that fails before its first epoch ends removes what
it wrote (:meth:`RunDirectory.abandon`), so it never blocks the next one.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from neurn_keras.errors import RunDirectoryError
from neurn_keras.files import atomic_write_json, atomic_write_text, read_json
from neurn_keras.training.backup import read_backup
from neurn_keras.training.config import RunConfig
from neurn_keras.training.record import RunRecord
from neurn_keras.training.state import TrainingState

LOG = "train.log"
"""The sweep launchers' log of a cell, which may be there before the run starts."""


class RunDirectory:
    """Paths of one run directory, and its life cycle (claim, resume, finish)."""

    def __init__(self, path):
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.model = self.path / "model.keras"
        self.history = self.path / "history.csv"
        self.results = self.path / "results.json"
        self.done = self.path / "done"
        self.resume = self.path / "resume"
        self.best_model = self.resume / "best.keras"
        self.backup = self.resume / "backup"

    def check(self, config: RunConfig) -> bool:
        """Whether the directory already belongs to ``config`` (False: new or empty).

        Raises ``RunDirectoryError`` when it holds another run or unrelated files.
        Writes nothing.
        """
        identity = config.identity()
        if self.config.exists():
            try:
                stored = read_json(self.config)["identity"]
            except (ValueError, KeyError, TypeError) as error:
                raise RunDirectoryError(
                    f"`output` {self.path}: {self.config.name} is not a run configuration ({error})"
                ) from error
            if stored != identity:
                changed = sorted(k for k in identity if stored.get(k) != identity[k])
                details = ", ".join(f"{k}: {stored.get(k)!r} -> {identity[k]!r}" for k in changed)
                raise RunDirectoryError(
                    f"`output` {self.path} holds a run with other settings ({details}); "
                    "choose another `output`, or delete that directory to start over"
                )
            return True
        if self.path.exists() and not self.path.is_dir():
            raise RunDirectoryError(f"`output` {self.path} is a file, not a directory")
        if self.path.exists() and any(p.name != LOG for p in self.path.iterdir()):
            raise RunDirectoryError(
                f"`output` {self.path} is not empty and holds no run; choose a new or empty folder"
            )
        return False

    def claim(self, config: RunConfig) -> None:
        """Creates the directory for ``config``, or checks that it already belongs to it."""
        if not self.check(config):
            self.path.mkdir(parents=True, exist_ok=True)
            atomic_write_json(
                self.config, {"identity": config.identity(), "cell": config.cell_name()}
            )

    def abandon(self) -> None:
        """Removes what a run that never finished an epoch wrote (a launcher's log stays)."""
        for path in (self.config, self.history, self.model):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.resume, ignore_errors=True)
        if self.path.is_dir() and not any(self.path.iterdir()):
            self.path.rmdir()

    def is_done(self) -> bool:
        return self.done.exists() and self.results.exists()

    def read_state(self) -> TrainingState:
        """The state of the last committed epoch (a fresh state before the first)."""
        backup = read_backup(self.backup)
        return backup.state if backup is not None else TrainingState()

    def finish(self, record: RunRecord) -> None:
        """Writes ``results.json``, then the ``done`` marker, then removes ``resume/``."""
        atomic_write_json(self.results, record.to_json())
        atomic_write_text(self.done, time.strftime("%Y-%m-%dT%H:%M:%S%z") + "\n")
        shutil.rmtree(self.resume, ignore_errors=True)
