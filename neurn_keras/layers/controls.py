"""The one-line invariances NeuRN must beat: simple input normalizations, in ``keras.ops``.

NeuRN (σ of a k×k window over the image's largest σ, reflect padding) makes an image
look the same after x → a·x + b for any a ≠ 0: brightness, contrast and polarity
(255 − x) at once. Each layer here gives part of that, or the same by another route,
so that a comparison says which part does the work (``docs/neurn.md``):

- ``PerImageStandardization``: (x − mean) / std over the whole image: brightness and
  contrast (a > 0); an inverted image comes out negated.
- ``LuminanceMinMax``: the luminance, then (y − min) / (max − min) per image: brightness
  and contrast (a > 0) and colour (a grey image of the same luminance); an inverted
  image comes out as 1 − y.
- ``SobelMagnitude``: the Sobel gradient magnitude over the image's largest one:
  brightness, contrast and polarity, like NeuRN, from a fixed edge filter instead of a
  local standard deviation.
- ``LocalStd``: NeuRN's σ (k=3, reflect) of the pixels on [0, 1], without the division
  by the image's largest σ: brightness and polarity, not contrast.

Deterministic, active in training and inference alike, any input scale (raw pixels
0..255, any dtype), output in the layer's compute dtype (float32 by default).
"""

from __future__ import annotations

import keras
from keras import ops

from neurn_keras.errors import InvalidValueError
from neurn_keras.layer_options import PADDINGS, is_odd_size
from neurn_keras.layers.checks import check_choice, check_images, check_number, work_dtype
from neurn_keras.layers.local_std import (
    local_std_pooled,
    normalize_per_image,
    pad_spatial,
    standard_deviation,
)
from neurn_keras.layers.neurn import luminance

IMAGE_AXES = (1, 2, 3)
SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
"""The Sobel filter of the horizontal derivative (its transpose gives the vertical one)."""


def centred_on_range(x, axes=IMAGE_AXES):
    """``x`` minus the midpoint of each image's range: a constant image becomes exact
    zeros (not rounding noise that a division would blow up)."""
    low = ops.min(x, axis=axes, keepdims=True)
    high = ops.max(x, axis=axes, keepdims=True)
    return x - (low * 0.5 + high * 0.5)


def safe_divide(numerator, denominator):
    """numerator / denominator where the denominator is positive, else 0."""
    positive = denominator > 0
    return ops.where(positive, numerator / ops.where(positive, denominator, 1.0), 0.0)


