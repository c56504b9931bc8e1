"""The run directory: the unit of exchange between training and everything after it.

    <output>/
      config.json     the run's identity (written when training starts; a rerun must match it)
      model.keras     the trained model (best validation epoch), raw 0..255 pixels in
      history.csv     one row per epoch, counted from 1
      results.json    accuracies and the record of the run (see results.py)
      done            written last: the run is complete
      resume/         while training: best.keras and backup/; a finished run keeps
                      backup/ (its last epoch) so that it can be extended
      train.log       a sweep cell's output (written by the sweep's launcher)
      .lock           while a process works on the run: its pid and command

One process at a time works on a run directory: :meth:`RunDirectory.locked` takes an
exclusive ``flock`` on ``.lock`` (released by the kernel when the process dies, so a
dead holder never blocks the next one) and a second process is refused at once with
a line naming the holder.

Every file except ``history.csv`` (appended one row per epoch, repaired on resume) is
written atomically. The directory is claimed (``config.json``) only once every input
has been checked and loaded; a run that fails before its first epoch ends removes what
it wrote (:meth:`RunDirectory.abandon`), so it never blocks the next one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from neurn_keras.errors import RunDirectoryError
from neurn_keras.files import atomic_write_json, atomic_write_text, read_json
from neurn_keras.training import faults
from neurn_keras.training.backup import read_backup
from neurn_keras.training.config import RunConfig
from neurn_keras.training.record import RunRecord, load_record
from neurn_keras.training.state import TrainingState

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOG = "train.log"
"""The sweep launchers' log of a cell, which may be there before the run starts."""
LOCK = ".lock"
"""Held (``flock``) by the process working on the run; names it."""
BEFORE_A_RUN = {LOG, LOCK}
"""What a directory may hold before its run is claimed."""


def _command() -> str:
    """This process's command line, shortened for a message."""
    text = " ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv))
    return text if len(text) <= 80 else text[:77] + "..."


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
        self.lock = self.path / LOCK

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
        if self.path.exists() and any(p.name not in BEFORE_A_RUN for p in self.path.iterdir()):
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
        self.remove_if_empty()

    def remove_if_empty(self) -> None:
        """Removes the directory if nothing (but an unheld lock file) is left in it."""
        if self.path.is_dir() and all(p.name == LOCK for p in self.path.iterdir()):
            if self.holder() is None:
                self.lock.unlink(missing_ok=True)
                with contextlib.suppress(OSError):  # another process may have come in
                    self.path.rmdir()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Holds the run directory for this process (created if needed) while inside.

        Raises ``RunDirectoryError`` naming the holder when another live process has it;
        a lock left by a process that died is taken over. On the way out, also after an
        error, the directory (and any parent folder made for it) is removed if the run
        wrote nothing into it.
        """
        if fcntl is None:  # no flock (Windows): one process per directory is not enforced
            yield
            return
        made = [p for p in (self.path, *self.path.parents) if not p.exists()]
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.lock, "a+", encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise RunDirectoryError(
                        f"`output` {self.path} is in use by {holder}; wait for it to finish, "
                        "or stop it and run the command again to resume"
                    ) from None
                try:
                    handle.seek(0)
                    handle.truncate()
                    handle.write(
                        f"process {os.getpid()} ({_command()}, since {time.strftime('%H:%M')})"
                    )
                    handle.flush()
                    yield
                finally:
                    handle.seek(0)
                    handle.truncate()  # the file stays while the run is unfinished
        finally:
            if self.is_done():  # a newcomer now finds the run complete before it locks
                self.lock.unlink(missing_ok=True)
            self.remove_if_empty()
            for folder in made[1:]:  # the parents made here, innermost first
                with contextlib.suppress(OSError):  # not empty: another run is in it
                    folder.rmdir()

    def holder(self) -> str | None:
        """Who holds the directory (the lock file's text), or None if no live process does."""
        if fcntl is None or not self.lock.is_file():
            return None
        with open(self.lock, encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "another process"
            fcntl.flock(handle, fcntl.LOCK_UN)
        return None

    def is_done(self) -> bool:
        return self.done.exists() and self.results.exists()

    def read_state(self) -> TrainingState:
        """The state of the last committed epoch (a fresh state before the first)."""
        backup = read_backup(self.backup)
        return backup.state if backup is not None else TrainingState()

    def finish(self, record: RunRecord) -> None:
        """Writes ``results.json``, then the ``done`` marker; of ``resume/`` only the last
        epoch's backup stays (for :meth:`reopen`)."""
        atomic_write_json(self.results, record.to_json())
        faults.kill_point("record_write")
        atomic_write_text(self.done, time.strftime("%Y-%m-%dT%H:%M:%S%z") + "\n")
        self.best_model.unlink(missing_ok=True)

    def check_extension(self, config: RunConfig) -> RunRecord:
        """The finished run that ``config`` would continue for more epochs; raises
        ``RunDirectoryError`` saying why it cannot be (writes nothing)."""
        if not self.is_done():
            raise RunDirectoryError(
                f"`output` {self.path} holds no finished run to extend; drop `extend` "
                "to start (or resume) it"
            )
        record = load_record(self.results)
        stored = read_json(self.config)["identity"]
        identity = config.identity()
        others = sorted(k for k in identity if k != "epochs" and stored.get(k) != identity[k])
        why = None
        if others:
            why = f"only `epochs` may change, not {', '.join(others)}"
        elif config.epochs <= stored["epochs"]:
            why = f"`epochs` must be more than the {stored['epochs']} it ran for"
        elif record.stopped_early:
            why = f"it stopped early after epoch {record.epochs_run}: more epochs would not train"
        elif config.lr_schedule != "constant":
            why = "its learning-rate schedule was fitted to its length"
        elif read_backup(self.backup) is None:
            why = "it was finished without its last epoch's checkpoint (before neurn_keras 0.2)"
        if why:
            raise RunDirectoryError(f"`output` {self.path} cannot be extended: {why}")
        return record

    def reopen(self, config: RunConfig, record: RunRecord) -> None:
        """Turns the finished run of ``record`` into an interrupted one of ``config`` (more
        epochs): its best model becomes the checkpoint, its record moves to ``parts/``."""
        parts = self.path / "parts"
        parts.mkdir(exist_ok=True)
        shutil.copyfile(self.results, parts / f"results-{record.epochs_run}-epochs.json")
        self.resume.mkdir(exist_ok=True)
        shutil.copyfile(self.model, self.best_model)
        self.done.unlink()
        self.results.unlink()
        self.model.unlink()
        atomic_write_json(self.config, {"identity": config.identity(), "cell": config.cell_name()})

    def parts(self) -> list[RunRecord]:
        """The records of the earlier parts of an extended run, in order."""
        found = sorted((self.path / "parts").glob("results-*-epochs.json"))
        return sorted((load_record(p) for p in found), key=lambda r: r.epochs_run)
