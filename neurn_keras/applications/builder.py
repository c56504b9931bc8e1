"""The shared builder: a family's architecture behind the input adaptation.

``build_family_model`` puts the input adaptation (``adaptation.py``) in front of a
family's ``keras.applications``-style function by passing the adapted tensor as
``input_tensor``, so the result is one flat functional model whose layers keep their
usual names. ``make_constructor`` gives it the public face (``VGG19``, ``DigitNet``, ...)
with the shared docstring.
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from neurn_keras.applications.adaptation import (
    PREPROCESSING_DESCRIPTIONS,
    adapt_inputs,
    augmentation_layer,
    augmentation_name,
    resolve_input_norm,
)
from neurn_keras.applications.family import Family
from neurn_keras.applications.inputs import resolve_input_shape
from neurn_keras.applications.weights import call_backbone, check_weights, transfer_weights
from neurn_keras.methods import Method

DEFAULT_INPUT_SHAPE = (32, 32, 3)
DEFAULT_CLASSES = 10


def _call(family: Family, weights, **kwargs) -> keras.Model:
    return call_backbone(family.declaration, family.build, weights, **kwargs)


def build_family_model(
    family: Family,
    *,
    include_top: bool = True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes: int = DEFAULT_CLASSES,
    classifier_activation="softmax",
    neurn=None,
    input_norm: str | None = None,
    augment=None,
    augment_after_norm: bool = False,
    name: str | None = None,
    **options,
) -> keras.Model:
    """Builds ``family`` behind the input adaptation; see the constructors' docstring."""
    declared = family.declaration
    norm, neurn_kwargs = resolve_input_norm(neurn, input_norm)
    augment_layer = augmentation_layer(augment)
    shape = resolve_input_shape(family.name, input_shape, input_tensor, default=DEFAULT_INPUT_SHAPE)
    weights = check_weights(family.declaration, weights)
    if name is None:
        method = Method(
            augmentation_name(augment), input_norm=norm, augment_after_norm=augment_after_norm
        )
        name = method.model_name(family.name)

    pixels = input_tensor if input_tensor is not None else keras.Input(shape, name="pixels")
    adapted = adapt_inputs(
        pixels,
        min_size=declared.min_size,
        preprocessing=declared.preprocessing,
        neurn_kwargs=neurn_kwargs,
        input_norm=norm,
        augment=augment_layer,
        augment_after_norm=augment_after_norm,
    )
    backbone_shape = tuple(adapted.shape[1:])
    common = {"classifier_activation": classifier_activation, **options}
    full_imagenet_head = (
        weights == "imagenet"
        and classes == 1000
        and backbone_shape[:2] == (declared.default_size, declared.default_size)
    )
    if weights is None or not include_top or full_imagenet_head:
        model = _call(
            family,
            weights,
            include_top=include_top,
            input_tensor=adapted,
            input_shape=backbone_shape,
            pooling=pooling,
            classes=classes,
            name=name,
            **common,
        )
        return _single_input(model, pixels)
    # A fresh classifier head on pretrained features: build the whole model without
    # weights, let the family load the weights into a model without its top, copy them.
    model = _call(
        family,
        None,
        include_top=True,
        input_tensor=adapted,
        input_shape=backbone_shape,
        pooling=pooling,
        classes=classes,
        name=name,
        **common,
    )
    donor = _call(
        family,
        weights,
        include_top=False,
        input_shape=backbone_shape,
        pooling=None,
        name=f"{name}_features",
        **common,
    )
    front = keras.Model(keras.utils.get_source_inputs(pixels), adapted)
    transfer_weights(donor, model, skip_layers=front.layers)
    return _single_input(model, pixels)


def _single_input(model: keras.Model, pixels) -> keras.Model:
    """The same graph with one input tensor rather than a list of one.

    Given ``input_tensor``, ``keras.applications`` builds its model on the list
    ``get_source_inputs(input_tensor)``; calling such a model with a plain array warns
    that the input structure does not match. The layers (and their weights) are shared.
    """
    sources = keras.utils.get_source_inputs(pixels)
    if len(sources) != 1:
        return model
    return keras.Model(sources[0], model.output, name=model.name)