class _ImageLayer(keras.layers.Layer):
    """A deterministic layer on (batch, H, W, C) images that keeps the shape."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._autocast = False  # integer and float inputs are cast in call()

    def build(self, input_shape):
        check_images(type(self).__name__, input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs):
        dtype = work_dtype(self.compute_dtype)
        return ops.cast(self.transform(ops.cast(inputs, dtype)), self.compute_dtype)

    def transform(self, x):
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="neurn_keras")
class PerImageStandardization(_ImageLayer):
    """(x − μ) / s, μ and s the mean and standard deviation of the whole image (all
    pixels and channels; ``tf.image.per_image_standardization`` without its floor).
    A constant image gives zeros. Invariant to x → a·x + b for a > 0.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype("uint8")
    >>> y = keras.ops.convert_to_numpy(PerImageStandardization()(x))
    >>> bool(abs(y.mean()) < 1e-5), bool(abs(y[0].std() - 1) < 1e-5)
    (True, True)
    """

    def transform(self, x):
        x = centred_on_range(x)
        centred = x - ops.mean(x, axis=IMAGE_AXES, keepdims=True)
        spread = standard_deviation(ops.mean(ops.square(centred), axis=IMAGE_AXES, keepdims=True))
        return safe_divide(centred, spread)


@keras.saving.register_keras_serializable(package="neurn_keras")
class LuminanceMinMax(_ImageLayer):
    """The luminance (ITU-R BT.601, as NeuRN's ``color="luminance"``), then scaled per
    image to [0, 1] by its minimum and maximum; repeated to the input's channel count so
    the backbone's input shape does not change. Needs 1 or 3 channels. A constant image
    gives zeros. Invariant to x → a·x + b for a > 0, and to colour at equal luminance.

    >>> import numpy as np
    >>> x = np.array([[[[0, 0, 0]], [[255, 255, 255]], [[255, 0, 0]]]], "uint8")  # 3×1
    >>> keras.ops.convert_to_numpy(LuminanceMinMax()(x))[0, :, 0, 0].round(3)
    array([0.   , 1.   , 0.299], dtype=float32)
    """

    def build(self, input_shape):
        if check_images("LuminanceMinMax", input_shape) not in (1, 3):
            raise InvalidValueError(
                f"LuminanceMinMax needs gray (1 channel) or RGB (3 channels) images, got "
                f"{input_shape[-1]} channels"
            )
        self.built = True

    def transform(self, x):
        channels = x.shape[-1]
        gray = luminance(x) if channels == 3 else x
        gray = centred_on_range(gray)
        low = ops.min(gray, axis=IMAGE_AXES, keepdims=True)
        high = ops.max(gray, axis=IMAGE_AXES, keepdims=True)
        return ops.repeat(safe_divide(gray - low, high - low), channels, axis=-1)


@keras.saving.register_keras_serializable(package="neurn_keras")
class SobelMagnitude(_ImageLayer):
    """√(Gx² + Gy²) of every channel (3×3 Sobel filters), over the largest value of the
    image (all pixels and channels), so each image lies in [0, 1]. A constant image
    gives zeros. With ``padding="reflect"`` invariant to x → a·x + b for any a ≠ 0
    (inversion included), as NeuRN is; with ``"zeros"`` to x → a·x only.

    Args:
        padding: ``"reflect"`` (mirror without repeating the edge pixel) or ``"zeros"``.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    >>> import numpy as np
    >>> x = np.zeros((1, 5, 5, 1), "uint8"); x[0, :, 3:] = 200  # a vertical edge
    >>> keras.ops.convert_to_numpy(SobelMagnitude()(x))[0, 2, :, 0]
    array([0., 0., 1., 1., 0.], dtype=float32)
    """

    def __init__(self, padding: str = "reflect", **kwargs):
        super().__init__(**kwargs)
        self.padding = check_choice("SobelMagnitude", "padding", padding, PADDINGS)

    def transform(self, x):
        channels = x.shape[-1]
        sobel_x = ops.convert_to_tensor(SOBEL_X, x.dtype)
        kernels = [ops.transpose(sobel_x), sobel_x]  # vertical, then horizontal derivative
        if self.padding == "reflect":  # exact zeros for a constant image; no effect else
            x = centred_on_range(x)
        padded = pad_spatial(x, 1, self.padding)
        squares = 0.0
        for kernel in kernels:
            weights = ops.broadcast_to(ops.reshape(kernel, (3, 3, 1, 1)), (3, 3, channels, 1))
            derivative = ops.depthwise_conv(padded, weights, padding="valid")
            squares = squares + ops.square(derivative)
        return normalize_per_image(standard_deviation(squares), "image")

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="neurn_keras")
class LocalStd(_ImageLayer):
    """NeuRN's numerator alone: σ of every k×k window (stride 1, per channel) of the
    pixels scaled by 1 / ``input_max`` (0..255 to [0, 1] by default), not divided by the
    image's largest σ, so the output lies in [0, 0.5] and scales with the contrast.
    With ``padding="reflect"`` invariant to x → x + b and to inversion (x → c − x).

    Args:
        kernel_size: odd window size k >= 1 (3, NeuRN's default).
        padding: ``"reflect"`` or ``"zeros"``.
        input_max: the value of a full-scale pixel in the input (255 for raw pixels).
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    >>> import numpy as np
    >>> x = np.zeros((1, 3, 3, 1), "uint8"); x[0, 1, 1] = 255  # one bright pixel
    >>> round(float(keras.ops.convert_to_numpy(LocalStd()(x))[0, 1, 1, 0]), 4)  # √8 / 9
    0.3143
    """

    def __init__(
        self, kernel_size: int = 3, padding: str = "reflect", input_max: float = 255.0, **kwargs
    ):
        super().__init__(**kwargs)
        if not is_odd_size(kernel_size):
            raise InvalidValueError(
                f"LocalStd: kernel_size must be an odd int >= 1, got {kernel_size!r}"
            )
        self.kernel_size = kernel_size
        self.padding = check_choice("LocalStd", "padding", padding, PADDINGS)
        self.input_max = check_number("LocalStd", "input_max", input_max, 1e-12, float("inf"))

    def transform(self, x):
        return local_std_pooled(x / self.input_max, self.kernel_size, self.padding)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "padding": self.padding,
            "input_max": self.input_max,
        }
