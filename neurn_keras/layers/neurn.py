"""NeuRN: Neural Response Normalization (Qazi, Jalil, Iqbal 2025, arXiv 2505.06886)."""

from __future__ import annotations

import keras
from keras import ops

from neurn_keras.errors import InvalidValueError
from neurn_keras.layer_options import (
    BLOCKINGS,
    COLORS,
    LUMINANCE_WEIGHTS,
    NEURN_DEFAULTS,
    NORMALIZE_OVER,
    PADDINGS,
    NeuRNOptions,
    is_odd_size,
)
from neurn_keras.layers.local_std import (
    BLOCK_BYTES,
    WHOLE_BATCH,
    neurn_moments,
    neurn_moments_pooled,
    normalize_per_image,
)
from neurn_keras.layers.placement import batch_path

METHODS = ("moments", "patches")


def _check_choice(name: str, value, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidValueError(f"NeuRN: {name} must be one of {list(allowed)}, got {value!r}")
    return value


def _check_kernel_size(value) -> int:
    if not is_odd_size(value):
        raise InvalidValueError(f"NeuRN: kernel_size must be an odd int >= 1, got {value!r}")
    return value


def luminance(x):
    """(batch, H, W, 3) RGB to (batch, H, W, 1) luma, ``LUMINANCE_WEIGHTS`` (ITU-R BT.601)."""
    red, green, blue = LUMINANCE_WEIGHTS
    return x[..., 0:1] * red + x[..., 1:2] * green + x[..., 2:3] * blue


@keras.saving.register_keras_serializable(package="neurn_keras")
class NeuRN(keras.layers.Layer):
    """Neural Response Normalization: local standard deviation over its image maximum.

    For image b, pixel (i, j) and channel c, σ[b, i, j, c] is the population standard
    deviation (divided by k²) of the k×k window centred on (i, j) in channel c, stride 1.
    The output is σ / c_b, where c_b is the largest σ of image b over all pixels and
    channels, so every image's output lies in [0, 1] and reaches 1. A constant image
    (c_b = 0) gives zeros. Images are normalized independently: a NaN or Inf in one
    image does not reach the others.

    Put it in front of a backbone, on raw pixels (0..255, any dtype). The output does
    not depend on the image's brightness or contrast: with ``padding="reflect"`` it is
    invariant to x → a·x + b (a ≠ 0), with ``padding="zeros"`` to x → a·x only, because
    zeros read outside the image turn a brightness shift into artificial edges at the
    border. That is why reflect is the default, although ``tf.image.extract_patches``
    with ``padding="SAME"`` (zeros) is what the original setup most likely used.

    Args:
        kernel_size: odd window size k >= 1 (k = 1 gives zeros). The paper does not fix
            k; our default, 3, was chosen over 5 on digits by an exploratory comparison
            (``docs/results/neurn_ablations.md``; it was 5 before 0.2.0), which the
            confirmatory test of ``docs/results/invariance_plan.md`` decides.
        method: ``"moments"`` (box-filter moments E[x²] − E[x]² with ``keras.ops``, fast,
            every backend, error below 2e-3 on 0..255 images; compiled by XLA on
            TensorFlow, also inside a graph-mode model or a ``tf.data`` map, and by
            ``jax.jit`` on JAX; average pooling op by op on PyTorch) or ``"patches"``
            (``tf.image.extract_patches`` and an exact standard deviation; TensorFlow
            backend only, k² times the memory).
        padding: ``"reflect"`` (mirror without repeating the edge pixel, numpy
            ``reflect``) or ``"zeros"``.
        normalize_over: what the maximum c is taken over: ``"image"`` (all pixels and
            channels of the image, the paper) or ``"channel"`` (each channel of the
            image on its own, so every non-constant channel reaches 1 and a constant
            channel gives zeros). The invariances above hold per channel.
        color: ``"rgb"`` (σ of every input channel on its own, the paper) or
            ``"luminance"`` (σ of one luma channel, 0.299·R + 0.587·G + 0.114·B, ITU-R
            BT.601, repeated to 3 output channels so that the backbone's input shape
            does not change). Needs 1 or 3 channels; on 1 channel both give the same.
        blocking: how the moments path walks the batch: ``"auto"`` (by the device the
            layer runs on: blocks of images sized for the cache on a CPU, the whole batch
            at once on a GPU or TPU; always the whole batch on PyTorch; see
            ``neurn_keras.layers.placement``), ``"cache"`` or ``"whole"`` (that path on
            any device). Every path gives the same output up to float rounding; only
            the speed differs. ``method="moments"`` only. NeuRN has a finite gradient
            everywhere (flat windows included), but on TensorFlow the cache-blocked path
            has none: a NeuRN behind trainable layers (inside a network) takes
            ``"whole"`` there.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, H, W, C)``, channels last; H and W may be ``None``.
    Output shape: the same, in the layer's compute dtype (float32 by default).
    The statistics are always computed in at least float32.

    >>> import keras
    >>> import numpy as np
    >>> from neurn_keras import NeuRN
    >>> images = np.zeros((1, 4, 4, 1), np.uint8)
    >>> images[0, 1:3, 1:3] = 255  # a bright square on black
    >>> out = keras.ops.convert_to_numpy(NeuRN(kernel_size=3, padding="zeros")(images))
    >>> out.shape, float(out.max())
    ((1, 4, 4, 1), 1.0)
    >>> out[0, :, :, 0].round(2)
    array([[0.63, 0.84, 0.84, 0.63],
           [0.84, 1.  , 1.  , 0.84],
           [0.84, 1.  , 1.  , 0.84],
           [0.63, 0.84, 0.84, 0.63]], dtype=float32)
    >>> dimmer = images // 255 * 100 + 20  # x -> a·x + b
    >>> a, b = (keras.ops.convert_to_numpy(NeuRN(3)(x)) for x in (images, dimmer))
    >>> bool(np.abs(a - b).max() < 2e-3)  # reflect padding: the same output
    True
    """

    def __init__(
        self,
        kernel_size: int = NEURN_DEFAULTS.kernel_size,
        method: str = "moments",
        padding: str = NEURN_DEFAULTS.padding,
        normalize_over: str = NEURN_DEFAULTS.normalize_over,
        color: str = NEURN_DEFAULTS.color,
        blocking: str = "auto",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_size = _check_kernel_size(kernel_size)
        self.method = _check_choice("method", method, METHODS)
        self.padding = _check_choice("padding", padding, PADDINGS)
        self.normalize_over = _check_choice("normalize_over", normalize_over, NORMALIZE_OVER)
        self.color = _check_choice("color", color, COLORS)
        self.blocking = _check_choice("blocking", blocking, BLOCKINGS)
        if method == "patches" and blocking != "auto":
            raise InvalidValueError(
                f"NeuRN: blocking={blocking!r} chooses a path of method='moments'; "
                "method='patches' has none. Leave blocking='auto' or use method='moments'."
            )
        if method == "patches" and keras.backend.backend() != "tensorflow":
            raise InvalidValueError(
                "NeuRN: method='patches' uses tf.image.extract_patches and needs the "
                f"TensorFlow backend; the Keras backend is {keras.backend.backend()!r}. "
                "Use method='moments', which runs on every backend."
            )
        self.supports_masking = False
        self._autocast = False  # integer and float inputs are cast in call()

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise InvalidValueError(
                "NeuRN expects images (batch, height, width, channels), "
                f"got an input of shape {tuple(input_shape)}"
            )
        if input_shape[-1] is None:
            raise InvalidValueError("NeuRN: the channel dimension must be known, got None")
        if self.color == "luminance" and input_shape[-1] not in (1, 3):
            raise InvalidValueError(
                "NeuRN: color='luminance' needs RGB (3 channels) or gray (1 channel) "
                f"images, got {input_shape[-1]} channels. Use color='rgb', which takes "
                "every channel on its own."
            )
        self.built = True

    def call(self, inputs):
        work_dtype = "float64" if self.compute_dtype == "float64" else "float32"
        out_dtype = self.compute_dtype
        channels = inputs.shape[-1]
        if self.color == "luminance" and channels == 3:
            gray = luminance(ops.cast(inputs, work_dtype))
            return ops.repeat(self._normalized(gray, work_dtype, out_dtype), channels, axis=-1)
        return self._normalized(inputs, work_dtype, out_dtype)

    def _normalized(self, inputs, work_dtype: str, out_dtype: str):
        """σ / c of ``inputs`` by the layer's method and the batch path for its device."""
        backend = keras.backend.backend()
        if self.method == "patches":
            from neurn_keras.layers.local_std_tf import local_std_patches

            sigma = local_std_patches(ops.cast(inputs, work_dtype), self.kernel_size, self.padding)
            return ops.cast(normalize_per_image(sigma, self.normalize_over), out_dtype)
        path = batch_path(self.blocking, inputs)
        block_bytes = BLOCK_BYTES if path == "cache" else WHOLE_BATCH
        if backend == "tensorflow":
            from neurn_keras.layers.local_std_tf import compiled_neurn_moments

            return compiled_neurn_moments(
                inputs,
                self.kernel_size,
                self.padding,
                work_dtype,
                out_dtype,
                self.normalize_over,
                block_bytes,
            )
        if backend == "jax":
            from neurn_keras.layers.local_std_jax import compiled_neurn_moments

            run = compiled_neurn_moments(
                self.kernel_size,
                self.padding,
                work_dtype,
                out_dtype,
                self.normalize_over,
                block_bytes,
            )
            return run(inputs)
        inputs = ops.cast(inputs, work_dtype)
        if path == "cache":
            out = neurn_moments(
                inputs,
                self.kernel_size,
                self.padding,
                dtype=work_dtype,
                block_bytes=block_bytes,
                normalize_over=self.normalize_over,
            )
            return ops.cast(out, out_dtype)
        # PyTorch runs op by op: pooling, a few library calls over the whole batch
        sigma_over_peak = neurn_moments_pooled(
            inputs, self.kernel_size, self.padding, self.normalize_over
        )
        return ops.cast(sigma_over_peak, out_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    @property
    def options(self) -> NeuRNOptions:
        """What the layer computes (``layer_options.NeuRNOptions``)."""
        return NeuRNOptions(**{f.name: getattr(self, f.name) for f in NeuRNOptions.fields()})

    def get_config(self):
        config = super().get_config()
        config.update({**self.options.as_dict(), "method": self.method, "blocking": self.blocking})
        return config
