"""Local (k×k, stride 1) standard deviation and NeuRN from box-filter moments, in ``keras.ops``.

Runs on every Keras backend. σ² = E[y²] − E[y]² over each window, from separable window
sums (k shifted slices along H, then along W). What makes it fast is where the passes
over the data go, not the arithmetic:

- **Blocks of images.** The batch is cut into blocks of about ``BLOCK_BYTES`` of input,
  and each block goes through every step (centring, padding, sums, σ, its images'
  maxima, the division) before the next one starts, so the intermediates stay in the
  CPU's cache and only the input read and the output write reach main memory. Under XLA
  the blocks are a loop in the compiled program, which also keeps its temporary buffers
  small (glibc hands buffers above 32 MiB back to the system, and every call would
  page-fault them in anew).
- **A flat layout.** Each block is viewed as (n, H, W·C): every step runs along a long
  contiguous last axis (W·C) instead of the 3 channels, which is what XLA's CPU code
  generator vectorizes; a shift by one pixel along W is a shift by C entries.
- **No column padding.** Rows are padded by a gather of whole rows; columns are not
  padded at all: the horizontal sums of the interior columns are plain slices, the k//2
  columns at each edge are summed separately from reflected (or filled) columns, and the
  three parts are written into the output side by side. (Concatenations along the last
  axis cost XLA several elementwise passes.)
- **Centring** (for float32 precision; see below) subtracts each image channel's first
  pixel, as a row of length W·C computed once, so it is broadcast along H only (a
  per-channel broadcast in the NHWC layout costs XLA several elementwise passes).

Numerics: in float32, ``E[y²] - E[y]²`` cancels badly when the values are large compared
with their local spread, so every channel of every image is shifted by its own first
pixel before squaring (every value then lies within the channel's range of zero), and a
constant channel becomes exact zeros, so that a constant or solid-colour image gives
σ = 0 exactly, not rounding noise that the normalization would blow up to 1.

Images whose height or width is unknown when the function is traced (a TensorFlow graph
with ``None`` spatial dimensions) take :func:`neurn_moments_pooled`, which handles any
size: average pooling over a padded copy, centred on the midpoint of each channel's
range. It is also the form for PyTorch, which runs op by op: a few library calls over the
whole batch cost less there than the many small operations of the block loop.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

BLOCK_BYTES = 2**21  # float32 input per block of images (2 MiB: 3 images of 224×224×3)
WHOLE_BATCH = 2**62  # a ``block_bytes`` that makes the whole batch one block
MOST_IMAGES = 2**31 - 1  # images per block at most: a batch size is an int32 in a graph


# --- padding --------------------------------------------------------------------------


def reflect_indices(size: int, pad: int) -> np.ndarray:
    """Indices that mirror ``range(size)`` by ``pad`` on both sides (numpy ``reflect``).

    Works for any ``pad``, also larger than ``size - 1``, by reflecting periodically
    with period ``2 * (size - 1)``, exactly as ``numpy.pad(mode="reflect")`` does.
    """
    index = np.arange(-pad, size + pad)
    if size == 1:
        return np.zeros_like(index)
    period = 2 * (size - 1)
    folded = np.mod(index, period)
    return np.where(folded < size, folded, period - folded)


def _dynamic_reflect_indices(size, pad: int):
    index = ops.arange(-pad, size + pad)
    period = ops.maximum(2 * (size - 1), 1)
    folded = ops.mod(index, period)
    return ops.where(folded < size, folded, period - folded)


def _reflect_pad_axis(x, pad: int, axis: int):
    size = x.shape[axis]
    if size is not None and size > pad:
        widths = [(0, 0)] * len(x.shape)
        widths[axis] = (pad, pad)
        return ops.pad(x, widths, mode="reflect")
    if size is not None:
        return ops.take(x, reflect_indices(size, pad), axis=axis)
    return ops.take(x, _dynamic_reflect_indices(ops.shape(x)[axis], pad), axis=axis)


def pad_spatial(x, pad: int, padding: str):
    """Pads the two spatial axes of an NHWC tensor by ``pad`` on each side."""
    if pad == 0:
        return x
    if padding == "zeros":
        return ops.pad(x, [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    return _reflect_pad_axis(_reflect_pad_axis(x, pad, 1), pad, 2)


def _along(x, axis: int, start: int, stop: int):
    index = [slice(None)] * len(x.shape)
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def _pad_rows(y, pad: int, padding: str, fill):
    """Pads axis 1 of a flat block (n, H, W·C) by ``pad`` rows on each side.

    A gather of whole rows (reflected, or clipped and replaced by ``fill``, the value
    that zeros take after centring); XLA emits it as row copies, several times faster
    than concatenating flipped slices.
    """
    height = y.shape[1]
    if padding == "reflect":
        return ops.take(y, reflect_indices(height, pad), axis=1)
    index = np.arange(-pad, height + pad)
    inside = ((index >= 0) & (index < height))[None, :, None]
    return ops.where(inside, ops.take(y, np.clip(index, 0, height - 1), axis=1), fill)


# --- one block of images, of known shape ---------------------------------------------


def _window_sum(x, kernel_size: int, axis: int, unit: int = 1):
    """Sum of ``kernel_size`` entries ``unit`` apart along ``axis`` ("valid" length)."""
    length = x.shape[axis] - (kernel_size - 1) * unit
    total = _along(x, axis, 0, length)
    for offset in range(1, kernel_size):
        total = total + _along(x, axis, offset * unit, offset * unit + length)
    return total


def _centre_rows(x, dtype: str):
    """Each image channel's first pixel, repeated along a row: (B, 1, W·C)."""
    _, _, width, channels = x.shape
    first = ops.cast(ops.reshape(x[:, :1, :1, :], (-1, 1, channels)), dtype)
    return ops.tile(first, (1, 1, width))


