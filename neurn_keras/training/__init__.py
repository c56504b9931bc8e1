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

from neurn_keras._lazy import lazy_exports
from neurn_keras.training.config import RunConfig
from neurn_keras.training.protocols import PROTOCOLS
from neurn_keras.training.record import (
    ResultsError,
    RunRecord,
    collect_records,
    load_record,
)

__getattr__, __dir__, _lazy_names = lazy_exports(
    __name__,
    {
        "run": ["train_and_evaluate"],
        "tables": [
            "build_table", "paired_comparisons", "render_paired", "render_table",
            "transfer_label",
        ],
        "precise_bn": ["PreciseBN", "recalibrate_batchnorm"],
        "consistency": ["ConsistencyTrainer"],
    },
)  # fmt: skip
__all__ = ["PROTOCOLS", "ResultsError", "RunConfig", "RunRecord", "collect_records", "load_record"]
__all__ += _lazy_names
