"""Shared pieces of our own ``keras.applications``-style builders (ShuffleNetV2, ViT, DigitNet).

They follow the ``keras.applications`` contract, so the shared builder (``builder.py``)
treats them exactly as it treats the Keras families: ``input_tensor`` becomes part of a
flat functional model, ``include_top=False`` returns the last feature map (or a pooled
vector), and ``weights`` is ``None`` or a weights-file path loaded by topology. Their
arguments are checked by the same functions as the constructors' (``inputs.py``,
``weights.py``), with the bounds of the architecture's declaration.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from neurn_keras.applications.inputs import resolve_input_shape
from neurn_keras.applications.weights import check_weights
from neurn_keras.backbones import Backbone
from neurn_keras.errors import InvalidValueError

POOLINGS = (None, "avg", "max")


def backbone_input(backbone: Backbone, input_tensor, input_shape, weights):
    """Validates the common arguments; returns the tensor the architecture starts from.

    The input is 3 channels of at least ``backbone.min_size`` (default
    ``backbone.default_size``); ``weights`` is None or a file (our architectures have no
    ImageNet weights).
    """
    check_weights(backbone, weights)
    shape = resolve_input_shape(
        backbone.name,
        input_shape,
        input_tensor,
        default=(backbone.default_size, backbone.default_size, 3),
        channels=(3,),
        min_size=backbone.min_size,
    )
    if input_tensor is None:
        return keras.Input(shape)
    return input_tensor


def finish_model(
    name: str,
    inputs,
    features,
    *,
    include_top: bool,
    pooling,
    classes: int,
    classifier_activation,
    weights,
    head: Callable | None = None,
    classifier: Callable | None = None,
) -> keras.Model:
    """Adds the classifier head or the pooling, builds the model and loads ``weights``.

    Args:
        head: maps the feature map to the vector fed to the final ``Dense``; the default
            is global average pooling (layer ``"avg_pool"``).
        classifier: ``classifier(x, classes, activation)`` applies that final layer
            (named ``"predictions"``); the default is a ``Dense`` with Keras's initializers.
    """
    if pooling not in POOLINGS:
        raise InvalidValueError(f"{name}: pooling must be one of {list(POOLINGS)}, got {pooling!r}")
    x = features
    if include_top:
        x = head(x) if head is not None else keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if classifier is not None:
            x = classifier(x, classes, classifier_activation)
        else:
            x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = keras.Model(keras.utils.get_source_inputs(inputs), x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model
