"""neurn_keras: NeuRN (Neural Response Normalization) and the Mice-to-Machines toolkit for Keras 3.

Everything is imported on first use, so ``import neurn_keras`` stays light and a command
line can quiet TensorFlow before it loads::

    from neurn_keras import NeuRN
    from neurn_keras import applications, datasets
"""

from __future__ import annotations

import importlib
from importlib import metadata

try:
    __version__ = metadata.version("neurn_keras")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

_SUBPACKAGES = ("alignment", "applications", "archsim", "datasets", "layers", "neuro")

__all__ = ["NeuRN", "__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    if name == "NeuRN":
        from neurn_keras.layers import NeuRN

        return NeuRN
    if name in _SUBPACKAGES:
        return importlib.import_module(f"neurn_keras.{name}")
    raise AttributeError(f"module 'neurn_keras' has no attribute {name!r}")
