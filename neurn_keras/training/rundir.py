"""The run directory: the unit of exchange between training and everything after it.

    <output>/
      config.json     the run's identity (written first; a rerun must match it)
      model.keras     the trained model (best validation epoch), raw 0..255 pixels in
      history.csv     one row per epoch (Keras CSVLogger)
      results.json    accuracies and the record of the run (see results.py)
      done            written last: the run is complete
      resume/         while training: state.json, best.keras, Keras's backup/ (removed at the end)
      train.log       a sweep cell's output (written by the sweep's launcher)

Every file except ``history.csv`` (appended one row per epoch, repaired on resume) is
written atomically.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from neurn_keras.cli import UsageError
from neurn_keras.files import atomic_write_json, atomic_write_text, read_json
from neurn_keras.training.config import RunConfig

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
        self.state = self.resume / "state.json"
        self.best_model = self.resume / "best.keras"
        self.backup = self.resume / "backup"

    def claim(self, config: RunConfig) -> None:
        """Creates the directory for ``config``, or checks that it already belongs to it."""
        identity = config.identity()
        if self.config.exists():
            try:
                stored = read_json(self.config)["identity"]
            except (ValueError, KeyError, TypeError) as error:
                raise UsageError(f"{self.config} is not a run configuration ({error})") from error
            if stored != identity:
                changed = sorted(k for k in identity if stored.get(k) != identity[k])
                details = ", ".join(f"{k}: {stored.get(k)!r} -> {identity[k]!r}" for k in changed)
                raise UsageError(
                    f"--output {self.path} holds a run with other settings ({details}); "
                    "use another --output, or delete that directory to start over"
                )
            return
        if self.path.exists() and any(p.name != LOG for p in self.path.iterdir()):
            raise UsageError(
                f"--output {self.path} is not empty and holds no run; choose a new or empty folder"
            )
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.config, {"identity": identity, "cell": config.cell_name()})

    def is_done(self) -> bool:
        return self.done.exists() and self.results.exists()

    def read_state(self) -> dict:
        return read_json(self.state) if self.state.exists() else {}

    def finish(self, results: dict) -> None:
        """Writes ``results.json``, then the ``done`` marker, then removes ``resume/``."""
        atomic_write_json(self.results, results)
        atomic_write_text(self.done, time.strftime("%Y-%m-%dT%H:%M:%S%z") + "\n")
        shutil.rmtree(self.resume, ignore_errors=True)
