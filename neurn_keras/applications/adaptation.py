"""Input adaptation inside the model: raw pixels in, what the backbone expects out.

The chain, in this order (each step only where it applies):

1. ``GrayToRGB``: 1 channel to 3, for backbones that take RGB.
2. ``keras.layers.Resizing`` (bilinear): up to the backbone's minimum input size.
3. An augmentation (named ``"augment"``: ``RandConv``, ``ProRandConv``,
   ``PolarityInversion``), in training only, on raw pixels, returning raw-pixel-scale
   values.
4. The input normalization (``layer_options.INPUT_NORMS``): ``NeuRN`` (named
   ``"neurn"``, output in [0, 1]), ``LocalContrastNormalization`` (named ``"lcn"``,
   zero-mean, unit-scale output) or one of the controls of ``layers.controls`` (named
   after its ``input_norm``). With ``augment_after_norm``, steps 3 and 4 swap: NeuRN's
   output, scaled to 0..255 (``"neurn_to_pixels"``), is what the augmentation draws on.
5. ``BackbonePreprocessing``: the backbone's own preprocessing, told whether its input
   is on a [0, 1] scale (NeuRN's output, a control's of ``output="unit"``) or raw 0..255
   pixels. After a normalization whose output is already normalized (LCN,
   per-image standardization), there is none.

Every step is linear in the pixels or invariant to x -> 255 - x, so a model with NeuRN
(reflect padding) gives the same output for an image and its inverse.
"""

from __future__ import annotations

from collections.abc import Mapping

import keras
from keras import ops

from neurn_keras import layers as image_layers
from neurn_keras.errors import InvalidTypeError, InvalidValueError
from neurn_keras.layer_options import AUGMENTS, INPUT_NORMS
from neurn_keras.layers import NeuRN

PREPROCESSING_MODES = ("caffe", "tf", "torch", "unit", "pixels")
"""What each mode does to 0..255 pixels.

``caffe``, ``tf``, ``torch``: ``keras.applications.imagenet_utils.preprocess_input``
with that mode (BGR minus the ImageNet mean; [-1, 1]; [0, 1] then ImageNet mean and std).
``unit``: [0, 1]. ``pixels``: unchanged 0..255 (EfficientNet normalizes inside itself).
"""

PREPROCESSING_DESCRIPTIONS = {
    "caffe": "RGB→BGR, minus the ImageNet mean",
    "tf": "scaled to [-1, 1]",
    "torch": "[0, 1], ImageNet mean and std",
    "unit": "scaled to [0, 1]",
    "pixels": "0..255 (the backbone rescales and normalizes inside itself)",
}


@keras.saving.register_keras_serializable(package="neurn_keras")
class GrayToRGB(keras.layers.Layer):
    """Repeats a single channel three times: (batch, H, W, 1) -> (batch, H, W, 3)."""

    def build(self, input_shape):
        if input_shape[-1] != 1:
            raise InvalidValueError(
                f"GrayToRGB expects 1 channel, got an input of shape {tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs):
        return ops.repeat(inputs, 3, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], 3)


@keras.saving.register_keras_serializable(package="neurn_keras")
class BackbonePreprocessing(keras.layers.Layer):
    """A backbone's own input preprocessing, fed raw pixels or NeuRN's output.

    The input is first rescaled from [0, ``input_max``] to 0..255, the range every
    ``keras.applications`` ``preprocess_input`` expects; then ``mode`` is applied (see
    ``PREPROCESSING_MODES``). ``input_max=255`` for raw pixels, ``1`` after NeuRN.

    Args:
        mode: one of ``"caffe"``, ``"tf"``, ``"torch"``, ``"unit"``, ``"pixels"``.
        input_max: the value that stands for a full-scale pixel in the input.
        **kwargs: base layer arguments.
    """

    def __init__(self, mode: str, input_max: float = 255.0, **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise InvalidValueError(
                f"BackbonePreprocessing: mode must be one of {list(PREPROCESSING_MODES)}, "
                f"got {mode!r}"
            )
        if not isinstance(input_max, (int, float)) or not input_max > 0:
            raise InvalidValueError(
                f"BackbonePreprocessing: input_max must be a positive number, got {input_max!r}"
            )
        self.mode = mode
        self.input_max = float(input_max)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype) * (255.0 / self.input_max)
        if self.mode == "unit":
            return x / 255.0
        if self.mode == "pixels":
            return x
        return keras.applications.imagenet_utils.preprocess_input(
            x, data_format="channels_last", mode=self.mode
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"mode": self.mode, "input_max": self.input_max})
        return config


AUGMENTATIONS = {
    name: getattr(image_layers, stage.layer) for name, stage in AUGMENTS.items() if stage.layer
}
"""The augmentation layers by ``augment`` name (``layer_options.AUGMENTS``)."""
NORMALIZATIONS = {
    name: getattr(image_layers, stage.layer)
    for name, stage in INPUT_NORMS.items()
    if stage.layer and name != "neurn"
}
"""The input normalizations other than NeuRN, by ``input_norm`` name
(``layer_options.INPUT_NORMS``)."""


