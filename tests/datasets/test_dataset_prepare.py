"""prepare (resize, channels) and train_val_split on small arrays."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from neurn_keras import datasets
from neurn_keras.datasets.prepare import resize_matrix


def test_resize_matrices_are_pillows_and_preserve_constants():
    for size_in, size_out in ((16, 32), (32, 28), (28, 224), (32, 8)):
        weights = resize_matrix(size_in, size_out)
        assert weights.shape == (size_out, size_in)
        np.testing.assert_allclose(weights.sum(axis=1), 1, atol=1e-5)
        assert weights.min() >= 0


def test_shrinking_is_antialiased():
    """A one-pixel checkerboard averages to grey when shrunk 4x (plain sampling would not)."""
    board = (np.indices((32, 32)).sum(0) % 2 * 255).astype(np.uint8)[None, ..., None]
    out = datasets.prepare(board, (8, 8, 1))
    assert np.abs(out.astype(int) - 128).max() <= 2


def test_matches_pillow_on_random_images():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (3, 20, 24, 3), dtype=np.uint8)
    out = datasets.prepare(x, (37, 11, 3))
    for image, got in zip(x, out, strict=True):
        expected = np.asarray(Image.fromarray(image).resize((11, 37), Image.Resampling.BILINEAR))
        assert np.abs(got.astype(int) - expected).max() <= 1


def test_channels_both_ways_keep_raw_values():
    gray = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    rgb = datasets.prepare(gray, (16, 16, 3))
    assert rgb.dtype == np.uint8 and rgb.shape == (1, 16, 16, 3)
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], gray[..., 0])
    colour = np.zeros((1, 2, 2, 3), np.uint8)
    colour[..., 0] = 255  # pure red -> luma 0.299 * 255
    assert (datasets.prepare(colour, (2, 2, 1)) == 76).all()


def test_none_keeps_native_size_and_no_op_returns_input():
    x = np.zeros((2, 28, 28, 1), np.uint8)
    assert datasets.prepare(x, (28, 28, 1)) is x
    assert datasets.prepare(x, (None, None, 3)).shape == (2, 28, 28, 3)
    assert datasets.prepare(x, (None, 14, 1)).shape == (2, 28, 14, 1)


@pytest.mark.parametrize(
    ("x", "shape", "message"),
    [
        (np.zeros((2, 8, 8), np.uint8), (8, 8, 1), "expected \\(N, H, W, 1\\|3\\)"),
        (np.zeros((2, 8, 8, 1), np.float32), (8, 8, 1), "uint8"),
        (np.zeros((2, 8, 8, 1), np.uint8), (8, 8, 2), "input_shape"),
        (np.zeros((2, 8, 8, 1), np.uint8), (0, 8, 1), "positive"),
    ],
)
def test_prepare_rejects_bad_input(x, shape, message):
    with pytest.raises(ValueError, match=message):
        datasets.prepare(x, shape)


def test_split_is_deterministic_stratified_and_ordered():
    y = np.repeat(np.arange(10), [50, 40, 30, 30, 30, 30, 30, 30, 30, 100])
    x = np.arange(len(y))  # each example's original index
    (xt, yt), (xv, yv) = datasets.train_val_split(x, y, 0.2, seed=3)
    np.testing.assert_array_equal(y[xt], yt)
    again = datasets.train_val_split(x, y, 0.2, seed=3)
    np.testing.assert_array_equal(xv, again[1][0])
    assert len(xv) == 80 and sorted(np.concatenate([xt, xv]).tolist()) == x.tolist()
    assert np.all(np.diff(xt) > 0) and np.all(np.diff(xv) > 0)  # source order kept
    np.testing.assert_allclose(np.bincount(yv), np.bincount(y) * 0.2, atol=1)
    np.testing.assert_array_equal(y[xv], yv)
    other = datasets.train_val_split(x, y, 0.2, seed=4)[1][0]
    assert not np.array_equal(other, xv)


@pytest.mark.parametrize(
    ("y", "fraction", "message"),
    [
        (np.array([0, 0, 1, 1]), 0.0, "val_fraction"),
        (np.array([0, 0, 1, 1]), 1.0, "val_fraction"),
        (np.array([0, 0, 0, 1]), 0.5, "class 1 has a single example"),
    ],
)
def test_split_rejects_bad_input(y, fraction, message):
    with pytest.raises(ValueError, match=message):
        datasets.train_val_split(np.zeros(len(y)), y, fraction)
    with pytest.raises(ValueError, match="x has 3 examples"):
        datasets.train_val_split(np.zeros(3), np.array([0, 1, 0, 1]))
