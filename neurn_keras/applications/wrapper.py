"""``with_neurn``: NeuRN in front of any Keras model that takes images.

The result takes raw 0..255 pixels, applies NeuRN, brings NeuRN's [0, 1] output into the
range the wrapped model was made for (``output_range``) and calls the model::

    model = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10)
    robust = with_neurn(model, output_range=keras.applications.mobilenet_v2.preprocess_input)

>>> import keras
>>> import numpy as np
>>> from neurn_keras.applications import with_neurn
>>> classifier = keras.Sequential(
...     [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)],
...     name="classifier",
... )
>>> model = with_neurn(classifier, output_range="[0, 1]")
>>> [layer.name for layer in model.layers]
['pixels', 'neurn', 'output_range', 'classifier']
>>> digits = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1), dtype=np.uint8)
>>> np.allclose(model.predict(digits, verbose=0), model.predict(255 - digits, verbose=0), atol=1e-4)
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import keras
from keras import ops

from neurn_keras.applications.adaptation import BackbonePreprocessing
from neurn_keras.errors import ArgumentError, InvalidTypeError, InvalidValueError, UnknownNameError
from neurn_keras.layer_options import DEFAULT_KERNEL_SIZE
from neurn_keras.layers import NeuRN
from neurn_keras.model_parts import NEURN_LAYER, has_neurn

OUTPUT_RANGES = {"0..255": "pixels", "[0, 1]": "unit", "[-1, 1]": "tf"}
"""``output_range`` names -> the ``BackbonePreprocessing`` mode that maps NeuRN's [0, 1] to them."""

_APPLICATION_FUNCTION = re.compile(r"keras\.applications\.([a-z0-9_]+)\.preprocess_input")


def _application_function_name(function: Callable) -> str | None:
    """``"keras.applications.<module>.preprocess_input"`` when ``function`` is one of those."""
    for module_name, module in sorted(vars(keras.applications).items()):
        if getattr(module, "preprocess_input", None) is function:
            return f"keras.applications.{module_name}.preprocess_input"
    return None


def _serialize_function(function: Callable) -> str:
    """A saveable name for ``function``: its ``keras.applications`` path or registered name."""
    name = _application_function_name(function)
    if name is not None:
        return name
    registered = keras.saving.get_registered_name(function)
    if keras.saving.get_registered_object(registered) is function:
        return registered
    raise InvalidValueError(
        f"with_neurn: output_range function {getattr(function, '__name__', function)!r} cannot "
        "be saved; decorate it with @keras.saving.register_keras_serializable(), pass a "
        "keras.applications.<model>.preprocess_input, or pass a keras.layers.Layer"
    )


def _deserialize_function(name: str) -> Callable:
    """The function :func:`_serialize_function` named (no other module is imported)."""
    match = _APPLICATION_FUNCTION.fullmatch(name)
    if match:
        module = getattr(keras.applications, match.group(1), None)
        function = getattr(module, "preprocess_input", None)
    else:
        function = keras.saving.get_registered_object(name)
    if function is None:
        raise UnknownNameError(
            f"PixelFunction: no function {name!r}; import the module that registers it "
            "with @keras.saving.register_keras_serializable() before loading the model"
        )
    return function


@keras.saving.register_keras_serializable(package="neurn_keras")
class PixelFunction(keras.layers.Layer):
    """A preprocessing function of 0..255 pixels as a layer that saves and loads.

    Args:
        function: a ``keras.applications.<model>.preprocess_input`` or a function
            registered with ``keras.saving.register_keras_serializable`` (or the name
            ``get_config`` wrote for one).
        **kwargs: base layer arguments.
    """

    def __init__(self, function: Callable | str, **kwargs):
        super().__init__(**kwargs)
        self.function = _deserialize_function(function) if isinstance(function, str) else function

    def call(self, inputs):
        return self.function(ops.cast(inputs, self.compute_dtype))

    def get_config(self):
        config = super().get_config()
        config["function"] = _serialize_function(self.function)
        return config


def output_range_layers(output_range) -> list[keras.layers.Layer]:
    """The layers that take NeuRN's [0, 1] output into ``output_range`` (see ``with_neurn``)."""
    if isinstance(output_range, str) and output_range in OUTPUT_RANGES:
        mode = OUTPUT_RANGES[output_range]
        return [BackbonePreprocessing(mode, input_max=1.0, name="output_range")]
    to_pixels = BackbonePreprocessing("pixels", input_max=1.0, name="neurn_to_pixels")
    if isinstance(output_range, keras.layers.Layer):
        return [to_pixels, output_range]
    if callable(output_range) and not isinstance(output_range, str):
        return [to_pixels, PixelFunction(output_range, name="preprocess")]
    raise ArgumentError(
        "output_range",
        output_range,
        f"choose one of {list(OUTPUT_RANGES)} or pass a preprocessing function or "
        "keras.layers.Layer of 0..255 pixels (such as "
        "keras.applications.mobilenet_v2.preprocess_input)",
    )


