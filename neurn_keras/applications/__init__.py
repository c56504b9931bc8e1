"""Backbones of the paper's Table 1 and DigitNet, each with NeuRN in front, raw pixels in.

In the manner of ``keras.applications``::

    from neurn_keras import applications

    model = applications.build_model("resnet50v2", neurn=True, input_shape=(28, 28, 1))
    model.predict(images)  # uint8 (N, 28, 28, 1), raw 0..255; resizing, NeuRN, preprocessing inside
    model = applications.Xception(input_shape=(32, 32, 3), classes=10, neurn={"kernel_size": 7})

``BACKBONES`` maps each name to its constructor, in the order of the declaration
(``neurn_keras.backbones``, which also gives each backbone's sizes and weights without
importing Keras); ``min_input_size(name)`` gives the size below which inputs are resized
up inside the model.

Modules: ``family`` (a declared backbone joined to the function that builds it),
``builder`` (the shared builder and the constructors' docstring), ``registry``
(``BACKBONES``, ``FAMILIES``), ``weights`` (the ``weights`` argument, ImageNet downloads,
weight transfer), ``inputs`` (the ``input_shape``/``input_tensor`` check),
``adaptation`` (the layers in front of the backbone), ``wrapper`` (``with_neurn``: NeuRN
in front of any model), ``keras_style`` (what our own
architectures share), and one module per family: ``keras_families``, ``digitnet``,
``shufflenet_v2``, ``vit``.

>>> import numpy as np
>>> from neurn_keras import applications
>>> model = applications.DigitNet(input_shape=(28, 28, 1), classes=10, neurn={"kernel_size": 3})
>>> images = np.zeros((2, 28, 28, 1), np.uint8)  # raw 0..255 pixels
>>> model.predict(images, verbose=0).shape
(2, 10)
"""

from __future__ import annotations

import keras

from neurn_keras.applications.adaptation import BackbonePreprocessing, GrayToRGB
from neurn_keras.applications.digitnet import DigitNet
from neurn_keras.applications.family import Family
from neurn_keras.applications.keras_families import (
    VGG19,
    DenseNet121,
    EfficientNetB0,
    InceptionV3,
    MobileNetV2,
    NASNetMobile,
    ResNet50V2,
    Xception,
)
from neurn_keras.applications.registry import (
    BACKBONES,
    FAMILIES,
    check_complete,
    family_of,
    min_input_size,
)
from neurn_keras.applications.shufflenet_v2 import ChannelShuffle, ChannelSplit, ShuffleNetV2
from neurn_keras.applications.vit import PositionEmbedding, ViT
from neurn_keras.applications.weights import WeightsDownloadError, transfer_weights
from neurn_keras.applications.wrapper import OUTPUT_RANGES, PixelFunction, with_neurn

check_complete()


def build_model(
    name: str,
    neurn=None,
    input_shape=(32, 32, 3),
    classes: int = 10,
    weights=None,
    **kwargs,
) -> keras.Model:
    """Builds backbone ``name`` (a key of ``BACKBONES``) taking raw pixels.

    Args:
        name: a key of ``BACKBONES``, one of ``neurn_keras.backbones.NAMES`` (e.g.
            ``"mobilenetv2"``).
        neurn: ``True`` (the default unless ``input_norm`` says otherwise), ``False`` or
            a dict of NeuRN arguments.
        input_shape: ``(height, width, 1 or 3)`` of the raw pixels. With an
            ``input_tensor``, pass its shape or ``None``.
        classes: number of classes.
        weights: ``None``, ``"imagenet"`` or the path to a weights file for the
            backbone without its top.
        **kwargs: the constructor's other arguments: ``input_norm`` (``"neurn"``,
            ``"lcn"``, ``"none"``), ``augment`` (``"randconv"``, ``"prorandconv"``),
            ``include_top``, ``pooling``, ``classifier_activation``, ``input_tensor``,
            ``model_name`` (the constructor's ``name``) and family options (e.g. ViT's
            ``depth``).

    Returns:
        The ``keras.Model``; see the constructor (e.g. ``help(applications.VGG19)``).
    """
    constructor = BACKBONES[family_of(name).name]
    if "model_name" in kwargs:
        kwargs["name"] = kwargs.pop("model_name")
    return constructor(
        neurn=neurn, input_shape=input_shape, classes=classes, weights=weights, **kwargs
    )


__all__ = [
    "BACKBONES",
    "FAMILIES",
    "OUTPUT_RANGES",
    "VGG19",
    "BackbonePreprocessing",
    "ChannelShuffle",
    "ChannelSplit",
    "DenseNet121",
    "DigitNet",
    "EfficientNetB0",
    "Family",
    "GrayToRGB",
    "InceptionV3",
    "MobileNetV2",
    "NASNetMobile",
    "PixelFunction",
    "PositionEmbedding",
    "ResNet50V2",
    "ShuffleNetV2",
    "ViT",
    "WeightsDownloadError",
    "Xception",
    "build_model",
    "min_input_size",
    "transfer_weights",
    "with_neurn",
]
