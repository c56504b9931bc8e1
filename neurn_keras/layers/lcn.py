"""Local contrast normalization (Jarrett, Kavukcuoglu, Ranzato, LeCun, ICCV 2009)."""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from neurn_keras.errors import InvalidValueError
from neurn_keras.layer_options import PADDINGS, is_odd_size
from neurn_keras.layers.local_std import pad_spatial

FLOOR = 1e-12  # keeps 0/0 out of an image that is constant after centring (output 0)


def _fail(name: str, allowed: str, value):
    raise InvalidValueError(f"LocalContrastNormalization: {name} must be {allowed}, got {value!r}")


def gaussian_window(sigma: float, kernel_size: int) -> np.ndarray:
    """The 1-D Gaussian profile exp(−i²/(2σ²)), i from the centre, summing to 1."""
    distance = np.arange(kernel_size) - kernel_size // 2
    profile = np.exp(-(distance**2) / (2.0 * sigma**2))
    return profile / profile.sum()


def default_kernel_size(sigma: float) -> int:
    """2·⌈2σ⌉ + 1: 9 for σ = 2, Jarrett et al.'s 9×9."""
    return 2 * math.ceil(2 * sigma) + 1


@keras.saving.register_keras_serializable(package="neurn_keras")
class LocalContrastNormalization(keras.layers.Layer):
    """Subtractive, then divisive local normalization with a Gaussian window.

    With w the k×k Gaussian window of std ``sigma``, normalized to sum 1 (over the
    window and, with ``across_channels``, over the C channels: weight w/C each):

    - subtractive: v = x − Σ w·x, the weighted mean of the window (and channels)
      subtracted from every channel;
    - divisive: y = v / max(c, s), s = sqrt(Σ w·v²) the weighted local standard
      deviation and c the mean of s over the image (per image; per image and channel
      when not ``across_channels``).

    Deterministic and active in training and inference alike (not an augmentation).

    Values: any input scale (raw pixels 0..255, any dtype). The output is unitless,
    locally zero-mean, mostly within ±3, and bounded: |y| ≤ √C / w₀ across channels and
    |y| ≤ 1 / w₀ per channel, w₀ the centre of the normalized 1-D window (w₀ ≈ 0.204 at
    σ = 2: |y| ≤ 8.5 for RGB). It is invariant to x → a·x for a > 0 (and turns sign
    for a < 0); with ``padding="reflect"`` also to x → a·x + b, b shared by the channels
    across channels, per channel otherwise. Zeros read outside the image make a
    brightness shift into edges at the border, as in NeuRN. A constant image gives 0.

    Args:
        sigma: std of the Gaussian window in pixels (> 0).
        kernel_size: odd window size; None gives 2·⌈2σ⌉ + 1 (9×9 at the default σ = 2,
            the window of Jarrett et al.).
        across_channels: pool the means and deviations over the channels as well
            (Jarrett et al.), or normalize every channel on its own.
        padding: ``"reflect"`` (mirror without repeating the edge pixel) or ``"zeros"``.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, H, W, C)``, channels last, C known; H and W may be ``None``.
    Output shape: the same, in the layer's compute dtype (float32 by default).

    >>> import numpy as np
    >>> x = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3)).astype("uint8")
    >>> layer = LocalContrastNormalization()
    >>> y = keras.ops.convert_to_numpy(layer(x))
    >>> y2 = keras.ops.convert_to_numpy(layer(0.5 * x.astype("float32") + 40))
    >>> y.shape, y.dtype, bool(np.allclose(y, y2, atol=1e-4))
    ((2, 16, 16, 3), dtype('float32'), True)
    """

    def __init__(
        self,
        sigma: float = 2.0,
        kernel_size: int | None = None,
        across_channels: bool = True,
        padding: str = "reflect",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not sigma > 0:
            _fail("sigma", "a number > 0", sigma)
        if kernel_size is not None and not is_odd_size(kernel_size):
            _fail("kernel_size", "an odd int >= 1 or None", kernel_size)
        if not isinstance(across_channels, bool):
            _fail("across_channels", "True or False", across_channels)
        if padding not in PADDINGS:
            _fail("padding", f"one of {list(PADDINGS)}", padding)
        self.sigma = float(sigma)
        self.kernel_size = kernel_size
        self.across_channels = across_channels
        self.padding = padding
        self.window = gaussian_window(self.sigma, kernel_size or default_kernel_size(sigma))
        self._autocast = False  # integer and float inputs are cast in call()

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise InvalidValueError(
                "LocalContrastNormalization expects images (batch, height, width, channels), "
                f"got an input of shape {tuple(input_shape)}"
            )
        if input_shape[-1] is None:
            raise InvalidValueError(
                "LocalContrastNormalization: the channel dimension must be known"
            )
        self.built = True

    def _local_mean(self, x):
        """Σ w·x over the window (and over the channels, with ``across_channels``)."""
        if self.across_channels:
            x = ops.mean(x, axis=-1, keepdims=True)
        channels = x.shape[-1]
        size = len(self.window)
        window = ops.convert_to_tensor(self.window, x.dtype)
        x = pad_spatial(x, size // 2, self.padding)
        rows = ops.broadcast_to(ops.reshape(window, (size, 1, 1, 1)), (size, 1, channels, 1))
        cols = ops.broadcast_to(ops.reshape(window, (1, size, 1, 1)), (1, size, channels, 1))
        x = ops.depthwise_conv(x, rows, padding="valid", data_format="channels_last")
        return ops.depthwise_conv(x, cols, padding="valid", data_format="channels_last")

    def call(self, inputs):
        dtype = "float64" if self.compute_dtype == "float64" else "float32"
        x = ops.cast(inputs, dtype)
        if self.padding == "reflect":
            # The result does not depend on a shift here; centring on the midpoint of the
            # range makes a constant image exactly 0 (not rounding noise scaled up to 1).
            axes = (1, 2, 3) if self.across_channels else (1, 2)
            low = ops.min(x, axis=axes, keepdims=True)
            high = ops.max(x, axis=axes, keepdims=True)
            x = x - (low + 0.5 * (high - low))
        centred = x - self._local_mean(x)
        deviation = ops.sqrt(self._local_mean(ops.square(centred)))
        mean_deviation = ops.mean(deviation, axis=(1, 2), keepdims=True)
        floor = ops.maximum(ops.maximum(deviation, mean_deviation), FLOOR)
        return ops.cast(centred / floor, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sigma": self.sigma,
                "kernel_size": self.kernel_size,
                "across_channels": self.across_channels,
                "padding": self.padding,
            }
        )
        return config
