"""NeuRN against a float64 NumPy reference, its invariances, and its Keras plumbing."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurn_keras
from neurn_keras.layers import NeuRN
from neurn_keras.layers.local_std import block_size, neurn_moments

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
METHODS = ["moments", "patches"] if ON_TENSORFLOW else ["moments"]
TOLERANCE = {"moments": 2e-3, "patches": 1e-5}
needs_tf = pytest.mark.skipif(not ON_TENSORFLOW, reason="TensorFlow backend only")
# JAX compiles every op for every new shape: fewer hypothesis examples keep its run short.
EXAMPLES = 40 if ON_TENSORFLOW else 8


def reference(x: np.ndarray, kernel_size: int, padding: str) -> np.ndarray:
    """NeuRN in float64 NumPy, written from the definition."""
    pad = kernel_size // 2
    mode = "reflect" if padding == "reflect" else "constant"
    padded = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode=mode)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel_size, kernel_size), (1, 2))
    sigma = windows.std(axis=(-2, -1))
    peak = sigma.max(axis=(1, 2, 3), keepdims=True)
    return np.where(peak > 0, sigma / np.where(peak > 0, peak, 1.0), 0.0)


def images_with_flat_regions(rng, shape, scale: float) -> np.ndarray:
    """Random images in [0, scale] with constant blocks at 0, at scale and in between."""
    x = rng.uniform(0, scale, shape)
    if scale == 255:
        x = np.round(x)
    _, height, width, _ = shape
    x[:, : height // 2, : width // 3] = 0
    x[:, height // 2 :, width // 2 :] = scale
    x[:, : height // 3, width // 2 :] = 0.4 * scale
    return x.astype(np.float32)


def run(x, **kwargs) -> np.ndarray:
    return keras.ops.convert_to_numpy(NeuRN(**kwargs)(x))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7, 9])
@pytest.mark.parametrize("height,width", [(7, 10), (12, 9)])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [1.0, 255])
def test_matches_float64_reference(method, padding, kernel_size, height, width, channels, scale):
    rng = np.random.default_rng(kernel_size * 100 + height + channels)
    x = images_with_flat_regions(rng, (3, height, width, channels), scale)
    out = run(x, kernel_size=kernel_size, method=method, padding=padding)
    expected = reference(x, kernel_size, padding)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=0, atol=TOLERANCE[method])


BLOCK_OF_4 = 4 * 4 * 11 * 8 * 3  # bytes of 4 float32 images of 11×8×3


@pytest.mark.parametrize("batch", [1, 4, 5, 11])
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
@pytest.mark.parametrize("kernel_size", [3, 7])
def test_blocks_of_images_match_the_reference(batch, padding, kernel_size):
    """Blocks of 4 images: one block, several, and a last block overlapping the one before."""
    x = images_with_flat_regions(np.random.default_rng(batch), (batch, 11, 8, 3), 255)
    assert block_size(11, 8, 3, block_bytes=BLOCK_OF_4) == 4
    out = neurn_moments(
        keras.ops.convert_to_tensor(x), kernel_size, padding, block_bytes=BLOCK_OF_4
    )
    expected = reference(x, kernel_size, padding)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, atol=2e-3)


@needs_tf
@pytest.mark.parametrize("batch", [1, 4, 5, 11])
def test_blocks_with_a_batch_unknown_when_traced(batch):
    """A TensorFlow graph with batch None: padded up to one block, or looped over blocks."""
    import tensorflow as tf

    spec = tf.TensorSpec((None, 11, 8, 3), tf.float32)
    fn = tf.function(lambda t: neurn_moments(t, 5, block_bytes=BLOCK_OF_4), input_signature=[spec])
    x = images_with_flat_regions(np.random.default_rng(batch), (batch, 11, 8, 3), 255)
    np.testing.assert_allclose(fn(x).numpy(), reference(x, 5, "reflect"), atol=2e-3)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", [(1, 1), (1, 5), (2, 2), (3, 1)])
def test_images_smaller_than_the_window(method, size):
    """Reflection over more than the image (periodic, as numpy does) and 1-pixel images."""
    x = np.random.default_rng(0).integers(0, 256, (2, *size, 2)).astype(np.float32)
    for padding in ("reflect", "zeros"):
        out = run(x, kernel_size=9, method=method, padding=padding)
        np.testing.assert_allclose(out, reference(x, 9, padding), atol=TOLERANCE[method])


def test_smooth_image_precision_of_moments():
    """A low-contrast ramp far from zero: the case the per-image centring is for."""
    ramp = 200 + np.linspace(0, 3, 64)[None, :, None, None] * np.ones((2, 64, 64, 1)) / 64
    ramp = ramp + np.linspace(0, 3, 64)[None, None, :, None] / 64
    x = np.round(ramp * 64).astype(np.float32)  # integers 12800..12992
    out = run(x, kernel_size=5)
    np.testing.assert_allclose(out, reference(x, 5, "reflect"), atol=2e-3)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "float32", "float64"])
def test_any_input_dtype_gives_float32(dtype):
    x = images_with_flat_regions(np.random.default_rng(1), (2, 9, 9, 3), 255).astype(dtype)
    out = run(x, kernel_size=3)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(x.astype(np.float64), 3, "reflect"), atol=2e-3)


def test_output_follows_the_compute_dtype():
    x = np.random.default_rng(2).integers(0, 256, (2, 8, 8, 3)).astype("uint8")
    if keras.backend.backend() != "jax":  # JAX keeps float64 off unless jax_enable_x64
        assert keras.ops.convert_to_numpy(NeuRN(dtype="float64")(x)).dtype == np.float64
    mixed = NeuRN(dtype="mixed_float16")(x)
    assert keras.ops.convert_to_numpy(mixed).dtype == np.float16
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(mixed).astype(np.float64), reference(x, 5, "reflect"), atol=2e-3
    )


def test_constant_image_gives_zeros_and_does_not_disturb_the_batch():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (3, 10, 10, 3)).astype(np.float32)
    x[1] = 77.0
    out = run(x)
    assert np.all(out[1] == 0) and not np.isnan(out).any()
    np.testing.assert_allclose(out[[0, 2]], run(x[[0, 2]]), atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", [(1, 1), (5, 7), (40, 33)])
def test_solid_colour_images_give_zeros(method, size):
    """Each channel constant, channels different: σ is 0, not rounding noise scaled to 1."""
    colours = np.array([[255.0, 0.0, 17.0], [3.5, 200.25, 99.0]], np.float32)
    x = np.broadcast_to(colours[:, None, None, :], (2, *size, 3)).copy()
    for kernel_size in (3, 9):
        assert np.all(run(x, kernel_size=kernel_size, method=method) == 0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", METHODS)
def test_non_finite_values_stay_in_their_image(bad, method):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 256, (3, 11, 11, 2)).astype(np.float32)
    clean = run(x, method=method)
    x[1, 5, 5, 0] = bad
    out = run(x, method=method)
    np.testing.assert_array_equal(out[[0, 2]], clean[[0, 2]])


# --- properties ---------------------------------------------------------------------------

image_shapes = st.tuples(
    st.integers(1, 3), st.integers(1, 12), st.integers(1, 12), st.sampled_from([1, 3])
)
pixel_images = hnp.arrays(np.float32, image_shapes, elements=st.integers(0, 255).map(float))
odd_kernels = st.sampled_from([1, 3, 5, 7])
gains = st.floats(0.05, 20).flatmap(lambda a: st.sampled_from([a, -a]))


@settings(max_examples=EXAMPLES, deadline=None)
@given(x=pixel_images, kernel_size=odd_kernels, a=gains, offset=st.floats(-1000, 1000))
def test_reflect_is_invariant_to_affine_maps(x, kernel_size, a, offset):
    """x -> a*x + b with b = a*offset: exact in float32 up to rounding of the product."""
    per_image = np.arange(1, x.shape[0] + 1, dtype=np.float32).reshape(-1, 1, 1, 1)
    mapped = (a * per_image) * (x + offset)
    base = run(x, kernel_size=kernel_size)
    np.testing.assert_allclose(run(mapped, kernel_size=kernel_size), base, atol=3e-3)


@settings(max_examples=EXAMPLES, deadline=None)
@given(x=pixel_images, kernel_size=odd_kernels, a=gains)
def test_zeros_is_invariant_to_scaling(x, kernel_size, a):
    base = run(x, kernel_size=kernel_size, padding="zeros")
    np.testing.assert_allclose(
        run(a * x, kernel_size=kernel_size, padding="zeros"), base, atol=3e-3
    )


def test_zeros_is_not_invariant_to_a_brightness_shift():
    """The reason reflect is the default: with zeros a shift makes edges at the border."""
    x = np.full((1, 16, 16, 1), 10.0, np.float32)
    x[:, 6:10, 6:10] = 60.0
    for padding, changes in (("reflect", False), ("zeros", True)):
        diff = np.abs(run(x + 100, padding=padding) - run(x, padding=padding)).max()
        assert bool(diff > 0.1) == changes


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    x=hnp.arrays(np.float32, image_shapes, elements=st.floats(-1e4, 1e4, width=32)),
    kernel_size=odd_kernels,
    padding=st.sampled_from(["reflect", "zeros"]),
)
def test_output_in_unit_interval_with_max_one(x, kernel_size, padding):
    out = run(x, kernel_size=kernel_size, padding=padding)
    assert np.all((out >= 0) & (out <= 1))
    peaks = out.max(axis=(1, 2, 3))
    assert np.all((peaks == 0) | np.isclose(peaks, 1, atol=1e-6))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    value=st.floats(-1e6, 1e6, width=32),
    shape=image_shapes,
    kernel_size=odd_kernels,
)
def test_constant_images_give_zeros(value, shape, kernel_size):
    x = np.full(shape, value, np.float32)
    assert np.all(run(x, kernel_size=kernel_size) == 0)


@settings(max_examples=EXAMPLES, deadline=None)
@given(x=pixel_images, where=st.tuples(st.integers(0, 99), st.integers(0, 99)))
def test_nan_in_one_image_leaves_the_others(x, where):
    if x.shape[0] < 2:
        x = np.concatenate([x, x[::-1, ::-1]], axis=0)
    clean = run(x)
    poisoned = x.copy()
    poisoned[0, where[0] % x.shape[1], where[1] % x.shape[2], 0] = np.nan
    np.testing.assert_array_equal(run(poisoned)[1:], clean[1:])


# --- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize("kernel_size", [0, 2, 4, -3, 3.0, "5", True, None])
def test_bad_kernel_size(kernel_size):
    with pytest.raises(ValueError, match=rf"kernel_size.*{kernel_size!r}"):
        NeuRN(kernel_size=kernel_size)


@pytest.mark.parametrize("argument,value", [("method", "box"), ("padding", "same")])
def test_bad_choice_lists_the_allowed_values(argument, value):
    with pytest.raises(ValueError, match=rf"{argument} must be one of .*{value!r}"):
        NeuRN(**{argument: value})


@pytest.mark.skipif(ON_TENSORFLOW, reason="the error is for non-TensorFlow backends")
def test_patches_needs_tensorflow():
    with pytest.raises(ValueError, match="TensorFlow backend"):
        NeuRN(method="patches")


@pytest.mark.parametrize("shape", [(8, 8, 3), (2, 8, 8, 3, 1)])
def test_non_image_input_is_rejected(shape):
    with pytest.raises(ValueError, match="expects images"):
        NeuRN()(np.zeros(shape, np.float32))


def test_public_names():
    assert neurn_keras.NeuRN is neurn_keras.layers.NeuRN is NeuRN


# --- Keras plumbing -----------------------------------------------------------------------


def small_model(**neurn_kwargs) -> keras.Model:
    inputs = keras.Input((None, None, 3), dtype="uint8")
    x = NeuRN(name="neurn", **neurn_kwargs)(inputs)
    x = keras.layers.Conv2D(4, 3)(x)
    outputs = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, outputs)


def test_config_round_trip():
    layer = NeuRN(kernel_size=7, padding="zeros", name="n", dtype="float64")
    clone = NeuRN.from_config(layer.get_config())
    assert (clone.kernel_size, clone.method, clone.padding) == (7, "moments", "zeros")
    assert clone.name == "n" and clone.compute_dtype == "float64"
    assert layer.compute_output_shape((None, None, 5, 2)) == (None, None, 5, 2)


@pytest.mark.parametrize("method", METHODS)
def test_saved_model_loads_back_with_identical_outputs(tmp_path, method):
    model = small_model(kernel_size=3, method=method, padding="zeros")
    x = np.random.default_rng(5).integers(0, 256, (2, 13, 17, 3)).astype("uint8")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("neurn"), NeuRN)
    assert loaded.get_layer("neurn").get_config() == model.get_layer("neurn").get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unknown_spatial_size_in_a_model():
    model = small_model(kernel_size=5)
    for size in [(6, 9), (31, 20)]:
        x = np.random.default_rng(6).integers(0, 256, (2, *size, 3)).astype("uint8")
        out = keras.ops.convert_to_numpy(model.get_layer("neurn")(x))
        np.testing.assert_allclose(out, reference(x, 5, "reflect"), atol=2e-3)


@needs_tf
@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_inside_tf_function(jit_compile, method):
    import tensorflow as tf

    layer = NeuRN(kernel_size=5, method=method)
    spec = tf.TensorSpec((None, None, None, 3), tf.float32)
    fn = tf.function(layer, jit_compile=jit_compile, input_signature=[spec])
    if jit_compile:  # XLA needs static shapes; retrace per shape
        fn = tf.function(layer, jit_compile=True)
    x = np.random.default_rng(7).integers(0, 256, (2, 12, 15, 3)).astype(np.float32)
    np.testing.assert_allclose(fn(x).numpy(), reference(x, 5, "reflect"), atol=2e-3)


@needs_tf
@pytest.mark.parametrize("method", METHODS)
def test_in_a_tf_data_map(method):
    import tensorflow as tf

    layer = NeuRN(kernel_size=3, method=method, padding="zeros")
    x = np.random.default_rng(8).integers(0, 256, (6, 10, 7, 1)).astype("uint8")
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(4).map(layer)
    out = np.concatenate([batch.numpy() for batch in dataset])
    np.testing.assert_allclose(out, reference(x, 3, "zeros"), atol=TOLERANCE[method])


# --- compilation ---------------------------------------------------------------------------


@needs_tf
def test_one_trace_per_image_size_and_no_retracing_warning():
    """New batch sizes reuse the trace; a new image size traces once; nothing is logged.

    The demo calls six layers (k, padding) on images of three sizes: before, their
    functions shared one Python code object, and TensorFlow counted all their traces as
    retracings of one function ("5 out of the last 5 calls ... triggered retracing").
    """
    import logging

    from neurn_keras.layers.local_std_tf import _neurn_function

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        for kernel_size in (3, 5, 9):
            for padding in ("reflect", "zeros"):
                layer = NeuRN(kernel_size, padding=padding, dtype="float32")
                function = _neurn_function(kernel_size, padding, "float32", "float32")
                before = function.experimental_get_tracing_count()
                for height, width, channels in ((29, 27, 1), (17, 15, 1), (31, 33, 3)):
                    for batch in (1, 2, 1):
                        layer(np.zeros((batch, height, width, channels), np.uint8))
                traces = function.experimental_get_tracing_count() - before
                assert traces == 3, (kernel_size, padding, traces)
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    assert not [r.getMessage() for r in records if "retracing" in r.getMessage()]


@needs_tf
def test_same_shape_signature_reuses_the_trace():
    from neurn_keras.layers.local_std_tf import _neurn_function

    layer = NeuRN(11)
    function = _neurn_function(11, "reflect", "float32", "float32")
    x = np.random.default_rng(9).integers(0, 256, (2, 13, 14, 3)).astype(np.float32)
    before = function.experimental_get_tracing_count()
    first = run(x, kernel_size=11)
    assert function.experimental_get_tracing_count() == before + 1
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), first)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x[:1])), first[:1])
    assert function.experimental_get_tracing_count() == before + 1


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX backend only")
def test_jax_compiles_once_per_shape():
    from neurn_keras.layers.local_std_jax import compiled_neurn_moments

    layer = NeuRN(11, padding="zeros")
    function = compiled_neurn_moments(11, "zeros", "float32", "float32")
    x = np.random.default_rng(10).integers(0, 256, (2, 13, 14, 3)).astype(np.float32)
    for _ in range(3):
        layer(x)
    assert function._cache_size() == 1
    layer(x[:1])
    assert function._cache_size() == 2
