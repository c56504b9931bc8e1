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

from neurn_keras.layer_options import NeuRNOptions

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


NEURN_SETTINGS = (*(option.name for option in NeuRNOptions.fields()), "method")
"""The NeuRN arguments a run records: its options, and the method that computed them
(``blocking`` only changes how fast, not what)."""


def neurn_settings(model) -> dict | None:
    """The ``NEURN_SETTINGS`` of the model's (first) NeuRN layer, or None."""
    layer = neurn_layer(model)
    if layer is None:
        return None
    config = layer.get_config()
    return {key: config[key] for key in NEURN_SETTINGS if key in config}


def neurn_options(model) -> NeuRNOptions | None:
    """The options of the model's (first) NeuRN layer, or None without one."""
    settings = neurn_settings(model)
    return None if settings is None else NeuRNOptions.from_mapping(settings)


PYTORCH_INITIALIZATION = "pytorch"
KERAS_INITIALIZATION = "keras"
PREPROCESS_LAYER = "preprocess"
"""The layer that maps the pixels (or a [0, 1] normalization) to what the backbone takes."""
RANGES = {"tf": [-1.0, 1.0], "unit": [0.0, 1.0], "pixels": [0.0, 255.0]}
"""The backbone's input range for a full-scale image, by ``BackbonePreprocessing`` mode
(``caffe`` and ``torch`` subtract ImageNet statistics: no fixed range)."""


def initialization(model) -> str | None:
    """How the model's first weighted layer was initialized: ``"pytorch"`` (uniform
    ±1/√fan_in, PyTorch's default, which DigitNet takes), ``"keras"`` (Glorot uniform,
    Keras's default) or the initializer's class name; None without one."""
    for _, layer in walk_layers(model):
        found = getattr(layer, "kernel_initializer", None)
        if found is None or not getattr(layer, "weights", None):
            continue
        config = found.get_config() if hasattr(found, "get_config") else {}
        if type(found).__name__ == "VarianceScaling" and (
            config.get("mode"),
            config.get("distribution"),
            round(float(config.get("scale", 0)), 6),
        ) == ("fan_in", "uniform", round(1 / 3, 6)):
            return PYTORCH_INITIALIZATION
        if type(found).__name__ == "GlorotUniform":
            return KERAS_INITIALIZATION
        return type(found).__name__
    return None


def backbone_input(model) -> dict:
    """What the backbone is fed and how it started, for the run record: the
    ``preprocessing`` mode (or ``"rescaling"``), the ``input_range`` of a full-scale image
    after it (None where it subtracts ImageNet statistics) and the ``initialization``."""
    layer = next((item for path, item in walk_layers(model) if path == PREPROCESS_LAYER), None)
    settings: dict = {"preprocessing": None, "input_range": None}
    if layer is not None:
        config = layer.get_config()
        if "mode" in config:  # BackbonePreprocessing
            settings = {"preprocessing": config["mode"], "input_range": RANGES.get(config["mode"])}
        elif "scale" in config:  # keras.layers.Rescaling
            scale, offset = float(config["scale"]), float(config.get("offset", 0.0))
            ends = sorted([offset, 255.0 * scale + offset])
            settings = {"preprocessing": "rescaling", "input_range": [round(v, 6) for v in ends]}
    return {**settings, "initialization": initialization(model)}
