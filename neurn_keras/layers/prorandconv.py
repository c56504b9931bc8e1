"""Pro-RandConv: progressive random convolutions (Choi, Kim, Kim, Kim, Min, CVPR 2023)."""

from __future__ import annotations

import math

import keras
from keras import ops

from neurn_keras.layer_options import PADDINGS
from neurn_keras.layers.checks import (
    check_bool,
    check_choice,
    check_images,
    check_int,
    check_number,
    check_seed,
    work_dtype,
)
from neurn_keras.layers.local_std import pad_spatial
from neurn_keras.layers.randconv import to_pixel_range, to_unit_range

SMALLEST_SIGMA = 1e-3  # ε of the paper's U(ε, ·) draws
VARIANCE_EPSILON = 1e-5  # added to the variance in the standardization


def known_int(value) -> int | None:
    """``value`` as an int when it is known now (eager), None when it is traced."""
    try:
        return int(value)
    except TypeError:  # a symbolic tensor (TensorFlow graph) or a tracer (JAX jit)
        return None


def bilinear_weights(offsets, radius: int):
    """Bilinear weights of the integer shifts −R..R around each offset, along each axis.

    For an offset a with |a| ≤ R, the weight of shift e is max(0, 1 − |e − a|): the two
    shifts around a share the weight as bilinear interpolation does, the others get 0.
    Returns (rows, columns), each (batch, H, W, k², 2R + 1).
    """
    shifts = ops.cast(ops.arange(-radius, radius + 1), offsets.dtype)
    rows = ops.relu(1.0 - ops.abs(shifts - offsets[..., 0:1]))
    cols = ops.relu(1.0 - ops.abs(shifts - offsets[..., 1:2]))
    return rows, cols