_DOC = """{constructor} ({reference}) on raw pixels, with NeuRN in front.

Architecture from ``{source}``. Minimum input size {min_size}×{min_size}; {size_note}.

The model takes raw pixels, 0..255, uint8 or float, of ``input_shape``. Inside it, in
this order: 1 channel is repeated to 3 (layer ``"gray_to_rgb"``); height and width
below {min_size} are resized up to {min_size} (bilinear, layer ``"resize"``); NeuRN
(layer ``"neurn"``) on those raw pixels; the backbone's own preprocessing
(layer ``"preprocess"``: {preprocessing}), fed NeuRN's [0, 1] output rescaled to
0..255, or the raw pixels without NeuRN.

Args:
    include_top: whether to include the classifier head.
    weights: ``None`` (random initialization), {imagenet}or the path to a
        weights file for the backbone without its top (such as Keras's ``*_notop.h5``,
        or ``save_weights`` of a model built with ``include_top=False``). With
        ``include_top=True`` the classifier head is freshly initialized{head_note}.
    input_tensor: optional symbolic Keras tensor of raw pixels to use as input.
    input_shape: ``(height, width, channels)`` of the raw pixels, 1 or 3 channels;
        defaults to the shape of ``input_tensor``, else ``(32, 32, 3)``.
    pooling: with ``include_top=False``: ``None`` (the last feature map), ``"avg"``
        or ``"max"`` (global pooling to a vector).
    classes: number of classes, with ``include_top=True``.
    classifier_activation: activation of the last layer; ``None`` returns logits.
    neurn: ``True`` (NeuRN with its defaults; the default unless ``input_norm`` says
        otherwise), ``False`` (no NeuRN) or a dict of NeuRN arguments, e.g.
        ``{{"kernel_size": 7, "padding": "zeros"}}``. NeuRN adds no weights.
    input_norm: ``"neurn"``, ``"none"``, or a control or baseline of
        ``layer_options.INPUT_NORMS``: ``"lcn"`` (``LocalContrastNormalization``),
        ``"standardize"``, ``"minmax"``, ``"sobel"``, ``"localstd"`` (a normalization
        whose output is normalized already skips the backbone's preprocessing);
        None: as ``neurn`` says.
    augment: a training-only augmentation on the raw pixels, before the input
        normalization: ``"randconv"``, ``"prorandconv"``, ``"polarity"``, or a dict such as
        ``{{"name": "randconv", "seed": 1}}`` with the layer's arguments (layer
        ``"augment"``). Identity at inference.
    augment_after_norm: put the augmentation after NeuRN (on its output scaled to
        0..255) instead of on the raw pixels; needs NeuRN and ``augment``.
    name: model name; defaults to ``"{name}_neurn"``, ``"{name}"`` without NeuRN,
        ``"{name}_randconv_neurn"`` with an augmentation (``"{name}_neurn_randconv"``
        after NeuRN).
{options}
Returns:
    A ``keras.Model`` from raw pixels to class probabilities (or features).

Raises:
    WeightsDownloadError: ``weights="imagenet"`` and Keras cannot download them.
"""


def make_constructor(family: Family) -> Callable[..., keras.Model]:
    """The public constructor of ``family`` (named and documented after it)."""

    def constructor(
        include_top: bool = True,
        weights=None,
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes: int = DEFAULT_CLASSES,
        classifier_activation="softmax",
        neurn=None,
        input_norm: str | None = None,
        augment=None,
        augment_after_norm: bool = False,
        name: str | None = None,
        **options,
    ) -> keras.Model:
        return build_family_model(
            family,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            neurn=neurn,
            input_norm=input_norm,
            augment=augment,
            augment_after_norm=augment_after_norm,
            name=name,
            **options,
        )

    declared = family.declaration
    size = f"{declared.default_size}×{declared.default_size}"
    constructor.__name__ = constructor.__qualname__ = declared.label
    constructor.__module__ = "neurn_keras.applications"
    constructor.__doc__ = _DOC.format(
        constructor=declared.label,
        reference=declared.reference,
        source=declared.code,
        min_size=declared.min_size,
        size_note=(
            f"ImageNet weights at {size}" if declared.imagenet_weights else f"designed for {size}"
        ),
        preprocessing=PREPROCESSING_DESCRIPTIONS[declared.preprocessing],
        imagenet=('``"imagenet"`` (downloaded by Keras), ' if declared.imagenet_weights else ""),
        head_note=(
            f', except with ``"imagenet"``, ``classes=1000`` at {size}'
            if declared.imagenet_weights
            else '; there are no ``"imagenet"`` weights for it'
        ),
        name=declared.name,
        options=family.options_doc,
    )
    constructor.family = family
    return constructor
