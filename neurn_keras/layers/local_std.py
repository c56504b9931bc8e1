"""Local (k×k, stride 1) standard deviation from box-filter moments, in ``keras.ops``.

Runs on every Keras backend. The window sums are separable (a k-tap sum along H,
then along W) and are written as sums of shifted slices, which XLA fuses.

Numerics: in float32, ``E[x²] - E[x]²`` cancels badly when the values are large
compared with their local spread. Each image is therefore centred on the midpoint
of its own range (after padding, before squaring), which keeps every value within
half the image's range of zero and makes a constant image exactly zero.
"""

from __future__ import annotations

import numpy as np
from keras import ops

PADDINGS = ("reflect", "zeros")


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


def _window_sum(x, kernel_size: int, axis: int):
    """Sum of ``kernel_size`` consecutive entries along ``axis`` ("valid" length)."""
    last = kernel_size - 1

    def shifted(offset: int):
        stop = offset - last if offset < last else None
        index = [slice(None)] * len(x.shape)
        index[axis] = slice(offset, stop)
        return x[tuple(index)]

    total = shifted(0)
    for offset in range(1, kernel_size):
        total = total + shifted(offset)
    return total


def local_std_moments(x, kernel_size: int, padding: str = "reflect"):
    """Population standard deviation of every k×k window, shape-preserving.

    Args:
        x: float tensor (batch, H, W, C).
        kernel_size: odd window size k.
        padding: ``"reflect"`` or ``"zeros"``.

    Returns:
        Tensor of x's shape and dtype.
    """
    pad = kernel_size // 2
    if pad == 0:
        return ops.zeros_like(x)
    lowest = ops.min(x, axis=(1, 2, 3), keepdims=True)
    highest = ops.max(x, axis=(1, 2, 3), keepdims=True)
    if padding == "zeros":  # the zeros read outside the image belong to its range
        lowest = ops.minimum(lowest, 0.0)
        highest = ops.maximum(highest, 0.0)
    centre = lowest * 0.5 + highest * 0.5
    # Channels first, so that both window sums run along the fast axes.
    padded = ops.transpose(pad_spatial(x, pad, padding) - centre, (0, 3, 1, 2))
    moments = ops.stack([padded, padded * padded], axis=1)  # (B, 2, C, H+2p, W+2p)
    sums = _window_sum(_window_sum(moments, kernel_size, 3), kernel_size, 4)
    sums = sums * (1.0 / kernel_size**2)
    mean, mean_square = sums[:, 0], sums[:, 1]
    variance = ops.maximum(mean_square - mean * mean, 0.0)
    return ops.transpose(ops.sqrt(variance), (0, 2, 3, 1))
