"""Adapt any domain's images to a model's input: antialiased resize and gray <-> RGB.

Values stay raw 0..255 (models normalise inside, as keras.applications do). Resizing
uses Pillow's bilinear filter, which is antialiased when shrinking (its support widens
with the scale factor). Because the filter is separable and linear, Pillow is asked
once for the (out, in) weight matrix of each axis and whole batches are resized with
two matrix products; results agree with ``Image.resize`` to within one grey level.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from PIL import Image

from neurn_keras.errors import InvalidValueError

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's "L"
BATCH = 4096


@functools.lru_cache(maxsize=64)
def resize_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in) float32 weights of Pillow's bilinear resize along one axis."""
    impulses = Image.fromarray(np.eye(size_in, dtype=np.float32))
    weights = impulses.resize((size_in, size_out), Image.Resampling.BILINEAR)
    return np.asarray(weights, dtype=np.float32)


def _check_shape(x: np.ndarray, input_shape: Sequence[int | None]) -> tuple[int, int, int]:
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise InvalidValueError(f"x has shape {x.shape}; expected (N, H, W, 1|3) images")
    if x.dtype != np.uint8:
        raise InvalidValueError(f"x has dtype {x.dtype}; expected uint8 in 0..255 (as loaded)")
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise InvalidValueError(f"input_shape={tuple(input_shape)}; expected (H, W, 1|3)")
    height, width, channels = input_shape
    height = x.shape[1] if height is None else int(height)
    width = x.shape[2] if width is None else int(width)
    if height < 1 or width < 1:
        raise InvalidValueError(f"input_shape={tuple(input_shape)} must have positive H and W")
    return height, width, int(channels)


def prepare(x: np.ndarray, input_shape: Sequence[int | None]) -> np.ndarray:
    """Resize and convert channels so images fit ``input_shape``; uint8 0..255 in and out.

    Args:
        x: uint8 (N, H, W, C) images, C = 1 or 3 (as ``load_domain`` returns them).
        input_shape: ``(H, W, C)`` of the model input; ``None`` for H or W keeps the
            native size. Gray becomes RGB by repeating the channel; RGB becomes gray
            with ITU-R 601 luma weights.

    Returns:
        uint8 (N, H', W', C') array; ``x`` itself when nothing needs to change.
    """
    x = np.asarray(x)
    height, width, channels = _check_shape(x, input_shape)
    if x.shape[1:] == (height, width, channels):
        return x
    rows = resize_matrix(x.shape[1], height) if height != x.shape[1] else None
    cols = resize_matrix(x.shape[2], width) if width != x.shape[2] else None
    out = np.empty((len(x), height, width, channels), np.uint8)
    for start in range(0, len(x), BATCH):
        batch = x[start : start + BATCH].astype(np.float32)
        if channels == 1 and batch.shape[-1] == 3:
            batch = batch @ LUMA[:, None]
        n, h, w, c = batch.shape
        if rows is not None:  # one matrix product over the row axis of the whole batch
            batch = (rows @ batch.transpose(1, 0, 2, 3).reshape(h, -1)).reshape(-1, n, w, c)
            batch = batch.transpose(1, 0, 2, 3)
            h = rows.shape[0]
        if cols is not None:  # and one over the column axis
            flat = batch.transpose(0, 1, 3, 2).reshape(-1, w)
            batch = (flat @ cols.T).reshape(n, h, c, -1).transpose(0, 1, 3, 2)
        out[start : start + BATCH] = np.clip(np.rint(batch), 0, 255)  # broadcasts 1 -> 3 channels
    return out
