"""ProRandConv against a NumPy reference, its draws, and its Keras plumbing."""

from __future__ import annotations

import doctest
import re

import keras
import numpy as np
import pytest
from augmentation_checks import (
    check_inside_tf_function,
    check_new_draws_in_the_training_step,
    check_saved_model_predicts_deterministically,
    numpy,
    pixels,
)

import neurn_keras.layers.prorandconv as prorandconv_module
from neurn_keras.layers import ProRandConv

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
needs_tf = pytest.mark.skipif(not ON_TENSORFLOW, reason="TensorFlow backend only")


def read(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, padding: str) -> np.ndarray:
    """x[b, rows, cols] for integer index maps (B, H, W); outside: 0 or the mirror image."""
    height, width = x.shape[1:3]
    if padding == "reflect":
        rows = np.abs(np.mod(rows + height - 1, 2 * height - 2 or 1) - (height - 1))
        cols = np.abs(np.mod(cols + width - 1, 2 * width - 2 or 1) - (width - 1))
        inside = np.ones(rows.shape, bool)
    else:
        inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    batch = np.arange(x.shape[0])[:, None, None]
    values = x[batch, np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)]
    return values * inside[..., None]


def reference_conv(x, kernel, offsets, padding):
    """(Deformable) 'same' convolution by explicit bilinear sampling, float64."""
    k = kernel.shape[0]
    _, height, width, _ = x.shape
    grid_rows, grid_cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    out = 0.0
    for tap in range(k * k):
        rows = grid_rows + tap // k - k // 2 + (0 if offsets is None else offsets[..., tap, 0])
        cols = grid_cols + tap % k - k // 2 + (0 if offsets is None else offsets[..., tap, 1])
        rows, cols = np.broadcast_to(rows, x.shape[:3]), np.broadcast_to(cols, x.shape[:3])
        row0, col0 = np.floor(rows).astype(int), np.floor(cols).astype(int)
        fr, fc = (rows - row0)[..., None], (cols - col0)[..., None]
        sample = (
            (1 - fr) * (1 - fc) * read(x, row0, col0, padding)
            + (1 - fr) * fc * read(x, row0, col0 + 1, padding)
            + fr * (1 - fc) * read(x, row0 + 1, col0, padding)
            + fr * fc * read(x, row0 + 1, col0 + 1, padding)
        )
        out = out + sample @ kernel[tap // k, tap % k]
    return out


def reference(x: np.ndarray, draws: dict, padding: str) -> np.ndarray:
    draws = {name: numpy(value).astype(np.float64) for name, value in draws.items()}
    y = x / 127.5 - 1.0
    for _ in range(int(draws["repeats"])):
        y = reference_conv(y, draws["kernel"], draws.get("offsets"), padding)
        y = (y - y.mean(axis=(1, 2), keepdims=True)) / np.sqrt(
            y.var(axis=(1, 2), keepdims=True) + 1e-5
        )
        y = np.tanh(draws["gamma"] * y + draws["beta"])
    return (y + 1.0) * 127.5


def test_docstring_example():
    assert doctest.testmod(prorandconv_module).failed == 0


@pytest.mark.parametrize("deformable", [False, True])
@pytest.mark.parametrize("training", [None, False])
def test_identity_at_inference(deformable, training):
    x = pixels((2, 9, 7, 3))
    out = numpy(ProRandConv(deformable=deformable, seed=1)(x, training=training))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x.astype(np.float32))


@pytest.mark.parametrize("deformable", [False, True])
@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_matches_the_reference_with_the_same_draws(deformable, padding):
    """A twin layer with the same seed draws the block and the L the layer used."""
    x = pixels((2, 10, 8, 3), seed=1)
    repeats = set()
    for seed in range(3):
        kwargs = {"deformable": deformable, "padding": padding, "seed": seed}
        out = numpy(ProRandConv(max_offset_std=0.6, **kwargs)(x, training=True))
        draws = ProRandConv(max_offset_std=0.6, **kwargs).draw(x.shape)
        repeats.add(int(numpy(draws["repeats"])))
        np.testing.assert_allclose(out, reference(x, draws, padding), atol=0.05)
    assert len(repeats) > 1


def test_repeats_are_uniform_from_one_to_max():
    layer = ProRandConv(deformable=False, seed=2)
    counts = np.bincount(
        [int(numpy(layer.draw((1, 4, 4, 3))["repeats"])) for _ in range(300)], minlength=12
    )
    assert counts[0] == 0 and counts[11] == 0
    assert np.all((counts[1:11] >= 12) & (counts[1:11] <= 55)), counts
    once = ProRandConv(max_repeats=1, deformable=False, seed=2)
    assert all(int(numpy(once.draw((1, 4, 4, 3))["repeats"])) == 1 for _ in range(20))


def test_kernel_weights_kaiming_times_a_gaussian_window():
    """Centre tap: N(0, 1/(9·C)); edge and corner taps: scaled by exp(−d²/(2σ_g²))."""
    channels = 3
    layer = ProRandConv(seed=4)
    kernels = np.stack([numpy(layer.draw_kernel(channels)) for _ in range(400)])
    std = 1 / np.sqrt(9 * channels)
    centre = kernels[:, 1, 1].ravel()
    assert abs(centre.std() / std - 1) < 0.1
    sigma = np.linspace(1e-3, 1, 100001)  # σ_g ~ U(ε, 1): E[g²] by quadrature
    for taps, squared_distance in (([(0, 1), (1, 0), (1, 2), (2, 1)], 1), ([(0, 0), (2, 2)], 2)):
        weights = np.concatenate([kernels[:, i, j].ravel() for i, j in taps])
        expected = np.mean(np.exp(-squared_distance / sigma**2))
        assert abs(np.mean(weights**2) / std**2 / expected - 1) < 0.2


