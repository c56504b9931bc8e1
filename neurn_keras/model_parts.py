"""Questions about a built model, answered in one place: its layers, its input normalization.

>>> from neurn_keras import applications, model_parts
>>> model = applications.build_model("digitnet", neurn=True)
>>> model_parts.has_neurn(model)
True
>>> [path for path, _ in model_parts.walk_layers(model)][:3]
['pixels', 'neurn', 'preprocess']
"""

from __future__ import annotations

from collections.abc import Iterator

import keras

NEURN_LAYER = "neurn"
"""The name of the NeuRN layer in every model ``applications`` builds."""


def walk_layers(
    model, prefix: str = "", operations: bool = False
) -> Iterator[tuple[str, keras.layers.Layer]]:
    """Every layer of ``model`` with its path, descending into nested models.

    A layer of a nested model ``backbone`` is named ``"backbone/conv1"``; nested models
    themselves are not yielded, only their layers. With ``operations=True`` a functional
    model is read in the order of ``model.operations`` (topological), which also holds the
    ``keras.ops`` nodes of its graph (``x + 3`` gives an ``Add`` operation).
    """
    children = getattr(model, "operations", None) if operations else None
    for layer in model.layers if children is None else children:
        path = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            yield from walk_layers(layer, prefix=f"{path}/", operations=operations)
        else:
            yield path, layer


def neurn_layer(model) -> keras.layers.Layer | None:
    """The model's NeuRN layer (nested models included), or None."""
    from neurn_keras.layers import NeuRN

    return next((layer for _, layer in walk_layers(model) if isinstance(layer, NeuRN)), None)


def has_neurn(model) -> bool:
    """Whether NeuRN is one of the model's layers."""
    return neurn_layer(model) is not None


NEURN_SETTINGS = ("kernel_size", "padding", "normalize_over", "color", "method")
"""The NeuRN arguments a run records (``blocking`` only changes how it runs, not what)."""


def neurn_settings(model) -> dict | None:
    """The ``NEURN_SETTINGS`` of the model's (first) NeuRN layer, or None."""
    layer = neurn_layer(model)
    if layer is None:
        return None
    config = layer.get_config()
    return {key: config[key] for key in NEURN_SETTINGS if key in config}