def _materialized(row):
    """``row`` through an exact reduction (the minimum of two copies).

    XLA fuses a broadcast into its consumers and would then recompute the channel index
    of every pixel; a reduction is computed once. (The operands of the block loop are
    computed once anyway.)
    """
    return ops.min(ops.concatenate([row, row], axis=1), axis=1, keepdims=True)


def _computed_once(x):
    """``x``, exactly, divided by ones that XLA cannot prove to be ones.

    XLA fuses cheap producers into every consumer, also into window sums that read each
    element k times, so a padded block would be re-gathered and re-centred 2k times. A
    division by a full-size array counts as expensive, and XLA does not fuse expensive
    producers into consumers that reuse elements: ``x`` is computed once and stored.
    """
    return x / (x * 0.0 + 1.0)


def _column_sums(vertical, kernel_size: int, padding: str, channels: int, fill):
    """Horizontal window sums of the vertical sums, as ``[(first column, sums), ...]``.

    The interior columns are slices of ``vertical`` (2, n, H, W·C); each of the k//2
    columns at either edge is a sum of k single columns, reflected or, for zeros
    padding, ``fill`` (the vertical sums of a column outside the image).
    """
    width = vertical.shape[3] // channels
    pad = kernel_size // 2
    low, high = min(pad, width), max(width - pad, min(pad, width))
    parts = []
    if high > low:
        inner = _along(vertical, 3, (low - pad) * channels, (high + pad) * channels)
        parts.append((low, _window_sum(inner, kernel_size, 3, channels)))
    source = reflect_indices(width, pad)

    def column(i: int):
        if 0 <= i < width or padding == "reflect":
            j = source[i + pad]
            return _along(vertical, 3, j * channels, (j + 1) * channels)
        return fill

    for edge in (range(0, low), range(high, width)):
        if len(edge):
            sums = []
            for j in edge:
                total = column(j)  # inside the image: it sets the shape
                for i in range(j - pad, j + pad + 1):
                    if i != j:
                        total = total + column(i)
                sums.append(total)
            parts.append((edge[0], ops.concatenate(sums, axis=3)))
    return sorted(parts, key=lambda part: part[0])


def _part_peaks(sigma, channels: int, per_channel: bool):
    """Largest σ of a part (n, H, columns·C): (n, 1, 1), or (n, 1, C) with ``per_channel``."""
    if not per_channel:
        return ops.max(sigma, axis=(1, 2), keepdims=True)
    along_columns = ops.max(sigma, axis=1)  # (n, columns·C)
    columns = sigma.shape[2] // channels
    per_column = ops.reshape(along_columns, (-1, columns, channels))
    return ops.expand_dims(ops.max(per_column, axis=1), 1)