def deformable_conv(x, kernel, weights, padding: str):
    """Deformable convolution, stride 1, 'same' size, of NHWC ``x`` with a (k, k, C, O) kernel.

    Tap (i, j) of pixel p reads x bilinearly at p + (i, j) + offset[p, tap], outside the
    image from the ``padding``; ``weights`` are ``bilinear_weights`` of the offsets.
    Every read is a sum of shifted slices of the padded image (no gather), so the cost
    is k²·(2R + 1)² multiply-adds per pixel and channel.
    """
    rows, cols = weights
    k = kernel.shape[0]
    radius = (rows.shape[-1] - 1) // 2
    pad = k // 2 + radius
    padded = pad_spatial(x, pad, padding)
    last = 2 * pad

    def shifted(d_row: int, d_col: int):
        start_row, start_col = pad + d_row, pad + d_col
        stop_row = start_row - last if start_row < last else None
        stop_col = start_col - last if start_col < last else None
        return padded[:, start_row:stop_row, start_col:stop_col, :]

    out = 0.0
    for tap in range(k * k):
        tap_row, tap_col = tap // k - k // 2, tap % k - k // 2
        read = 0.0
        for i in range(2 * radius + 1):
            for j in range(2 * radius + 1):
                weight = rows[..., tap, i] * cols[..., tap, j]
                read = read + weight[..., None] * shifted(
                    tap_row + i - radius, tap_col + j - radius
                )
        out = out + ops.matmul(read, kernel[tap // k, tap % k])
    return out


@keras.saving.register_keras_serializable(package="neurn_keras")
class ProRandConv(keras.layers.Layer):
    """Pro-RandConv: one random convolution block applied L times, re-drawn per batch.

    In training, per call (per batch), one random block is drawn and applied L times in
    a row, L ~ U{1, …, ``max_repeats``}, always with the same draws. The block is
    conv → standardize → affine → tanh:

    - conv: a k×k kernel C → C, no bias, weights from N(0, 1/(k²·C)) multiplied by a
      Gaussian window exp(−(i² + j²)/(2σ_g²)) (i, j from the centre), σ_g ~ U(ε, 1);
    - with ``deformable=True``, a deformable convolution: every tap of every pixel of
      every image reads the input at a random sub-pixel offset (bilinear), offsets from
      N(0, σ_Δ²), σ_Δ ~ U(ε, ``max_offset_std``), drawn once per call;
    - standardize: each channel of each image to mean 0 and variance 1 over H×W;
    - affine: γ·y + β per channel, γ ~ N(0, ``gamma_std``²), β ~ N(0, ``beta_std``²);
    - tanh.

    With probability ``identity_prob`` the batch passes unchanged instead. At inference
    (``training`` falsy) the layer is the identity.

    Values: takes raw pixels (0..255, any dtype); the first block reads x/127.5 − 1.
    With ``padding="reflect"`` the output does not change under x → a·x + b (a > 0),
    up to the 1e-5 added to the variance, since the block has no bias and standardizes;
    with zeros the border sees mid-grey
    (127.5) around the image. The tanh output y ∈ (−1, 1) is
    returned as (y + 1)·127.5 ∈ [0, 255], so what follows (NeuRN, a backbone's
    preprocessing) sees the usual pixel scale.

    Any L under jit: traced (``model.fit``, ``tf.function``, ``jax.jit``), the repeats
    run in ``keras.ops.fori_loop`` with the drawn L as its bound (a while loop under XLA
    and JAX), after every random value is drawn, so the loop body is deterministic and
    one block is traced; eager, they run in a Python loop.

    Args:
        max_repeats: L_max, the largest number of repeats (10 in the paper).
        kernel_size: odd k of the block (3 in the paper).
        deformable: random deformable offsets (the paper's full method), at about
            (2R + 1)² times the cost of a plain convolution, R = max(1, ⌈5·b_Δ⌉); False
            gives a plain convolution.
        max_offset_std: b_Δ, the upper bound of σ_Δ in pixels (the paper: 0.2 for
            32×32 digits, larger for large images). Offsets are clipped to ±R, at least
            5 σ_Δ, which a normal draw passes with probability below 1e-6.
        gamma_std, beta_std: σ_γ and σ_β of the affine transform (0.5 in the paper).
        identity_prob: probability that a batch passes unchanged.
        padding: ``"zeros"`` (as the original convolutions; mid-grey around the image on
            the [−1, 1] scale of the first block) or ``"reflect"``. Deformable samples
            outside the image read zeros or the mirrored image accordingly.
        seed: seed of the layer's ``keras.random.SeedGenerator``.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, H, W, C)``, channels last, C known; H and W may be ``None``.
    Output shape: the same, in the layer's compute dtype (float32 by default).

    >>> import numpy as np
    >>> layer = ProRandConv(seed=1)
    >>> x = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype("uint8")
    >>> bool(np.array_equal(layer(x), x.astype("float32")))  # inference: identity
    True
    >>> augmented = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> augmented.shape, bool(augmented.min() >= 0), bool(augmented.max() <= 255)
    ((2, 8, 8, 3), True, True)
    """

    def __init__(
        self,
        max_repeats: int = 10,
        kernel_size: int = 3,
        deformable: bool = True,
        max_offset_std: float = 0.2,
        gamma_std: float = 0.5,
        beta_std: float = 0.5,
        identity_prob: float = 0.0,
        padding: str = "zeros",
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        name = "ProRandConv"
        self.max_repeats = check_int(name, "max_repeats", max_repeats, 1)
        self.kernel_size = check_int(name, "kernel_size", kernel_size, 1, odd=True)
        self.deformable = check_bool(name, "deformable", deformable)
        self.max_offset_std = check_number(
            name, "max_offset_std", max_offset_std, SMALLEST_SIGMA, 100
        )
        self.gamma_std = check_number(name, "gamma_std", gamma_std, 0, 100)
        self.beta_std = check_number(name, "beta_std", beta_std, 0, 100)
        self.identity_prob = check_number(name, "identity_prob", identity_prob, 0, 1)
        self.padding = check_choice(name, "padding", padding, PADDINGS)
        self.seed = check_seed(name, seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._autocast = False  # integer and float inputs are cast in call()

    def build(self, input_shape):
        check_images("ProRandConv", input_shape)
        self.built = True

    def _uniform(self, low: float, high: float, dtype: str):
        return keras.random.uniform((), low, high, dtype=dtype, seed=self.seed_generator)

    def draw_kernel(self, channels: int, dtype: str = "float32"):
        """One draw of the block's (k, k, C, C) kernel: Kaiming normal × Gaussian window."""
        k = self.kernel_size
        sigma = self._uniform(SMALLEST_SIGMA, 1.0, dtype)
        distance = ops.cast(ops.arange(k) - k // 2, dtype)
        profile = ops.exp(-ops.square(distance) / (2.0 * ops.square(sigma)))
        window = profile[:, None, None, None] * profile[None, :, None, None]
        std = (k * k * channels) ** -0.5
        weights = keras.random.normal(
            (k, k, channels, channels), stddev=std, dtype=dtype, seed=self.seed_generator
        )
        return weights * window

    def offset_radius(self) -> int:
        """R: offsets are clipped to [−R, R] pixels, R = max(1, ⌈5·max_offset_std⌉)."""
        return max(1, math.ceil(5 * self.max_offset_std - 1e-9))

    def draw_offsets(self, shape, dtype: str = "float32"):
        """One draw of the offsets, (batch, H, W, k², 2) in pixels (rows, columns)."""
        sigma = self._uniform(SMALLEST_SIGMA, self.max_offset_std, dtype)
        taps = self.kernel_size**2
        offsets = keras.random.normal(
            (shape[0], shape[1], shape[2], taps, 2), dtype=dtype, seed=self.seed_generator
        )
        radius = self.offset_radius()
        return ops.clip(sigma * offsets, -radius, radius)

    def draw(self, shape, dtype: str = "float32") -> dict:
        """One call's draws for images of ``shape`` (batch, H, W, C), in ``call``'s order.

        ``kernel`` (k, k, C, C), ``gamma`` and ``beta`` (C,), ``repeats`` (L, a scalar
        int) and, with ``deformable``, ``offsets`` (batch, H, W, k², 2). A layer with
        the same seed draws the same values in ``call``.
        """
        channels = shape[-1]
        draws = {"kernel": self.draw_kernel(channels, dtype)}
        for name, std in (("gamma", self.gamma_std), ("beta", self.beta_std)):
            draws[name] = keras.random.normal(
                (channels,), stddev=std, dtype=dtype, seed=self.seed_generator
            )
        draws["repeats"] = keras.random.randint(
            (), 1, self.max_repeats + 1, seed=self.seed_generator
        )
        if self.deformable:
            draws["offsets"] = self.draw_offsets(shape, dtype)
        return draws

    def augment(self, unit, draws: dict):
        """The block of ``draws`` applied ``draws["repeats"]`` times to images in [−1, 1]."""
        kernel, gamma, beta = draws["kernel"], draws["gamma"], draws["beta"]
        if self.deformable:
            weights = bilinear_weights(draws["offsets"], self.offset_radius())

            def convolve(y):
                return deformable_conv(y, kernel, weights, self.padding)
        else:

            def convolve(y):
                padded = pad_spatial(y, self.kernel_size // 2, self.padding)
                return ops.conv(padded, kernel, padding="valid", data_format="channels_last")

        def block(_, y):
            y = convolve(y)
            mean, variance = ops.moments(y, axes=(1, 2), keepdims=True)
            y = (y - mean) * ops.rsqrt(variance + VARIANCE_EPSILON)
            return ops.tanh(gamma * y + beta)

        repeats = known_int(draws["repeats"])
        if repeats is None:  # traced (graph, jit): a loop with the drawn bound
            return ops.fori_loop(0, draws["repeats"], block, unit)
        for step in range(repeats):  # eager: JAX would compile a new loop at every call
            unit = block(step, unit)
        return unit

    def call(self, inputs, training=None):
        dtype = work_dtype(self.compute_dtype)
        x = ops.cast(inputs, dtype)
        if not training:
            return ops.cast(x, self.compute_dtype)
        draws = self.draw(ops.shape(x), dtype)
        out = to_pixel_range(self.augment(to_unit_range(x), draws))
        if self.identity_prob > 0:
            coin = self._uniform(0.0, 1.0, dtype)
            out = ops.where(coin < self.identity_prob, x, out)
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_repeats": self.max_repeats,
                "kernel_size": self.kernel_size,
                "deformable": self.deformable,
                "max_offset_std": self.max_offset_std,
                "gamma_std": self.gamma_std,
                "beta_std": self.beta_std,
                "identity_prob": self.identity_prob,
                "padding": self.padding,
                "seed": self.seed,
            }
        )
        return config
