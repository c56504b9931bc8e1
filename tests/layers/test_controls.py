"""The one-line controls against float64 NumPy references, their invariances (and the
ones they lack, which is what makes them controls), and their Keras plumbing."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

import neurn_keras.layers.controls as controls_module
from neurn_keras.layer_options import INPUT_NORMS
from neurn_keras.layers import (
    LocalStd,
    LuminanceMinMax,
    NeuRN,
    PerImageStandardization,
    SobelMagnitude,
)

CONTROLS = {
    "standardize": PerImageStandardization,
    "minmax": LuminanceMinMax,
    "sobel": SobelMagnitude,
    "localstd": LocalStd,
}


def pixels(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.float32)


def run(layer, x) -> np.ndarray:
    return keras.ops.convert_to_numpy(layer(x))


def luma(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.float64) @ np.array([0.299, 0.587, 0.114]))[..., None]


def reference(name: str, x: np.ndarray, padding: str = "reflect") -> np.ndarray:
    """Each control in float64 NumPy/SciPy, written from its definition."""
    x = x.astype(np.float64)
    if name == "standardize":
        centred = x - x.mean(axis=(1, 2, 3), keepdims=True)
        spread = centred.std(axis=(1, 2, 3), keepdims=True)
        return np.where(spread > 0, centred / np.where(spread > 0, spread, 1), 0)
    if name == "minmax":
        gray = luma(x) if x.shape[-1] == 3 else x
        low = gray.min(axis=(1, 2, 3), keepdims=True)
        high = gray.max(axis=(1, 2, 3), keepdims=True)
        scaled = np.where(high > low, (gray - low) / np.where(high > low, high - low, 1), 0)
        return np.repeat(scaled, x.shape[-1], axis=-1)
    numpy_mode = "reflect" if padding == "reflect" else "constant"
    if name == "sobel":
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=numpy_mode)
        windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), (1, 2))
        sobel = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
        across = np.einsum("bhwcij,ij->bhwc", windows, sobel)
        down = np.einsum("bhwcij,ij->bhwc", windows, sobel.T)
        magnitude = np.hypot(across, down)
        peak = magnitude.max(axis=(1, 2, 3), keepdims=True)
        return np.where(peak > 0, magnitude / np.where(peak > 0, peak, 1), 0)
    padded = np.pad(x / 255, ((0, 0), (1, 1), (1, 1), (0, 0)), mode=numpy_mode)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), (1, 2))
    return windows.std(axis=(-2, -1))


def test_docstring_examples():
    assert doctest.testmod(controls_module).failed == 0


def test_every_declared_control_is_tested_here():
    declared = {n for n, s in INPUT_NORMS.items() if s.layer and n not in ("neurn", "lcn")}
    assert declared == set(CONTROLS)


@pytest.mark.parametrize("name", CONTROLS)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(7, 10), (12, 9), (3, 3)])
def test_matches_float64_reference(name, channels, size):
    x = pixels((3, *size, channels), seed=size[0] + channels)
    out = run(CONTROLS[name](), x)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, reference(name, x), atol=2e-5)


@pytest.mark.parametrize("name", ["sobel", "localstd"])
def test_zero_padding_matches_the_reference(name):
    x = pixels((2, 9, 8, 3), seed=4)
    out = run(CONTROLS[name](padding="zeros"), x)
    np.testing.assert_allclose(out, reference(name, x, "zeros"), atol=2e-5)


def affine(x, a: float, b: float) -> np.ndarray:
    return (a * x.astype(np.float64) + b).astype(np.float32)


INVARIANCES = {
    # name: (brightness and contrast with a > 0, inversion 255 - x)
    "neurn": (True, True),
    "standardize": (True, False),
    "minmax": (True, False),
    "sobel": (True, True),
    "localstd": (False, True),
}


@pytest.mark.parametrize("name", INVARIANCES)
def test_invariances_are_the_declared_ones(name):
    """What each control keeps from NeuRN and what it lacks: the reason it is a control."""
    layer = NeuRN() if name == "neurn" else CONTROLS[name]()
    x = pixels((4, 12, 11, 3), seed=5)
    out = run(layer, x)
    contrast, inversion = INVARIANCES[name]
    changed = {
        "contrast": np.abs(run(layer, affine(x, 0.4, 60)) - out).max(),
        "inversion": np.abs(run(layer, affine(x, -1, 255)) - out).max(),
    }
    tolerance = 2e-3 if name == "neurn" else 1e-4
    assert (changed["contrast"] < tolerance) == contrast, changed
    assert (changed["inversion"] < tolerance) == inversion, changed


def test_inversion_of_standardization_and_minmax_is_their_mirror_image():
    x = pixels((2, 10, 10, 3), seed=6)
    inverted = affine(x, -1, 255)
    np.testing.assert_allclose(
        run(PerImageStandardization(), inverted), -run(PerImageStandardization(), x), atol=1e-5
    )
    np.testing.assert_allclose(
        run(LuminanceMinMax(), inverted), 1 - run(LuminanceMinMax(), x), atol=1e-5
    )


def test_local_std_is_neurn_before_its_division():
    x = pixels((3, 9, 9, 3), seed=7)
    sigma = run(LocalStd(), x)
    peak = sigma.max(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(sigma / peak, run(NeuRN(kernel_size=3), x), atol=2e-3)


@pytest.mark.parametrize("name", CONTROLS)
def test_constant_image_gives_zeros_and_leaves_the_batch(name):
    x = pixels((3, 8, 8, 3), seed=8)
    x[1] = 0.1 + 200  # constant, not representable exactly in float32
    alone = run(CONTROLS[name](), x[[0, 2]])
    out = run(CONTROLS[name](), x)
    np.testing.assert_array_equal(out[1], 0)
    np.testing.assert_allclose(out[[0, 2]], alone, atol=1e-6)


@pytest.mark.parametrize("name", ["sobel", "minmax"])
def test_output_in_unit_interval_reaching_one(name):
    out = run(CONTROLS[name](), pixels((5, 10, 10, 3), seed=9))
    assert out.min() >= 0
    np.testing.assert_allclose(out.max(axis=(1, 2, 3)), 1, atol=1e-6)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "float64"])
@pytest.mark.parametrize("name", CONTROLS)
def test_any_input_dtype_gives_float32(name, dtype):
    out = CONTROLS[name]()(pixels((2, 6, 6, 3)).astype(dtype))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: LocalStd(kernel_size=4), "kernel_size must be an odd int"),
        (lambda: LocalStd(padding="same"), "padding must be one of"),
        (lambda: SobelMagnitude(padding="edge"), "padding must be one of"),
        (lambda: LocalStd(input_max=0), "input_max must be a number"),
    ],
)
def test_bad_arguments_say_what_is_allowed(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_minmax_needs_one_or_three_channels():
    with pytest.raises(ValueError, match=r"1 channel.*3 channels"):
        LuminanceMinMax()(pixels((1, 5, 5, 4)))


@pytest.mark.parametrize("name", CONTROLS)
def test_non_image_input_is_rejected(name):
    with pytest.raises(ValueError, match="expects images"):
        CONTROLS[name]()(pixels((5, 5, 3)))


@pytest.mark.parametrize("name", CONTROLS)
def test_saved_model_loads_back_with_identical_outputs(tmp_path, name):
    inputs = keras.Input((None, None, 3), dtype="uint8")
    layer = CONTROLS[name](name="control")
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(layer(inputs)))
    x = pixels((2, 9, 7, 3), seed=10).astype("uint8")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.get_layer("control")) is type(layer)
    assert loaded.get_layer("control").get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", CONTROLS)
def test_trains_in_a_compiled_step(name):
    """A finite loss that falls on one batch (the layer passes a finite gradient where
    it has one, and the backbone after it trains)."""
    inputs = keras.Input((8, 8, 3))
    x = CONTROLS[name]()(inputs)
    x = keras.layers.Conv2D(4, 3, kernel_initializer=keras.initializers.GlorotUniform(0))(x)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    x, y = pixels((4, 8, 8, 3), seed=11), np.arange(4, dtype="float32")[:, None]
    losses = [float(model.train_on_batch(x, y)) for _ in range(5)]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
