"""Deprecated: split into :mod:`neurn_keras.cortex.models`, :mod:`~neurn_keras.cortex.cells`,
:mod:`~neurn_keras.cortex.rdms` and :mod:`~neurn_keras.cortex.rsa` (removed in the next
release).
"""

from neurn_keras._deprecation import warn_moved

warn_moved(__name__, "neurn_keras.cortex")

from neurn_keras.cortex.cells import (  # noqa: E402
    DEFAULT_GROUPINGS,
    RMSEAnalysis,
    neural_maps,
    rmse_analysis,
    sample_cells,
)
from neurn_keras.cortex.models import load_models, model_label  # noqa: E402
from neurn_keras.cortex.rdms import PIXELS, model_rdms  # noqa: E402
from neurn_keras.cortex.rsa import rsa_analysis  # noqa: E402

__all__ = [
    "DEFAULT_GROUPINGS",
    "PIXELS",
    "RMSEAnalysis",
    "load_models",
    "model_label",
    "model_rdms",
    "neural_maps",
    "rmse_analysis",
    "rsa_analysis",
    "sample_cells",
]
