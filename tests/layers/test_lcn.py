"""LocalContrastNormalization against a float64 NumPy reference, its invariances and bound."""

from __future__ import annotations

import doctest
import re

import keras
import numpy as np
import pytest

import neurn_keras.layers.lcn as lcn_module
from neurn_keras.layers import LocalContrastNormalization

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
needs_tf = pytest.mark.skipif(not ON_TENSORFLOW, reason="TensorFlow backend only")


def profile(sigma: float, kernel_size: int) -> np.ndarray:
    weights = np.exp(-0.5 * ((np.arange(kernel_size) - kernel_size // 2) / sigma) ** 2)
    return weights / weights.sum()


def reference(x, sigma=2.0, kernel_size=9, across_channels=True, padding="reflect"):
    """Jarrett et al.'s subtractive and divisive normalization, from the definition."""
    window = np.outer(profile(sigma, kernel_size), profile(sigma, kernel_size))
    pad = kernel_size // 2
    mode = "reflect" if padding == "reflect" else "constant"

    def weighted_sum(a):
        if across_channels:
            a = a.mean(axis=-1, keepdims=True)
        padded = np.pad(a, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode=mode)
        windows = np.lib.stride_tricks.sliding_window_view(padded, window.shape, (1, 2))
        return np.einsum("bhwcij,ij->bhwc", windows, window)

    x = x.astype(np.float64)
    centred = x - weighted_sum(x)
    deviation = np.sqrt(weighted_sum(centred**2))
    floor = np.maximum(deviation, deviation.mean(axis=(1, 2), keepdims=True))
    return np.where(floor > 0, centred / np.where(floor > 0, floor, 1), 0.0)


def run(x, **kwargs) -> np.ndarray:
    return keras.ops.convert_to_numpy(LocalContrastNormalization(**kwargs)(x))


def pixels(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.float32)


def test_docstring_example():
    assert doctest.testmod(lcn_module).failed == 0


@pytest.mark.parametrize("across_channels", [True, False])
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
@pytest.mark.parametrize("size", [(7, 10), (12, 9), (3, 2)])
@pytest.mark.parametrize("channels", [1, 3])
def test_matches_float64_reference(across_channels, padding, size, channels):
    x = pixels((2, *size, channels), seed=size[0] + channels)
    kwargs = {"across_channels": across_channels, "padding": padding}
    out = run(x, **kwargs)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, reference(x, **kwargs), atol=1e-4)


@pytest.mark.parametrize("sigma,kernel_size,expected_size", [(2, None, 9), (1, None, 5), (1, 3, 3)])
def test_window(sigma, kernel_size, expected_size):
    layer = LocalContrastNormalization(sigma=sigma, kernel_size=kernel_size)
    assert len(layer.window) == expected_size
    np.testing.assert_allclose(layer.window, profile(sigma, expected_size), rtol=1e-12)
    x = pixels((2, 11, 11, 3), seed=1)
    expected = reference(x, sigma=sigma, kernel_size=expected_size)
    np.testing.assert_allclose(run(x, sigma=sigma, kernel_size=kernel_size), expected, atol=1e-4)


@pytest.mark.parametrize("across_channels", [True, False])
def test_reflect_is_invariant_to_brightness_and_contrast(across_channels):
    x = pixels((3, 12, 14, 3), seed=2)
    base = run(x, across_channels=across_channels)
    for a, b in [(0.01, 0.0), (3.0, -50.0), (0.5, 1000.0)]:
        np.testing.assert_allclose(run(a * x + b, across_channels=across_channels), base, atol=2e-3)
    np.testing.assert_allclose(run(-x, across_channels=across_channels), -base, atol=1e-4)


def test_per_channel_mode_is_invariant_per_channel():
    x = pixels((2, 12, 12, 3), seed=3)
    gains, shifts = np.array([0.2, 1.0, 4.0], np.float32), np.array([7.0, -30.0, 500.0], np.float32)
    base = run(x, across_channels=False)
    np.testing.assert_allclose(run(gains * x + shifts, across_channels=False), base, atol=2e-3)
    assert not np.allclose(run(gains * x + shifts), run(x), atol=1e-2)  # across channels: no


def test_zeros_is_invariant_to_contrast_only():
    x = pixels((2, 12, 12, 3), seed=4)
    base = run(x, padding="zeros")
    np.testing.assert_allclose(run(0.1 * x, padding="zeros"), base, atol=1e-4)
    assert np.abs(run(x + 100, padding="zeros") - base).max() > 0.1


@pytest.mark.parametrize("across_channels", [True, False])
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
def test_output_bound_holds_and_a_lone_spike_nearly_reaches_it(across_channels, padding):
    """|y| ≤ √C / w₀ across channels, ≤ 1 / w₀ per channel (w₀: centre of the 1-D window)."""
    channels, centre = 3, profile(2.0, 9)[4]
    bound = (np.sqrt(channels) if across_channels else 1.0) / centre
    kwargs = {"across_channels": across_channels, "padding": padding}
    rng = np.random.default_rng(5)
    x = pixels((4, 20, 20, channels), seed=5) * (rng.random((4, 20, 20, channels)) < 0.05)
    assert np.abs(run(x, **kwargs)).max() <= bound * (1 + 1e-5)
    spike = np.zeros((1, 24, 24, channels), np.float32)
    spike[0, 12, 12, 0] = 255
    peak = np.abs(run(spike, **kwargs)).max()
    assert 0.8 * bound < peak <= bound * (1 + 1e-5)


@pytest.mark.parametrize("across_channels", [True, False])
def test_constant_images_give_zeros(across_channels):
    for value in (0.0, 77.0, 255.0, 1e6):
        x = np.full((2, 9, 9, 3), value, np.float32)
        assert np.all(run(x, across_channels=across_channels) == 0)
    colours = np.array([255.0, 0.0, 17.0], np.float32)
    solid = np.broadcast_to(colours, (1, 9, 9, 3)).copy()
    assert np.all(run(solid, across_channels=False) == 0)
    assert np.all(np.isfinite(run(solid, across_channels=True)))
    assert np.all(run(np.zeros((1, 9, 9, 3), np.float32), padding="zeros") == 0)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "float64"])
