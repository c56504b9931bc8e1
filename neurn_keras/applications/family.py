"""A backbone family: its definition, the shared builder, the weights logic and the registry.

Every family is described once, by a ``Family``. ``register_family`` turns it into the
public constructor (``VGG19``, ``DigitNet``, ...) and records that constructor in
``BACKBONES``, so the registry is built from the definitions themselves.

A family's ``backbone`` is a ``keras.applications``-style function (``include_top``,
``weights``, ``input_tensor``, ``input_shape``, ``pooling``, ``classes``,
``classifier_activation``, ``name``): for the eight Keras families it *is* the
``keras.applications`` constructor. The shared builder puts the input adaptation
(``adaptation.py``) in front of it by passing the adapted tensor as ``input_tensor``, so
the result is one flat functional model whose layers keep their usual names.
"""

from __future__ import annotations

import numbers
import os
import re
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass

import keras

from neurn_keras.applications.adaptation import (
    PREPROCESSING_DESCRIPTIONS,
    PREPROCESSING_MODES,
    adapt_inputs,
    augmentation_layer,
    resolve_input_norm,
)
from neurn_keras.environment import offline_guarded

DEFAULT_INPUT_SHAPE = (32, 32, 3)
DEFAULT_CLASSES = 10

BACKBONES: dict[str, Callable[..., keras.Model]] = {}
"""Registry: name -> constructor, filled by ``register_family``."""

FAMILIES: dict[str, Family] = {}
"""Registry: name -> ``Family`` definition."""


class WeightsDownloadError(ConnectionError):
    """Keras could not download a backbone's ImageNet weights (no network access)."""


@dataclass(frozen=True)
class Family:
    """What the shared builder needs to know about one architecture.

    Attributes:
        name: registry key, e.g. ``"vgg19"``.
        constructor_name: the public constructor's name, e.g. ``"VGG19"``.
        backbone: ``keras.applications``-style function that builds the architecture.
        source: where the architecture's code comes from, for the docs.
        reference: the paper that defines it.
        min_size: smallest height and width the architecture accepts; smaller inputs
            are resized up inside the model.
        default_size: the size its ImageNet weights were trained at (and, for our own
            small-image designs, the size they are designed for).
        preprocessing: one of ``adaptation.PREPROCESSING_MODES``, what the family's
            ``preprocess_input`` does.
        imagenet_weights: whether ``weights="imagenet"`` is available.
        options_doc: docstring lines for family-specific keyword arguments.
    """

    name: str
    constructor_name: str
    backbone: Callable[..., keras.Model]
    source: str
    reference: str
    min_size: int
    default_size: int
    preprocessing: str
    imagenet_weights: bool
    options_doc: str = ""

    def __post_init__(self):
        if self.preprocessing not in PREPROCESSING_MODES:
            raise ValueError(
                f"Family {self.name}: preprocessing must be one of "
                f"{list(PREPROCESSING_MODES)}, got {self.preprocessing!r}"
            )


def family_of(name: str) -> Family:
    """The ``Family`` registered under ``name``; ValueError naming the choices otherwise."""
    if name not in FAMILIES:
        raise ValueError(f"unknown backbone {name!r}; choose one of {sorted(FAMILIES)}")
    return FAMILIES[name]


def min_input_size(name: str) -> int:
    """Smallest input height and width backbone ``name`` accepts (smaller is resized up)."""
    return family_of(name).min_size


# --------------------------------------------------------------------------- checks


