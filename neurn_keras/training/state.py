"""The resume state of a run: what the weights do not hold.

Committed with the weights at the end of every epoch (``backup.py``), read back when an
interrupted run starts again.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrainingState:
    """Early stopping's memory, the epoch count and the clock of one run.

    Attributes:
        epochs_done: finished epochs (an epoch is ``eval_every`` steps with ``steps``).
        best: the best validation accuracy so far (None before the first epoch).
        best_epoch: the 0-based epoch that reached it.
        wait: epochs since the best one (early stopping's counter).
        stop_requested: early stopping ended training.
        wall_seconds: the run's wall time so far, over every attempt.
        epoch_seconds: each epoch's duration, validation included.
        train_seconds: each epoch's training part (throughput is measured on it).
    """

    epochs_done: int = 0
    best: float | None = None
    best_epoch: int = 0
    wait: int = 0
    stop_requested: bool = False
    wall_seconds: float = 0.0
    epoch_seconds: list[float] = field(default_factory=list)
    train_seconds: list[float] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.epochs_done > 0

    def finished(self, max_epochs: int) -> bool:
        return self.stop_requested or self.epochs_done >= max_epochs

    def restart(self) -> TrainingState:
        """A fresh state that keeps only the time already spent."""
        return TrainingState(wall_seconds=self.wall_seconds)
