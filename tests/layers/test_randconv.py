"""RandConv against a NumPy reference, its draws, and its Keras plumbing."""

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

import neurn_keras.layers.randconv as randconv_module
from neurn_keras.layers import RandConv

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
needs_tf = pytest.mark.skipif(not ON_TENSORFLOW, reason="TensorFlow backend only")


def correlate(x: np.ndarray, kernel: np.ndarray, padding: str) -> np.ndarray:
    """'same' cross-correlation of NHWC x with a (K, K, C, O) kernel, in float64."""
    pad = kernel.shape[0] // 2
    mode = "reflect" if padding == "reflect" else "constant"
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode=mode)
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernel.shape[:2], (1, 2))
    return np.einsum("bhwcij,ijco->bhwo", windows, kernel.astype(np.float64))


def test_docstring_example():
    assert doctest.testmod(randconv_module).failed == 0


@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("training", [None, False])
def test_identity_at_inference(dtype, training):
    x = pixels((3, 9, 7, 3)).astype(dtype)
    out = numpy(RandConv(identity_prob=0.0, seed=1)(x, training=training))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x.astype(np.float32))


@pytest.mark.parametrize("mixing", [False, True])
@pytest.mark.parametrize("padding", ["zeros", "reflect"])
def test_matches_the_reference_with_the_same_draws(mixing, padding):
    """A twin layer with the same seed draws the kernel (and α) the layer used."""
    x = pixels((2, 11, 9, 3), seed=2)
    for seed in range(4):
        layer = RandConv(mixing=mixing, identity_prob=0.0, padding=padding, seed=seed)
        twin = RandConv(seed=seed)
        out = numpy(layer(x, training=True))
        kernel, _ = twin.draw_kernel(3)
        unit = x / 127.5 - 1.0
        expected = correlate(unit, numpy(kernel), padding)
        if mixing:
            alpha = float(numpy(keras.random.uniform((), seed=twin.seed_generator)))
            expected = alpha * expected + (1 - alpha) * unit
        np.testing.assert_allclose(out, (expected + 1.0) * 127.5, atol=2e-3)


def test_kernel_weights_follow_kaiming_normal_per_size():
    layer = RandConv(seed=3)
    draws = [layer.draw_kernel(3) for _ in range(400)]
    by_size = {k: [] for k in (1, 3, 5, 7)}
    for kernel, size in draws:
        kernel, size = numpy(kernel), int(numpy(size))
        lo, hi = 3 - size // 2, 3 + size // 2 + 1
        inside = np.zeros(kernel.shape[:2], bool)
        inside[lo:hi, lo:hi] = True
        assert np.all(kernel[~inside] == 0) and np.all(kernel[inside] != 0)
        by_size[size].append(kernel[inside].ravel())
    for size, weights in by_size.items():
        assert 60 <= len(weights) <= 140, f"k={size} drawn {len(weights)} times of 400"
        weights = np.concatenate(weights)
        expected = 1 / np.sqrt(size * size * 3)
        assert abs(weights.std() / expected - 1) < 0.1, (size, weights.std(), expected)
        assert abs(weights.mean()) < 0.1 * expected


def test_one_kernel_size_only():
    kernel, size = RandConv(kernel_sizes=[3], seed=0).draw_kernel(1)
    assert numpy(kernel).shape == (3, 3, 1, 1) and int(numpy(size)) == 3


def test_draws_depend_on_the_call_and_the_seed():
    x = pixels((2, 10, 10, 3))

    def outputs(seed, calls=3):
        layer = RandConv(identity_prob=0.0, seed=seed)
        return [numpy(layer(x, training=True)) for _ in range(calls)]

    first, again, other = outputs(7), outputs(7), outputs(8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[0], first[1]) and not np.allclose(first[1], first[2])
    assert not np.allclose(first[0], other[0])


def test_identity_prob():
    x = pixels((2, 6, 6, 3))
    assert all(
        np.array_equal(numpy(RandConv(identity_prob=1.0, seed=s)(x, training=True)), x)
        for s in range(3)
    )
    layer = RandConv(identity_prob=0.5, seed=4)
    unchanged = sum(np.array_equal(numpy(layer(x, training=True)), x) for _ in range(60))
    assert 15 <= unchanged <= 45


