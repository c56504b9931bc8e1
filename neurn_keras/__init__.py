"""neurn_keras: NeuRN (Neural Response Normalization) and the Mice-to-Machines toolkit for Keras 3.

``import neurn_keras`` registers every custom layer (NeuRN and the input-adaptation layers
of the applications), so ``keras.saving.load_model`` reads any model this package saved.
The analysis subpackages are imported on first use::

    import neurn_keras
    from neurn_keras import NeuRN, applications, datasets
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from importlib import metadata


@contextlib.contextmanager
def _quiet_tensorflow_import():
    """Silences what TensorFlow prints to stderr while it loads (``NEURN_TF_LOGS=1`` keeps it).

    TensorFlow 2.21 writes its startup lines (oneDNN, CUDA drivers) before its logging
    is set up, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them; they would bury the one-line
    errors of our command lines. An import that fails still raises as usual.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("NEURN_TF_LOGS") == "1" or "tensorflow" in sys.modules:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


with _quiet_tensorflow_import():
    import keras  # noqa: F401  (loads the backend: TensorFlow by default)

from neurn_keras import applications, layers  # noqa: E402  (registers the custom layers)
from neurn_keras.layers import NeuRN  # noqa: E402

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