def _block_parts(
    x,
    centre,
    kernel_size: int,
    padding: str,
    dtype: str,
    output_dtype: str,
    per_channel: bool = False,
):
    """NeuRN of a block (n, H, W, C): ``[(first column, (n, H, columns·C)), ...]``.

    Each image is divided by its largest σ, or with ``per_channel`` each of its channels
    by that channel's largest σ.
    """
    _, height, width, channels = x.shape
    pad = kernel_size // 2
    flat = ops.reshape(ops.cast(x, dtype), (-1, height, width * channels))
    fill = -centre[:, :, :channels]  # what a zero outside the image becomes after centring
    padded = _computed_once(_pad_rows(flat - centre, pad, padding, -centre))
    vertical = ops.stack(
        [
            _computed_once(_window_sum(padded, kernel_size, 1)),
            _computed_once(_window_sum(padded * padded, kernel_size, 1)),
        ]
    )
    fill_sums = ops.stack([fill * kernel_size, fill * fill * kernel_size])
    scale = 1.0 / kernel_size**2
    sigmas = []
    for first, sums in _column_sums(vertical, kernel_size, padding, channels, fill_sums):
        mean, mean_square = sums[0] * scale, sums[1] * scale
        sigmas.append((first, standard_deviation(mean_square - mean * mean)))
    peak = _part_peaks(sigmas[0][1], channels, per_channel)
    for _, sigma in sigmas[1:]:
        peak = ops.maximum(peak, _part_peaks(sigma, channels, per_channel))
    parts = []
    for first, sigma in sigmas:
        # per channel, (n, 1, C) is laid along the part's columns as a row (n, 1, columns·C)
        part_peak = ops.tile(peak, (1, 1, sigma.shape[2] // channels)) if per_channel else peak
        nonzero = part_peak > 0
        normalized = ops.where(nonzero, sigma / ops.where(nonzero, part_peak, 1.0), 0.0)
        parts.append((first, ops.cast(normalized, output_dtype)))
    return parts


def standard_deviation(variance):
    """√variance, 0 where rounding made it ≤ 0, with a finite gradient everywhere.

    ``sqrt(maximum(v, 0))`` has an infinite gradient at 0, the variance of every flat
    window (after a ReLU, most of them): NeuRN inside a network would train on NaN. Here
    the gradient of a flat window is 0, and the values are the same.
    """
    positive = variance > 0
    return ops.where(positive, ops.sqrt(ops.where(positive, variance, 1.0)), 0.0)


def normalize_per_image(sigma, normalize_over: str = "image"):
    """σ (batch, H, W, C) over the largest σ of its image (``normalize_over="image"``) or
    of its image channel (``"channel"``); where that largest σ is 0, zeros."""
    axes = (1, 2, 3) if normalize_over == "image" else (1, 2)
    peak = ops.max(sigma, axis=axes, keepdims=True)
    nonzero = peak > 0
    return ops.where(nonzero, sigma / ops.where(nonzero, peak, 1.0), 0.0)


# --- the whole batch ------------------------------------------------------------------------


def block_size(height: int, width: int, channels: int, block_bytes: int = BLOCK_BYTES) -> int:
    """Most images per block: ``block_bytes`` of float32 input, at least one, at most
    ``MOST_IMAGES`` (which ``WHOLE_BATCH`` gives, and which means the whole batch)."""
    return min(MOST_IMAGES, max(1, block_bytes // (4 * height * width * channels)))


def _joined(parts):
    return ops.concatenate([part for _, part in parts], axis=2)


def _map_blocks(fn, x, centre, block: int, output_dtype: str):
    """``fn`` over the batch in blocks of at most ``block`` images, as even as they go.

    ``count = ceil(B / block)`` blocks of ``n = ceil(B / count)`` images: the last block
    starts at ``B - n`` and overlaps the one before by fewer than ``count`` images. With a
    batch size unknown when traced (a TensorFlow graph) ``n`` is a tensor, which XLA
    resolves when it compiles for the actual batch size. ``block = MOST_IMAGES`` (or a
    batch known to fit one block) takes the whole batch at once, without a loop, also
    when its size is unknown. Returns the flat (B, H, W·C).
    """
    _, height, width, channels = x.shape
    row = width * channels
    if block >= MOST_IMAGES or (x.shape[0] is not None and x.shape[0] <= block):
        return _joined(fn(x, _materialized(centre)))
    batch = x.shape[0] if x.shape[0] is not None else ops.shape(x)[0]
    count = (batch - 1) // block + 1  # ceil(B / block) without overflowing an int32
    n = (batch + count - 1) // count
    if keras.backend.backend() == "torch":  # op by op: a list of blocks, one concatenation
        starts = [min(s, batch - n) for s in range(0, batch, n)]
        blocks = [_joined(fn(x[s : s + n], centre[s : s + n])) for s in starts]
        if starts[-1] != starts[-2] + n:
            blocks[-1] = blocks[-1][starts[-2] + n - starts[-1] :]
        return ops.concatenate(blocks, axis=0)

    def body(i, out):
        start = ops.minimum(i * n, batch - n)
        images = ops.slice(x, (start, 0, 0, 0), (n, height, width, channels))
        for first, part in fn(images, ops.slice(centre, (start, 0, 0), (n, 1, row))):
            out = ops.slice_update(out, (start, 0, first * channels), part)
        return out

    return ops.fori_loop(0, count, body, ops.zeros((batch, height, row), output_dtype))


def neurn_moments(
    x,
    kernel_size: int,
    padding: str = "reflect",
    *,
    dtype: str = "float32",
    output_dtype: str | None = None,
    block_bytes: int = BLOCK_BYTES,
    normalize_over: str = "image",
):
    """NeuRN by box-filter moments: local standard deviation over each image's maximum.

    Args:
        x: images (batch, H, W, C), any real dtype (cast block by block).
        kernel_size: odd window size k.
        padding: ``"reflect"`` or ``"zeros"``.
        dtype: the dtype of the statistics (``"float32"`` or ``"float64"``).
        output_dtype: the dtype of the result (default: ``dtype``).
        block_bytes: about how much float32 input each block of images holds at most
            (``WHOLE_BATCH``: the whole batch is one block).
        normalize_over: ``"image"`` (each image over its largest σ) or ``"channel"``
            (each image channel over its own largest σ).

    Returns:
        Tensor of x's shape, in ``output_dtype``, each image in [0, 1].
    """
    output_dtype = output_dtype or dtype
    if kernel_size // 2 == 0:
        return ops.zeros(ops.shape(x), output_dtype)
    _, height, width, channels = x.shape
    if height is None or width is None:
        out = neurn_moments_pooled(ops.cast(x, dtype), kernel_size, padding, normalize_over)
        return ops.cast(out, output_dtype)
    per_channel = normalize_over == "channel"

    def block(images, rows):
        return _block_parts(images, rows, kernel_size, padding, dtype, output_dtype, per_channel)

    most = block_size(height, width, channels, block_bytes)
    flat = _map_blocks(block, x, _centre_rows(x, dtype), most, output_dtype)
    return ops.reshape(flat, (-1, height, width, channels))


# --- any size, op by op -------------------------------------------------------------------


def local_std_pooled(x, kernel_size: int, padding: str = "reflect"):
    """σ of every k×k window (stride 1) by average pooling over a padded copy: any size,
    few library calls, the same scale as ``x``.

    For spatial sizes unknown at trace time, and for backends that run op by op
    (PyTorch), where one pooling call per axis beats k slices. ``x`` is a float tensor;
    each image channel is centred on the midpoint of its range (which leaves σ unchanged
    and keeps ``E[x²] − E[x]²`` from cancelling in float32).
    """
    pad = kernel_size // 2
    if pad == 0:
        return ops.zeros_like(x)
    lowest = ops.min(x, axis=(1, 2), keepdims=True)
    highest = ops.max(x, axis=(1, 2), keepdims=True)
    if padding == "zeros":  # the zeros read outside the image belong to its range
        lowest = ops.minimum(lowest, 0.0)
        highest = ops.maximum(highest, 0.0)
    centred = pad_spatial(x, pad, padding) - (lowest * 0.5 + highest * 0.5)

    def window_mean(z):
        along_h = ops.average_pool(z, (kernel_size, 1), strides=1, padding="valid")
        return ops.average_pool(along_h, (1, kernel_size), strides=1, padding="valid")

    mean, mean_square = window_mean(centred), window_mean(centred * centred)
    return standard_deviation(mean_square - mean * mean)


def neurn_moments_pooled(
    x, kernel_size: int, padding: str = "reflect", normalize_over: str = "image"
):
    """NeuRN by average pooling (:func:`local_std_pooled`), σ over its image's maximum
    (``normalize_over`` as in :func:`normalize_per_image`)."""
    return normalize_per_image(local_std_pooled(x, kernel_size, padding), normalize_over)
