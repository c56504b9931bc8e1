"""Kill points: the moments at which a fault-injection test kills a run on purpose.

With ``NEURN_KILL_AT=<point>`` (or ``<point>@<n>``, the n-th time the point is reached;
default the first) the run kills its own process with SIGKILL there, as the out-of-memory
killer or a lost node would: nothing is flushed, no handler runs. Unset (always, outside
``tests/`` and ``benchmarks/faults.py``), every point is a dictionary lookup and nothing
else. ``docs/results/faults.md`` shows that a run killed at each point resumes to the
uninterrupted run's numbers.
"""

from __future__ import annotations

import collections
import os
import signal

import keras

KILL_AT_VAR = "NEURN_KILL_AT"
POINTS = {
    "train_batch": "mid-epoch: after a training step",
    "backup_write": "during the backup: the epoch's weights file written, its commit not yet",
    "precise_bn": "during Precise BN: after a calibration batch, before the statistics are set",
    "evaluation": "during evaluation: after the source's test set, before the targets'",
    "record_write": "during the record: results.json written, the done marker not yet",
}
"""Every kill point and where it is."""

_reached: collections.Counter = collections.Counter()


def armed(point: str) -> bool:
    """Whether ``NEURN_KILL_AT`` names ``point``."""
    return os.environ.get(KILL_AT_VAR, "").partition("@")[0] == point


def kill_point(point: str) -> None:
    """Kills this process (SIGKILL) when ``NEURN_KILL_AT`` names ``point`` and this is the
    time it asks for; otherwise does nothing."""
    if not armed(point):
        return
    _reached[point] += 1
    wanted = os.environ[KILL_AT_VAR].partition("@")[2]
    if _reached[point] == int(wanted or 1):
        os.kill(os.getpid(), signal.SIGKILL)


class KillAtBatch(keras.callbacks.Callback):
    """The ``train_batch`` point, after every training step (in the callback list only
    when it is armed: a batch hook makes Keras wait for every step)."""

    def on_train_batch_end(self, batch, logs=None):
        kill_point("train_batch")