def _resolve_input_shape(family: Family, input_shape, input_tensor) -> tuple[int, int, int]:
    if input_tensor is not None:
        if not keras.utils.is_keras_tensor(input_tensor):
            raise TypeError(
                f"{family.name}: input_tensor must be a symbolic Keras tensor such as "
                f"keras.Input(shape=(32, 32, 3)), got {type(input_tensor).__name__}"
            )
        tensor_shape = tuple(input_tensor.shape[1:])
        if input_shape is not None and tuple(input_shape) != tensor_shape:
            raise ValueError(
                f"{family.name}: input_shape={tuple(input_shape)} does not match "
                f"input_tensor of shape {tensor_shape}; pass input_shape=None or "
                f"input_shape={tensor_shape}"
            )
        input_shape = tensor_shape
    if input_shape is None:
        input_shape = DEFAULT_INPUT_SHAPE
    shape = tuple(input_shape)
    valid = (
        len(shape) == 3
        and all(
            isinstance(size, numbers.Integral) and not isinstance(size, bool) and size >= 1
            for size in shape[:2]
        )
        and shape[2] in (1, 3)
    )
    if not valid:
        raise ValueError(
            f"{family.name}: input_shape must be (height, width, channels) with known "
            f"height and width and 1 or 3 channels, got {shape!r}"
        )
    return tuple(int(size) for size in shape)


def _check_weights(family: Family, weights) -> str | None:
    if weights is None:
        return None
    if weights == "imagenet":
        if not family.imagenet_weights:
            raise ValueError(
                f"{family.name}: there are no ImageNet weights for {family.constructor_name} "
                "in neurn_keras; pass weights=None, or the path to a weights file for "
                "the backbone without its top"
            )
        return weights
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"{family.name}: weights file {path!r} does not exist; pass None, "
                "'imagenet' or the path to a weights file for the backbone without its top"
            )
        return path
    raise TypeError(
        f"{family.name}: weights must be None, 'imagenet' or a file path, got {weights!r}"
    )


# --------------------------------------------------------------------------- weights


def _is_download_failure(error: BaseException) -> bool:
    # keras.utils.get_file turns urllib errors into Exception("URL fetch failure on ...").
    if isinstance(error, (urllib.error.URLError, ConnectionError, TimeoutError)):
        return True
    return str(error).startswith("URL fetch failure")


def _download_error(family: Family, error: BaseException) -> WeightsDownloadError:
    match = re.search(r"https?://\S+?(?=:?\s|$)", str(error))
    url = match.group(0) if match else None
    file_name = url.rsplit("/", 1)[-1] if url else "its *_notop.h5 file"
    cache = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "models")
    return WeightsDownloadError(
        f"{family.name}: keras.applications.{family.constructor_name} could not download "
        f"its ImageNet weights{f' from {url}' if url else ''} (no network access?). "
        f"Fetch {file_name} on a machine that has access, then pass "
        f"weights='/path/to/{file_name}' (a weights file for the backbone without its "
        f"top, such as Keras's *_notop.h5), or copy it to {cache}, where Keras looks "
        "before downloading."
    )


def _call_backbone(family: Family, weights, **kwargs) -> keras.Model:
    try:
        return offline_guarded(family.backbone)(weights=weights, **kwargs)
    except Exception as error:
        if weights == "imagenet" and _is_download_failure(error):
            raise _download_error(family, error) from error
        raise


def transfer_weights(source: keras.Model, target: keras.Model, skip_layers=()) -> int:
    """Copies the weights of ``source``'s layers into ``target``'s, in topological order.

    Only layers that own weights take part, paired in order, as Keras does when it loads
    an ``.h5`` file by topology; ``target`` may have more of them (a classifier head
    that keeps its fresh initialization). Layers of ``target`` in ``skip_layers`` (e.g.
    a user's own layers in front of the backbone) are left out. Returns the number of
    layers copied.
    """
    skipped = {id(layer) for layer in skip_layers}
    sources = [layer for layer in source.layers if layer.weights]
    targets = [layer for layer in target.layers if layer.weights and id(layer) not in skipped]
    if len(sources) > len(targets):
        raise ValueError(
            f"transfer_weights: {source.name} has {len(sources)} layers with weights, "
            f"more than the {len(targets)} of {target.name}"
        )
    for src, dst in zip(sources, targets[: len(sources)], strict=True):
        src_shapes = [tuple(w.shape) for w in src.weights]
        dst_shapes = [tuple(w.shape) for w in dst.weights]
        if src_shapes != dst_shapes:
            raise ValueError(
                f"transfer_weights: layer {src.name} of {source.name} has weights of shapes "
                f"{src_shapes}, but the matching layer {dst.name} of {target.name} has "
                f"{dst_shapes}; the weights belong to another architecture"
            )
        dst.set_weights(src.get_weights())
    return len(sources)


