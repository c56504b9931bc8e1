"""neurn_keras: NeuRN (Neural Response Normalization) and the Mice-to-Machines toolkit for Keras 3.

``import neurn_keras`` registers every custom layer (NeuRN, the baselines and the
input-adaptation layers of the applications), so ``keras.saving.load_model`` reads any
model this package saved. Import it before ``keras``: it loads TensorFlow quietly. The
analysis subpackages are imported on first use::

    import neurn_keras
    from neurn_keras import NeuRN, applications, datasets

Started as one of its command-line tools (``python -m neurn_keras.train``, ``neurn-train``)
the package imports nothing heavy until the tool has parsed its arguments.
"""

from __future__ import annotations

import importlib
from importlib import metadata

from neurn_keras._startup import import_keras, started_as_command

try:
    __version__ = metadata.version("neurn_keras")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

_LAZY = ("archsim", "cortex", "datasets", "neuro", "applications", "layers")

__all__ = ["NeuRN", "__version__", *_LAZY]

if not started_as_command():
    import_keras()


def __getattr__(name: str):
    if name == "NeuRN":
        import_keras()
        from neurn_keras.layers import NeuRN

        return NeuRN
    if name in _LAZY:
        if name in ("applications", "layers"):
            import_keras()
        return importlib.import_module(f"neurn_keras.{name}")
    raise AttributeError(f"module 'neurn_keras' has no attribute {name!r}")
