"""Shared pieces of our own ``keras.applications``-style builders (ShuffleNetV2, ViT, DigitNet).

They follow the ``keras.applications`` contract, so the shared builder in ``family.py``
treats them exactly as it treats the Keras families: ``input_tensor`` becomes part of a
flat functional model, ``include_top=False`` returns the last feature map (or a pooled
vector), and ``weights`` is ``None`` or a weights-file path loaded by topology.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import keras

POOLINGS = (None, "avg", "max")


def backbone_input(name: str, input_tensor, input_shape, default_size: int, min_size: int, weights):
    """Validates the common arguments; returns the tensor the architecture starts from."""
    if weights is not None and not (isinstance(weights, str) and os.path.isfile(weights)):
        raise ValueError(
            f"{name}: weights must be None or the path to an existing weights file "
            f"(no ImageNet weights are published for it), got {weights!r}"
        )
    if input_tensor is not None:
        shape = tuple(input_tensor.shape[1:])
    elif input_shape is not None:
        shape = tuple(input_shape)
    else:
        shape = (default_size, default_size, 3)
    if len(shape) != 3 or shape[2] != 3 or any(s is None or s < min_size for s in shape[:2]):
        raise ValueError(
            f"{name}: input_shape must be (height, width, 3) with height and width at "
            f"least {min_size}, got {shape}"
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
) -> keras.Model:
    """Adds the classifier head or the pooling, builds the model and loads ``weights``.

    Args:
        head: maps the feature map to the vector fed to the final ``Dense``; the default
            is global average pooling (layer ``"avg_pool"``).
    """
    if pooling not in POOLINGS:
        raise ValueError(f"{name}: pooling must be one of {list(POOLINGS)}, got {pooling!r}")
    x = features
    if include_top:
        x = head(x) if head is not None else keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = keras.Model(keras.utils.get_source_inputs(inputs), x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model
