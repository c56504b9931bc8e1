"""The callbacks that make a run resumable and readable, on top of Keras's own.

A backup (``backup.py``) brings back the weights, the optimizer and the epoch counter of
a killed run, but Keras's ``EarlyStopping`` and ``ModelCheckpoint`` would start from
scratch (best value forgotten, patience reset, best weights lost). Here their state is
kept in the run's ``TrainingState``, which every backup commits with the weights, and
comes back on resume.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from pathlib import Path

import keras

from neurn_keras.errors import InvalidValueError
from neurn_keras.files import atomic_write_text
from neurn_keras.training.state import TrainingState


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint`` that writes a temporary file and renames it over ``filepath``.

    A run killed while the checkpoint is being written keeps the previous checkpoint
    intact. ``filepath`` must be a fixed name (no ``{epoch}`` fields).
    """

    def __init__(self, filepath: str | os.PathLike, **kwargs):
        self.final_path = Path(filepath)
        suffix = ".weights.h5" if kwargs.get("save_weights_only") else ".keras"
        if not self.final_path.name.endswith(suffix):
            raise InvalidValueError(f"AtomicModelCheckpoint: {filepath} must end with {suffix}")
        stem = self.final_path.name[: -len(suffix)]
        self.partial_path = self.final_path.with_name(f".{stem}.partial{suffix}")
        super().__init__(str(self.partial_path), **kwargs)

    @property
    def async_safe(self) -> bool:
        """Saving once an epoch, its batch hook does nothing: Keras may then dispatch the
        batch hooks without waiting for each step (a ``ModelCheckpoint`` otherwise makes
        ``fit`` wait for the device after every step, on JAX and PyTorch)."""
        return self.save_freq == "epoch"

    def on_epoch_end(self, epoch, logs=None):
        from neurn_keras.training.distribute import outside_distribution

        with outside_distribution():  # process 0 alone saves
            super().on_epoch_end(epoch, logs)
        if self.partial_path.exists():
            os.replace(self.partial_path, self.final_path)


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``EarlyStopping`` that can start from a saved state instead of from scratch.

    Args:
        resume: the ``TrainingState`` of the interrupted run, or None.
        best_model_path: the best model so far (a ``.keras`` file from
            ``ModelCheckpoint``), read for ``restore_best_weights`` on resume.
        **kwargs: ``EarlyStopping``'s arguments.
    """

    def __init__(self, resume: TrainingState | None = None, best_model_path=None, **kwargs):
        super().__init__(**kwargs)
        self.resume = resume
        self.best_model_path = Path(best_model_path) if best_model_path else None

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self.resume is None or self.resume.best is None:
            return
        self.best = self.resume.best
        self.best_epoch = self.resume.best_epoch
        self.wait = self.resume.wait
        if self.restore_best_weights and self.best_model_path and self.best_model_path.exists():
            best = keras.models.load_model(self.best_model_path, compile=False)
            self.best_weights = best.get_weights()


class EpochRecorder(keras.callbacks.Callback):
    """Records each finished epoch in the run's state, and prints a one-line summary.

    Put it after ``EarlyStopping`` in the callback list (it reads its state) and before
    the backup, which commits the state.

    Args:
        state: the state so far (a fresh ``TrainingState`` for a new run), updated in place.
        early_stopping: the run's ``EarlyStopping`` callback.
        total_epochs: the maximum number of epochs (for the summary lines).
        print_lines: print one line per epoch (when Keras's progress bar is off).
        clock: ``(seconds of earlier attempts, time.perf_counter() when this one began)``,
            for the run's total ``wall_seconds``.
    """

    def __init__(
        self,
        state: TrainingState,
        early_stopping,
        total_epochs: int,
        print_lines: bool,
        clock: tuple[float, float] | None = None,
    ):
        super().__init__()
        self.clock = clock or (0.0, time.perf_counter())
        self.state = state
        self.early_stopping = early_stopping
        self.total_epochs = total_epochs
        self.print_lines = print_lines

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._train_seconds = None

    def on_test_begin(self, logs=None):  # validation starts: the training part is over
        if self._train_seconds is None:
            self._train_seconds = time.perf_counter() - self._epoch_start

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._epoch_start
        stopper, state = self.early_stopping, self.state
        state.epochs_done = epoch + 1
        state.best = None if stopper.best is None else float(stopper.best)
        state.best_epoch = int(stopper.best_epoch)
        state.wait = int(stopper.wait)
        state.stop_requested = bool(self.model.stop_training)
        state.wall_seconds = round(self.clock[0] + time.perf_counter() - self.clock[1], 3)
        state.epoch_seconds.append(round(seconds, 3))
        state.train_seconds.append(round(self._train_seconds or seconds, 3))
        if self.print_lines:
            metrics = "  ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
            line = f"epoch {epoch + 1}/{self.total_epochs}  {metrics}  ({seconds:.0f} s)"
            print(line, flush=True)


class HistoryLogger(keras.callbacks.CSVLogger):
    """Keras's ``CSVLogger`` with epochs counted from 1, as the console and the record do."""

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch + 1, logs)


def clean_history(path: str | os.PathLike, after_epoch: int | None = None) -> int:
    """Repairs a ``history.csv`` after an interruption; returns the rows kept.

    Epochs count from 1. Drops a half-written last line, rows of epochs after
    ``after_epoch`` (they will be run again) and, for an epoch logged twice, all but its
    last row. The file
    is rewritten atomically; nothing happens when it does not exist.
    """
    path = Path(path)
    if not path.exists():
        return 0
    text = path.read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        atomic_write_text(path, "")
        return 0
    header, by_epoch = rows[0], {}
    for row in rows[1:]:
        if len(row) != len(header) or not row[0].isdigit():
            continue
        epoch = int(row[0])
        if after_epoch is None or epoch <= after_epoch:
            by_epoch[epoch] = row
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(by_epoch[epoch] for epoch in sorted(by_epoch))
    atomic_write_text(path, out.getvalue())
    return len(by_epoch)


def on_terminal() -> bool:
    """Whether standard output is a terminal (Keras's progress bar) or not (one line per epoch)."""
    return sys.stdout.isatty()
