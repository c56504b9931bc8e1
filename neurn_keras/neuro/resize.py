"""Resizing stacks of 2-D maps (scenes, receptive fields) with Pillow."""

from __future__ import annotations

import numpy as np
from PIL import Image

from neurn_keras.errors import InvalidValueError


def _size(size) -> tuple[int, int]:
    if isinstance(size, int | np.integer):
        size = (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 1:
        raise InvalidValueError(
            f"resize_maps: size must be (height, width) >= 1 or an int, got {size!r}"
        )
    return size


def resize_maps(maps: np.ndarray, size) -> np.ndarray:
    """Resize (N, H, W) maps to (N, h, w) float32 with Pillow's antialiased bilinear filter.

    Shrinking takes a triangle-weighted average over the source pixels each output pixel
    covers (so a 31×31 map becomes a smooth 3×3 summary, not a 9-pixel sample). Maps
    already of the target size are returned unchanged, as float32.
    """
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise InvalidValueError(f"resize_maps: maps must be (N, H, W), got shape {maps.shape}")
    h, w = _size(size)
    maps = maps.astype(np.float32, copy=False)
    if maps.shape[1:] == (h, w):
        return maps
    out = np.empty((maps.shape[0], h, w), dtype=np.float32)
    for i, m in enumerate(maps):
        image = Image.fromarray(np.ascontiguousarray(m))
        out[i] = np.asarray(image.resize((w, h), Image.Resampling.BILINEAR))
    return out