# --------------------------------------------------------------------------- builder


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
    name: str | None = None,
    **options,
) -> keras.Model:
    """Builds ``family`` behind the input adaptation; see the constructors' docstring."""
    norm, neurn_kwargs = resolve_input_norm(neurn, input_norm)
    augment_layer = augmentation_layer(augment)
    shape = _resolve_input_shape(family, input_shape, input_tensor)
    weights = _check_weights(family, weights)
    if name is None:
        parts = [family.name, augment_layer and augment_layer.__class__.__name__.lower()]
        name = "_".join(p for p in [*parts, None if norm == "none" else norm] if p)

    pixels = input_tensor if input_tensor is not None else keras.Input(shape, name="pixels")
    adapted = adapt_inputs(
        pixels,
        min_size=family.min_size,
        preprocessing=family.preprocessing,
        neurn_kwargs=neurn_kwargs,
        input_norm=norm,
        augment=augment_layer,
    )
    backbone_shape = tuple(adapted.shape[1:])
    common = {"classifier_activation": classifier_activation, **options}
    full_imagenet_head = (
        weights == "imagenet"
        and classes == 1000
        and backbone_shape[:2] == (family.default_size, family.default_size)
    )
    if weights is None or not include_top or full_imagenet_head:
        model = _call_backbone(
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
    model = _call_backbone(
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
    donor = _call_backbone(
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
    input_norm: ``"neurn"``, ``"lcn"`` (``LocalContrastNormalization``, after which the
        backbone's preprocessing is skipped: its output is normalized already) or
        ``"none"``; None: as ``neurn`` says.
    augment: a training-only augmentation on the raw pixels, before the input
        normalization: ``"randconv"``, ``"prorandconv"``, or a dict such as
        ``{{"name": "randconv", "seed": 1}}`` with the layer's arguments (layer
        ``"augment"``). Identity at inference.
    name: model name; defaults to ``"{name}_neurn"``, ``"{name}"`` without NeuRN,
        ``"{name}_randconv_neurn"`` with an augmentation.
{options}
Returns:
    A ``keras.Model`` from raw pixels to class probabilities (or features).

Raises:
    WeightsDownloadError: ``weights="imagenet"`` and Keras cannot download them.
"""


def register_family(family: Family) -> Callable[..., keras.Model]:
    """Makes the public constructor of ``family`` and records it in the registries."""
    if family.name in FAMILIES:
        raise ValueError(f"backbone {family.name!r} is already registered")

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
            name=name,
            **options,
        )

    constructor.__name__ = constructor.__qualname__ = family.constructor_name
    constructor.__module__ = "neurn_keras.applications"
    constructor.__doc__ = _DOC.format(
        constructor=family.constructor_name,
        reference=family.reference,
        source=family.source,
        min_size=family.min_size,
        size_note=(
            f"ImageNet weights at {family.default_size}×{family.default_size}"
            if family.imagenet_weights
            else f"designed for {family.default_size}×{family.default_size}"
        ),
        preprocessing=PREPROCESSING_DESCRIPTIONS[family.preprocessing],
        imagenet=('``"imagenet"`` (downloaded by Keras), ' if family.imagenet_weights else ""),
        head_note=(
            f', except with ``"imagenet"``, ``classes=1000`` at '
            f"{family.default_size}×{family.default_size}"
            if family.imagenet_weights
            else '; there are no ``"imagenet"`` weights for it'
        ),
        name=family.name,
        options=family.options_doc,
    )
    constructor.family = family
    FAMILIES[family.name] = family
    BACKBONES[family.name] = constructor
    return constructor