def test_offsets_std_is_drawn_below_the_bound():
    layer = ProRandConv(max_offset_std=0.3, seed=5)
    stds = [numpy(layer.draw_offsets((2, 8, 8, 3))).std() for _ in range(40)]
    assert max(stds) < 0.3 * 1.05 and max(stds) > 0.2 and min(stds) < 0.1
    assert numpy(layer.draw_offsets((1, 4, 4, 3))).shape == (1, 4, 4, 9, 2)
    assert layer.offset_radius() == 2 and ProRandConv().offset_radius() == 1


@pytest.mark.parametrize("deformable", [False, True])
def test_output_in_the_pixel_range(deformable):
    x = pixels((3, 12, 12, 3))
    for seed in range(4):
        out = numpy(ProRandConv(deformable=deformable, seed=seed)(x, training=True))
        assert out.min() >= 0 and out.max() <= 255 and out.std() > 1


@pytest.mark.parametrize("deformable", [False, True])
def test_reflect_does_not_see_brightness_or_contrast(deformable):
    """Up to the variance epsilon of the standardization (< 0.5 pixel); zeros do see it."""
    x = pixels((2, 10, 10, 3)).astype(np.float32)
    change = {}
    for padding in ("reflect", "zeros"):
        change[padding] = 0.0
        for seed in range(6):
            kwargs = {"deformable": deformable, "padding": padding, "seed": seed}
            base = numpy(ProRandConv(**kwargs)(x, training=True))
            mapped = numpy(ProRandConv(**kwargs)(2 * x - 100, training=True))
            change[padding] = max(change[padding], np.abs(base - mapped).max())
    assert change["reflect"] < 0.5 and change["zeros"] > 4, change


def test_draws_depend_on_the_call_and_the_seed():
    x = pixels((2, 8, 8, 3))

    def outputs(seed, calls=3):
        layer = ProRandConv(seed=seed)
        return [numpy(layer(x, training=True)) for _ in range(calls)]

    first, again, other = outputs(7), outputs(7), outputs(8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], first[1]) and not np.allclose(first[1], first[2])
    assert not np.allclose(first[0], other[0])


def test_identity_prob():
    x = pixels((2, 6, 6, 3))
    layer = ProRandConv(identity_prob=1.0, seed=0)
    assert all(np.array_equal(numpy(layer(x, training=True)), x) for _ in range(3))
    layer = ProRandConv(identity_prob=0.5, deformable=False, seed=1)
    unchanged = sum(np.array_equal(numpy(layer(x, training=True)), x) for _ in range(40))
    assert 8 <= unchanged <= 32


@pytest.mark.parametrize("size", [(1, 1), (2, 3), (5, 1)])
@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_tiny_images(size, padding):
    x = pixels((2, *size, 3))
    out = numpy(ProRandConv(padding=padding, max_offset_std=0.6, seed=3)(x, training=True))
    assert out.shape == x.shape and np.all(np.isfinite(out))


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_output_shape_and_dtype_in_training(dtype):
    x = pixels((3, 5, 13, 3)).astype(dtype)
    out = numpy(ProRandConv(seed=0)(x, training=True))
    assert out.shape == x.shape and out.dtype == np.float32
    mixed = numpy(ProRandConv(seed=0, dtype="mixed_float16")(x, training=True))
    assert mixed.dtype == np.float16
    np.testing.assert_allclose(mixed, out, atol=0.2)


def test_grey_images():
    x = pixels((2, 8, 8, 1))
    out = numpy(ProRandConv(seed=0)(x, training=True))
    assert out.shape == x.shape and not np.allclose(out, x)


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argument,value",
    [
        ("max_repeats", 0),
        ("max_repeats", 2.0),
        ("kernel_size", 2),
        ("kernel_size", True),
        ("deformable", "yes"),
        ("max_offset_std", 0.0),
        ("max_offset_std", -1),
        ("gamma_std", -0.5),
        ("beta_std", "0.5"),
        ("identity_prob", 2),
        ("padding", "same"),
        ("seed", "1"),
    ],
)
def test_bad_arguments(argument, value):
    message = rf"ProRandConv: {argument} must be .*{re.escape(repr(value))}"
    with pytest.raises(ValueError, match=message):
        ProRandConv(**{argument: value})


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 8, 8, 3, 1)])
def test_non_image_input_is_rejected(shape):
    with pytest.raises(ValueError, match="expects images"):
        ProRandConv()(np.zeros(shape, np.float32))


# --- Keras plumbing -----------------------------------------------------------------------


def test_config_round_trip():
    layer = ProRandConv(
        max_repeats=4,
        kernel_size=5,
        deformable=False,
        max_offset_std=0.5,
        gamma_std=0.25,
        beta_std=0.1,
        identity_prob=0.3,
        padding="reflect",
        seed=3,
        name="p",
    )
    clone = ProRandConv.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.max_repeats, clone.kernel_size, clone.seed, clone.name) == (4, 5, 3, "p")
    assert layer.compute_output_shape((None, None, 5, 3)) == (None, None, 5, 3)


def test_saved_model_loads_back_and_predicts_deterministically(tmp_path):
    check_saved_model_predicts_deterministically(ProRandConv(seed=2, name="augment"), tmp_path)


def test_in_the_training_step():
    check_new_draws_in_the_training_step(lambda seed: ProRandConv(seed=seed))


@needs_tf
@pytest.mark.parametrize("deformable", [False, True])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_inside_tf_function_with_unknown_sizes(deformable, jit_compile):
    check_inside_tf_function(
        ProRandConv(deformable=deformable, padding="reflect", seed=0), jit_compile
    )
