"""Training internals shared by ``train``, ``sweep`` and ``table``.

    from neurn_keras.training import RunConfig, train_and_evaluate, collect_results

    config = RunConfig(backbone="digitnet", neurn=True, source="mnist", seed=0)
    results = train_and_evaluate(config, "runs/example")   # the run directory
    results["accuracy"]                                     # {"mnist": ..., "usps": ...}

Modules: ``config`` (settings, identity hash), ``data`` (loading, skipping, file
hashes), ``model`` (build or ``--init-from``), ``pipeline_tf`` (resumable batch order),
``callbacks`` (resumable early stopping and checkpoints), ``rundir`` (the run directory),
``run`` (one run end to end), ``results`` (the record), ``tables`` (Table 1 and paired
comparisons), ``grid`` and ``launchers`` (sweeps), ``arguments`` (the options ``train``
and ``sweep`` share). TensorFlow is imported on first use.
"""

from __future__ import annotations

import importlib

from neurn_keras.cli import UsageError
from neurn_keras.training.config import RunConfig
from neurn_keras.training.results import ResultsError, collect_results, load_results

_LAZY = {"train_and_evaluate": "neurn_keras.training.run"}

__all__ = [
    "ResultsError",
    "RunConfig",
    "UsageError",
    "collect_results",
    "load_results",
    "train_and_evaluate",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'neurn_keras.training' has no attribute {name!r}")