def neurn_arguments(neurn) -> dict | None:
    """Normalizes the ``neurn`` argument: ``None`` for no NeuRN, else NeuRN's kwargs."""
    if neurn is None:
        return {}
    if isinstance(neurn, bool):
        return {} if neurn else None
    if isinstance(neurn, Mapping):
        if "name" in neurn:
            raise InvalidValueError(
                "neurn: the NeuRN layer is always named 'neurn'; remove 'name' from "
                f"neurn={dict(neurn)!r}"
            )
        return dict(neurn)
    raise InvalidTypeError(
        "neurn must be True, False or a dict of NeuRN arguments such as "
        f"{{'kernel_size': 7, 'padding': 'zeros'}}, got {neurn!r}"
    )


def resolve_input_norm(neurn, input_norm: str | None) -> tuple[str, dict | None]:
    """The input normalization from the ``neurn`` and ``input_norm`` arguments.

    ``neurn=None`` (the default) means NeuRN unless ``input_norm`` says otherwise; an
    explicit ``neurn`` that contradicts ``input_norm`` is an error. Returns the
    normalization's name and NeuRN's kwargs (None without NeuRN).
    """
    if input_norm is None:
        kwargs = neurn_arguments(neurn)
        return ("neurn" if kwargs is not None else "none"), kwargs
    if input_norm not in INPUT_NORMS:
        raise InvalidValueError(
            f"input_norm must be one of {list(INPUT_NORMS)}, got {input_norm!r}"
        )
    if input_norm == "neurn":
        if neurn is False:
            raise InvalidValueError("neurn=False contradicts input_norm='neurn'; pass only one")
        return "neurn", neurn_arguments(neurn)
    if neurn not in (None, False):
        raise InvalidValueError(
            f"neurn={neurn!r} contradicts input_norm={input_norm!r}; pass only one"
        )
    return input_norm, None


def augmentation_name(augment) -> str:
    """The ``augment`` argument's name (``"none"`` for None)."""
    if augment is None:
        return "none"
    return augment if isinstance(augment, str) else str(dict(augment).get("name"))


def augmentation_layer(augment) -> keras.layers.Layer | None:
    """The layer of the ``augment`` argument: None, a name, or ``{"name": ..., **kwargs}``."""
    if augment is None or augment == "none":
        return None
    if isinstance(augment, str):
        augment = {"name": augment}
    if not isinstance(augment, Mapping) or augment.get("name") not in AUGMENTATIONS:
        raise InvalidValueError(
            f"augment must be None, one of {list(AUGMENTATIONS)} or a dict with 'name' "
            f"one of them and the layer's arguments, got {augment!r}"
        )
    kwargs = {key: value for key, value in augment.items() if key != "name"}
    return AUGMENTATIONS[augment["name"]](name="augment", **kwargs)


def adapted_size(height: int, width: int, min_size: int) -> tuple[int, int]:
    """Each spatial side below ``min_size`` is raised to it; larger sides are kept."""
    return max(height, min_size), max(width, min_size)


def adapt_inputs(
    pixels,
    *,
    min_size: int,
    preprocessing: str,
    neurn_kwargs: dict | None,
    input_norm: str = "neurn",
    augment: keras.layers.Layer | None = None,
    augment_after_norm: bool = False,
):
    """Applies the adaptation chain to a symbolic (batch, H, W, 1 or 3) tensor of pixels.

    ``input_norm`` is ``"neurn"`` (with ``neurn_kwargs``), ``"none"`` or another name of
    ``layer_options.INPUT_NORMS`` (a layer named after it);
    ``augment_after_norm`` (NeuRN and an augmentation only) puts the augmentation after
    NeuRN instead of on the raw pixels.
    Returns the tensor to feed the backbone, of shape (batch, H', W', 3).
    """
    if augment_after_norm and (augment is None or neurn_kwargs is None):
        raise InvalidValueError(
            "augment_after_norm needs an augmentation and NeuRN: LCN's output has no "
            "pixel scale for the augmentation to read, and without either the order is moot"
        )
    x = pixels
    if x.shape[-1] == 1:
        x = GrayToRGB(name="gray_to_rgb")(x)
    height, width = x.shape[1], x.shape[2]
    target = adapted_size(height, width, min_size)
    if target != (height, width):
        x = keras.layers.Resizing(*target, interpolation="bilinear", name="resize")(x)
    if augment is not None and not augment_after_norm:
        x = augment(x)
    if input_norm in NORMALIZATIONS:
        x = NORMALIZATIONS[input_norm](name=input_norm)(x)
        if INPUT_NORMS[input_norm].output == "normalized":
            return x
        return BackbonePreprocessing(preprocessing, input_max=1.0, name="preprocess")(x)
    if neurn_kwargs is not None:
        x = NeuRN(name="neurn", **neurn_kwargs)(x)
        if augment_after_norm:
            x = augment(keras.layers.Rescaling(255.0, name="neurn_to_pixels")(x))
            return BackbonePreprocessing(preprocessing, input_max=255.0, name="preprocess")(x)
    input_max = 255.0 if neurn_kwargs is None else 1.0
    return BackbonePreprocessing(preprocessing, input_max=input_max, name="preprocess")(x)
