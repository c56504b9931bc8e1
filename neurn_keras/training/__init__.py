"""Training: one run end to end, its record, sweeps and tables, on every Keras backend.

    from neurn_keras.training import RunConfig, train_and_evaluate, collect_records

    config = RunConfig(backbone="digitnet", input_norm="neurn", source="mnist", seed=0)
    record = train_and_evaluate(config, "runs/example")   # the run directory
    record.accuracy                                        # {"mnist": ..., "usps": ...}

Modules: ``config`` (settings, identity hash), ``protocols`` (literature presets),
``data`` (loading, skipping, file hashes), ``batches`` (the seeded, resumable batch
stream), ``model`` (build or ``init_from``), ``precise_bn`` (BatchNorm recalibration),
``consistency`` (RandConv's consistency loss), ``callbacks`` (resumable early stopping
and checkpoints), ``distribute`` (data parallelism per backend), ``state`` (the resume
state), ``rundir`` (the run directory), ``run`` (one run end to end), ``record`` (the
results record), ``tables`` (Table 1 and paired comparisons), ``grid`` and
``launchers`` (sweeps). Keras is imported on first use.
"""

from __future__ import annotations

import importlib

from neurn_keras.training.config import RunConfig
from neurn_keras.training.protocols import PROTOCOLS
from neurn_keras.training.record import (
    ResultsError,
    RunRecord,
    collect_records,
    load_record,
)

_LAZY = {
    "train_and_evaluate": "neurn_keras.training.run",
    **dict.fromkeys(
        ("build_table", "paired_comparisons", "render_paired", "render_table", "transfer_label"),
        "neurn_keras.training.tables",
    ),
    "PreciseBN": "neurn_keras.training.precise_bn",
    "recalibrate_batchnorm": "neurn_keras.training.precise_bn",
    "ConsistencyTrainer": "neurn_keras.training.consistency",
}

__all__ = [
    "PROTOCOLS",
    "ConsistencyTrainer",
    "PreciseBN",
    "ResultsError",
    "RunConfig",
    "RunRecord",
    "build_table",
    "collect_records",
    "load_record",
    "paired_comparisons",
    "recalibrate_batchnorm",
    "render_paired",
    "render_table",
    "train_and_evaluate",
    "transfer_label",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'neurn_keras.training' has no attribute {name!r}")