def model_input_shape(model: keras.Model, input_shape: Sequence | None) -> tuple:
    """``(height, width, channels)`` of the images ``model`` takes: its own input shape,
    else ``input_shape`` (a subclassed model has none); the two must agree."""
    try:
        known = model.input_shape
    except (AttributeError, ValueError):  # a subclassed or an unbuilt Sequential model
        known = None
    if isinstance(known, list):
        raise ArgumentError(
            "model", model.name, f"takes {len(known)} inputs; with_neurn wraps one image input"
        )
    if known is not None and input_shape is not None and tuple(known[1:]) != tuple(input_shape):
        raise ArgumentError(
            "input_shape",
            tuple(input_shape),
            f"model {model.name!r} takes inputs of shape {tuple(known[1:])}; "
            "drop `input_shape` or make it equal",
        )
    if known is None and input_shape is None:
        raise ArgumentError(
            "input_shape",
            None,
            f"model {model.name!r} has no input shape (a subclassed model, or a Sequential "
            "one without keras.Input); pass `input_shape`=(height, width, channels)",
        )
    shape = tuple(known[1:]) if known is not None else tuple(input_shape)
    if len(shape) != 3 or not isinstance(shape[-1], int) or shape[-1] < 1:
        raise ArgumentError(
            "input_shape",
            shape,
            "NeuRN needs images (height, width, channels) with a known channel count",
        )
    return shape


def with_neurn(
    model: keras.Model,
    *,
    kernel_size: int = DEFAULT_KERNEL_SIZE,
    padding: str = "reflect",
    method: str = "moments",
    output_range: str | Callable | keras.layers.Layer = "0..255",
    input_shape: Sequence | None = None,
    name: str | None = None,
) -> keras.Model:
    """A new model: raw 0..255 pixels -> NeuRN -> ``output_range`` -> ``model``.

    ``model`` (functional, Sequential or subclassed; any channel count) is called as it
    is, with its weights; nothing of it is copied. With reflect padding the new model
    gives the same output for an image and its inverse (255 - x), or any a·x + b.

    Args:
        model: a Keras model taking one batch of images, channels last.
        kernel_size, padding, method: NeuRN's arguments (``help(neurn_keras.NeuRN)``).
        output_range: the inputs ``model`` expects. ``"0..255"`` (pixels: NeuRN's output
            times 255; for a model that rescales inside itself), ``"[0, 1]"`` or
            ``"[-1, 1]"``; or a preprocessing function or ``keras.layers.Layer`` of
            0..255 pixels, fed NeuRN's output times 255 (e.g.
            ``keras.applications.mobilenet_v2.preprocess_input``). A function saves with
            the model when it is a ``keras.applications`` one or registered with
            ``keras.saving.register_keras_serializable``.
        input_shape: ``(height, width, channels)``, for a model without an input shape
            (a subclassed model); must match the model's own otherwise.
        name: the new model's name (default: ``<model name>_neurn``).

    Returns:
        A functional ``keras.Model`` with layers ``pixels``, ``neurn``, the range layer(s)
        and ``model``. It saves to ``.keras`` (a subclassed ``model`` must be registered
        with ``keras.saving.register_keras_serializable`` and implement ``get_config``).
    """
    if not isinstance(model, keras.Model):
        raise InvalidTypeError(
            f"with_neurn: model must be a keras.Model, got {type(model).__name__}; wrap a "
            "layer in keras.Sequential([keras.Input(shape), layer]) first"
        )
    if has_neurn(model):
        raise ArgumentError(
            "model", model.name, "already has a NeuRN layer; pass the model without NeuRN"
        )
    rescale = output_range_layers(output_range)
    shape = model_input_shape(model, input_shape)
    pixels = keras.Input(shape, name="pixels")
    x = NeuRN(kernel_size=kernel_size, padding=padding, method=method, name=NEURN_LAYER)(pixels)
    for layer in rescale:
        x = layer(x)
    return keras.Model(pixels, model(x), name=name or f"{model.name}_neurn")