def test_clip_keeps_the_pixel_range_and_without_it_the_range_is_left():
    x = pixels((4, 12, 12, 3))
    clipped = [
        numpy(RandConv(identity_prob=0.0, clip=True, seed=s)(x, training=True)) for s in range(8)
    ]
    free = [numpy(RandConv(identity_prob=0.0, seed=s)(x, training=True)) for s in range(8)]
    assert all(c.min() >= 0 and c.max() <= 255 for c in clipped)
    assert any(f.min() < 0 or f.max() > 255 for f in free)
    for c, f in zip(clipped, free, strict=True):
        np.testing.assert_allclose(c, np.clip(f, 0, 255), atol=1e-4)


def test_padding_only_changes_the_border():
    x = pixels((2, 12, 12, 3))
    zeros = numpy(RandConv([5], identity_prob=0.0, seed=5)(x, training=True))
    reflect = numpy(RandConv([5], identity_prob=0.0, padding="reflect", seed=5)(x, training=True))
    np.testing.assert_allclose(zeros[:, 2:-2, 2:-2], reflect[:, 2:-2, 2:-2], atol=1e-3)
    assert not np.allclose(zeros[:, :2], reflect[:, :2])


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_output_shape_and_dtype_in_training(dtype):
    x = pixels((3, 5, 13, 3)).astype(dtype)
    out = numpy(RandConv(identity_prob=0.0, seed=0)(x, training=True))
    assert out.shape == x.shape and out.dtype == np.float32
    mixed = numpy(RandConv(identity_prob=0.0, seed=0, dtype="mixed_float16")(x, training=True))
    assert mixed.dtype == np.float16
    np.testing.assert_allclose(mixed, out, rtol=2e-3, atol=0.5)


def test_grey_images():
    x = pixels((2, 8, 8, 1))
    out = numpy(RandConv(identity_prob=0.0, seed=0)(x, training=True))
    assert out.shape == x.shape and not np.array_equal(out, x)


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argument,value",
    [
        ("kernel_sizes", []),
        ("kernel_sizes", [2]),
        ("kernel_sizes", [3, 0]),
        ("kernel_sizes", 3),
        ("kernel_sizes", "135"),
        ("kernel_sizes", [3.0]),
        ("identity_prob", 1.5),
        ("identity_prob", -0.1),
        ("identity_prob", True),
        ("mixing", 1),
        ("clip", "yes"),
        ("padding", "same"),
        ("seed", 1.5),
    ],
)
def test_bad_arguments(argument, value):
    with pytest.raises(
        ValueError, match=rf"RandConv: {argument} must be .*{re.escape(repr(value))}"
    ):
        RandConv(**{argument: value})


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 8, 8, 3, 1)])
def test_non_image_input_is_rejected(shape):
    with pytest.raises(ValueError, match="expects images"):
        RandConv()(np.zeros(shape, np.float32))


# --- Keras plumbing -----------------------------------------------------------------------


def test_config_round_trip():
    layer = RandConv([3, 5], mixing=False, identity_prob=0.25, clip=True, padding="reflect", seed=9)
    clone = RandConv.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.kernel_sizes, clone.seed, clone.clip) == ((3, 5), 9, True)
    assert layer.compute_output_shape((None, None, 5, 3)) == (None, None, 5, 3)


def test_saved_model_loads_back_and_predicts_deterministically(tmp_path):
    check_saved_model_predicts_deterministically(RandConv(seed=2, name="augment"), tmp_path)


def test_in_the_training_step():
    check_new_draws_in_the_training_step(lambda seed: RandConv(identity_prob=0.0, seed=seed))


@needs_tf
@pytest.mark.parametrize("jit_compile", [False, True])
def test_inside_tf_function_with_unknown_sizes(jit_compile):
    check_inside_tf_function(RandConv(identity_prob=0.0, seed=0), jit_compile)