def test_any_input_dtype_gives_float32(dtype):
    x = pixels((2, 9, 9, 3), seed=6).astype(dtype)
    out = run(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(x.astype(np.float64)), atol=1e-4)


def test_output_follows_the_compute_dtype():
    x = pixels((2, 9, 9, 3), seed=7).astype("uint8")
    if keras.backend.backend() != "jax":  # JAX keeps float64 off unless jax_enable_x64
        assert run(x, dtype="float64").dtype == np.float64
    mixed = run(x, dtype="mixed_float16")
    assert mixed.dtype == np.float16
    np.testing.assert_allclose(mixed.astype(np.float64), reference(x), atol=1e-2)


def test_deterministic_in_training_too():
    x = pixels((2, 9, 9, 3), seed=8)
    layer = LocalContrastNormalization()
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x, training=True)), keras.ops.convert_to_numpy(layer(x))
    )


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argument,value",
    [
        ("sigma", 0),
        ("sigma", -1.0),
        ("sigma", "2"),
        ("sigma", True),
        ("kernel_size", 4),
        ("kernel_size", 0),
        ("kernel_size", 3.0),
        ("across_channels", 1),
        ("padding", "same"),
    ],
)
def test_bad_arguments(argument, value):
    message = rf"LocalContrastNormalization: {argument} must be .*{re.escape(repr(value))}"
    with pytest.raises(ValueError, match=message):
        LocalContrastNormalization(**{argument: value})


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 8, 8, 3, 1)])
def test_non_image_input_is_rejected(shape):
    with pytest.raises(ValueError, match="expects images"):
        LocalContrastNormalization()(np.zeros(shape, np.float32))


# --- Keras plumbing -----------------------------------------------------------------------


def test_config_round_trip():
    layer = LocalContrastNormalization(
        sigma=1.5, kernel_size=7, across_channels=False, padding="zeros", name="lcn"
    )
    clone = LocalContrastNormalization.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.sigma, clone.kernel_size, clone.across_channels) == (1.5, 7, False)
    assert layer.compute_output_shape((None, None, 5, 3)) == (None, None, 5, 3)


def test_saved_model_loads_back_with_identical_outputs(tmp_path):
    inputs = keras.Input((None, None, 3), dtype="uint8")
    x = LocalContrastNormalization(sigma=1.0, name="lcn")(inputs)
    outputs = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(x))
    model = keras.Model(inputs, outputs)
    x = pixels((2, 13, 17, 3), seed=9).astype("uint8")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_layer("lcn").get_config() == model.get_layer("lcn").get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    lcn = keras.ops.convert_to_numpy(loaded.get_layer("lcn")(x))
    np.testing.assert_allclose(lcn, reference(x, sigma=1.0, kernel_size=5), atol=1e-4)


@needs_tf
@pytest.mark.parametrize("jit_compile", [False, True])
def test_inside_tf_function_with_unknown_sizes(jit_compile):
    import tensorflow as tf

    layer = LocalContrastNormalization()
    spec = tf.TensorSpec((None, None, None, 3), tf.float32)
    fn = tf.function(layer, input_signature=[spec])
    if jit_compile:  # XLA needs static shapes; it retraces per shape
        fn = tf.function(layer, jit_compile=True)
    for size in [(9, 9), (13, 6)]:
        x = pixels((2, *size, 3), seed=10)
        np.testing.assert_allclose(fn(x).numpy(), reference(x), atol=1e-4)
