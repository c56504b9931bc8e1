"""The end-of-epoch backup of a run, committed atomically, and its restore.

Keras's ``BackupAndRestore`` writes the weights file in place and the epoch counter in
a second file: a process killed during or between the two writes leaves a truncated
file, or weights of one epoch beside the counter of another. Here every epoch writes
its weights (model and optimizer) to a new file, then commits by atomically replacing
``commit.json``, which names that file and holds the epoch and the run's
``TrainingState``; older weight files are removed only after the commit. Whatever the
moment of a kill, the last commit is complete and consistent.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import keras

from neurn_keras.files import atomic_write, atomic_write_json, read_json
from neurn_keras.training import faults
from neurn_keras.training.state import TrainingState

COMMIT = "commit.json"


@dataclass(frozen=True)
class Backup:
    """A committed backup: the epochs it holds, its weights file and the run's state."""

    epoch: int
    weights: Path
    state: TrainingState


def read_backup(directory: str | os.PathLike) -> Backup | None:
    """The last committed backup in ``directory``, or None (nothing committed yet)."""
    directory = Path(directory)
    try:
        commit = read_json(directory / COMMIT)
        weights = directory / commit["weights"]
        state = TrainingState(**commit["state"])
        epoch = int(commit["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Backup(epoch, weights, state) if weights.is_file() else None


def restore(trainer: keras.Model, backup: Backup) -> None:
    """Loads ``backup``'s weights and optimizer state into the compiled ``trainer``."""
    if trainer.optimizer is not None and not trainer.optimizer.built:
        trainer.optimizer.build(trainer.trainable_variables)
    trainer.load_weights(backup.weights)


class EpochBackup(keras.callbacks.Callback):
    """Commits a backup at the end of every epoch (put it last in the callback list).

    Args:
        directory: the backup folder (created if needed).
        state: the run's ``TrainingState``, updated by the callbacks before this one.
    """

    def __init__(self, directory: str | os.PathLike, state: TrainingState):
        super().__init__()
        self.directory, self.state = Path(directory), state

    def on_epoch_end(self, epoch, logs=None):
        from neurn_keras.training.distribute import outside_distribution

        name = f"epoch-{epoch + 1}.weights.h5"
        with outside_distribution():  # process 0 alone writes
            atomic_write(self.directory / name, self.model.save_weights, suffix=".weights.h5")
        faults.kill_point("backup_write")
        commit = {"epoch": epoch + 1, "weights": name, "state": dataclasses.asdict(self.state)}
        atomic_write_json(self.directory / COMMIT, commit)
        for old in self.directory.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)
