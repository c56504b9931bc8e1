"""neurn_keras: NeuRN (Neural Response Normalization) and the Mice-to-Machines toolkit for Keras 3.

``import neurn_keras`` registers every custom layer (NeuRN and the input-adaptation layers
of the applications), so ``keras.saving.load_model`` reads any model this package saved.
The analysis subpackages are imported on first use::

    import neurn_keras
    from neurn_keras import NeuRN, applications, datasets
"""

from __future__ import annotations

import importlib
import os
from importlib import metadata

# TensorFlow's C++ INFO and WARNING lines drown the output of our command lines;
# errors still show, and a value the user set is kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from neurn_keras import applications, layers  # registers the custom layers
from neurn_keras.layers import NeuRN

try:
    __version__ = metadata.version("neurn_keras")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

_LAZY = ("alignment", "archsim", "datasets", "neuro")

__all__ = ["NeuRN", "__version__", "applications", "layers", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f"neurn_keras.{name}")
    raise AttributeError(f"module 'neurn_keras' has no attribute {name!r}")
