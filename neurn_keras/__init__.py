"""neurn_keras: NeuRN (Neural Response Normalization) and the Mice-to-Machines toolkit for Keras 3.

``import neurn_keras`` registers every custom layer (NeuRN, the baselines and the
input-adaptation layers of the applications), so ``keras.saving.load_model`` reads any
model this package saved; ``neurn_keras.load_model(path)`` does both in one call. Keras
itself cannot find the layers without that import: it only imports modules of its own
packages while loading. Import neurn_keras before ``keras``: it loads TensorFlow
quietly (imported first, Keras lets TensorFlow print its start-up lines before
neurn_keras can silence them). The analysis subpackages are imported on first use::

    import neurn_keras
    from neurn_keras import NeuRN, applications, datasets

    model = neurn_keras.load_model("runs/digitnet_neurn/model.keras")

Started as one of its command-line tools (``python -m neurn_keras.train``, ``neurn-train``)
the package imports nothing heavy until the tool has parsed its arguments.
"""

from __future__ import annotations

from importlib import metadata

from neurn_keras._lazy import lazy_exports
from neurn_keras._startup import import_keras, started_as_command

try:
    __version__ = metadata.version("neurn_keras")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

_LAZY = ("archsim", "cortex", "datasets", "neuro", "applications", "layers")

__all__ = ["NeuRN", "__version__", "load_model", *_LAZY]

if not started_as_command():
    import_keras()


def load_model(path, **kwargs):
    """``keras.saving.load_model(path, **kwargs)`` with every neurn_keras layer registered.

    For a ``.keras`` file with NeuRN, the baselines or the applications' input layers;
    ``keras.saving.load_model`` alone fails on it ("Could not locate class 'NeuRN'")
    unless ``neurn_keras`` was imported first.
    """
    return import_keras().saving.load_model(path, **kwargs)


def _keras_first(name: str) -> None:
    """The layers and the applications need Keras loaded quietly first."""
    if name in ("NeuRN", "applications", "layers"):
        import_keras()


__getattr__, __dir__, _ = lazy_exports(
    __name__, {"layers": ["NeuRN"]}, modules=_LAZY, before=_keras_first
)
