"""RandConv: random-convolution augmentation (Xu, Liu, Yang, Raffel, Niethammer, ICLR 2021).

Also the pixel scaling that the augmentation layers share.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

from neurn_keras.errors import InvalidValueError
from neurn_keras.layer_options import PADDINGS
from neurn_keras.layers.checks import (
    check_bool,
    check_choice,
    check_images,
    check_number,
    check_seed,
    work_dtype,
)
from neurn_keras.layers.local_std import pad_spatial

__all__ = ["KERNEL_SIZES", "RandConv", "to_pixel_range", "to_unit_range"]

KERNEL_SIZES = (1, 3, 5, 7)
HALF_RANGE = 127.5  # pixels 0..255 <-> [-1, 1]: the original's whitening (mean 0.5, std 0.5)


def to_unit_range(pixels):
    """Maps raw pixels 0..255 to [-1, 1]."""
    return pixels / HALF_RANGE - 1.0


def to_pixel_range(unit):
    """Maps [-1, 1] back to 0..255 (the inverse of ``to_unit_range``)."""
    return (unit + 1.0) * HALF_RANGE


def _check_kernel_sizes(value) -> tuple[int, ...]:
    sizes = tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else ()
    if not sizes or not all(
        isinstance(k, int) and not isinstance(k, bool) and k >= 1 and k % 2 for k in sizes
    ):
        raise InvalidValueError(
            f"RandConv: kernel_sizes must be a non-empty list of odd ints >= 1, got {value!r}"
        )
    return sizes


@keras.saving.register_keras_serializable(package="neurn_keras")
class RandConv(keras.layers.Layer):
    """RandConv: the image convolved with a random kernel, a new kernel per batch.

    In training, per call (per batch, shared by its images): a kernel size k drawn
    uniformly from ``kernel_sizes``, a k×k kernel C → C with weights from
    N(0, 1/(k²·C)) (Kaiming normal, fan-in, as the original ``kaiming_normal``), no bias;
    with ``mixing``, α ~ U(0, 1) and the output α·conv(x) + (1 − α)·x; and, with
    probability ``identity_prob``, the batch passed on unchanged instead. At inference
    (``training`` falsy) the layer is the identity, so saved models predict
    deterministically. Calling it twice in training gives two independent draws (what a
    consistency loss over several augmentations needs).

    Values: takes raw pixels (0..255, any dtype) and returns floats on the same scale.
    The convolution and the mixing work on x/127.5 − 1 ∈ [−1, 1] (the original's
    digit whitening, mean 0.5 and std 0.5) and the result is mapped back by
    (y + 1)·127.5. The convolved image has about the spread of the input, but it is not
    bounded: values outside 0..255 (negative ones included) are normal, as in the
    original, whose network saw them. ``clip=True`` clamps the output to [0, 255]
    (the original's ``clamp_output``).

    Any kernel size under jit: the kernel is always drawn as K×K, K = max(kernel_sizes),
    and everything outside the central k×k is zeroed (with the std of size k), so the
    shapes do not depend on the draw. Zero padding by K//2 around a kernel that is zero
    outside k×k is exactly zero padding by k//2, and the same holds for reflection.

    Args:
        kernel_sizes: odd sizes to draw k from, uniformly; (1, 3, 5, 7) as in the paper.
        mixing: mix the convolved image with the input, α ~ U(0, 1) per batch (the
            paper's RC_mix); False gives the convolved image alone (RC_img).
        identity_prob: probability that a batch passes unchanged. The defaults (0.5 and
            mixing) follow our issue; the paper's two variants are RC_img
            (``mixing=False, identity_prob=0.5``) and RC_mix (``mixing=True,
            identity_prob=0.0``).
        clip: clamp the output to [0, 255].
        padding: ``"zeros"`` (the original's, in the [−1, 1] scale: mid-grey around the
            image) or ``"reflect"`` (no artificial edges at the border).
        seed: seed of the layer's ``keras.random.SeedGenerator``; the same seed gives
            the same sequence of draws.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, H, W, C)``, channels last, C known; H and W may be ``None``.
    Output shape: the same, in the layer's compute dtype (float32 by default).

    >>> import numpy as np
    >>> layer = RandConv(identity_prob=0.0, seed=1)
    >>> x = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype("uint8")
    >>> bool(np.array_equal(layer(x), x.astype("float32")))  # inference: identity
    True
    >>> augmented = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> augmented.shape, augmented.dtype, bool(np.array_equal(augmented, x))
    ((2, 8, 8, 3), dtype('float32'), False)
    """

    def __init__(
        self,
        kernel_sizes: Sequence[int] = KERNEL_SIZES,
        mixing: bool = True,
        identity_prob: float = 0.5,
        clip: bool = False,
        padding: str = "zeros",
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.kernel_sizes = _check_kernel_sizes(kernel_sizes)
        self.mixing = check_bool("RandConv", "mixing", mixing)
        self.identity_prob = check_number("RandConv", "identity_prob", identity_prob, 0, 1)
        self.clip = check_bool("RandConv", "clip", clip)
        self.padding = check_choice("RandConv", "padding", padding, PADDINGS)
        self.seed = check_seed("RandConv", seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._autocast = False  # integer and float inputs are cast in call()

    def build(self, input_shape):
        self.channels = check_images("RandConv", input_shape)
        self.built = True

    def draw_kernel(self, channels: int, dtype: str = "float32"):
        """One draw: a (K, K, C, C) kernel, zero outside the central k×k, and k.

        The draws of ``call`` (this kernel first, then α, then the identity coin), so a
        layer with the same seed reproduces them.
        """
        count = len(self.kernel_sizes)
        index = keras.random.randint((), 0, count, seed=self.seed_generator)
        size = ops.take(ops.convert_to_tensor(self.kernel_sizes, "int32"), index)
        full = max(self.kernel_sizes)
        inside = ops.cast(ops.abs(ops.arange(full) - full // 2) <= size // 2, dtype)
        std = ops.rsqrt(ops.cast(size * size * channels, dtype))
        window = inside[:, None, None, None] * inside[None, :, None, None] * std
        weights = keras.random.normal(
            (full, full, channels, channels), dtype=dtype, seed=self.seed_generator
        )
        return weights * window, size

    def call(self, inputs, training=None):
        dtype = work_dtype(self.compute_dtype)
        x = ops.cast(inputs, dtype)
        if not training:
            return ops.cast(x, self.compute_dtype)
        kernel, _ = self.draw_kernel(x.shape[-1], dtype)
        unit = to_unit_range(x)
        padded = pad_spatial(unit, max(self.kernel_sizes) // 2, self.padding)
        out = ops.conv(padded, kernel, padding="valid", data_format="channels_last")
        if self.mixing:
            alpha = keras.random.uniform((), dtype=dtype, seed=self.seed_generator)
            out = alpha * out + (1.0 - alpha) * unit
        out = to_pixel_range(out)
        if self.clip:
            out = ops.clip(out, 0.0, 255.0)
        if self.identity_prob > 0:
            coin = keras.random.uniform((), dtype=dtype, seed=self.seed_generator)
            out = ops.where(coin < self.identity_prob, x, out)
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "kernel_sizes": list(self.kernel_sizes),
                "mixing": self.mixing,
                "identity_prob": self.identity_prob,
                "clip": self.clip,
                "padding": self.padding,
                "seed": self.seed,
            }
        )
        return config
