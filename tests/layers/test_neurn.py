"""NeuRN against a float64 NumPy reference, its invariances, and its Keras plumbing."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neurn_keras
from neurn_keras.layer_options import BLOCKINGS, COLORS, LUMINANCE_WEIGHTS, NORMALIZE_OVER
from neurn_keras.layers import NeuRN, placement
from neurn_keras.layers.local_std import block_size, neurn_moments

ON_TENSORFLOW = keras.backend.backend() == "tensorflow"
METHODS = ["moments", "patches"] if ON_TENSORFLOW else ["moments"]
TOLERANCE = {"moments": 2e-3, "patches": 1e-5}
needs_tf = pytest.mark.skipif(not ON_TENSORFLOW, reason="TensorFlow backend only")
# JAX compiles every op for every new shape: fewer hypothesis examples keep its run short.
EXAMPLES = 40 if ON_TENSORFLOW else 8


def reference(
    x: np.ndarray, kernel_size: int, padding: str, normalize_over: str = "image"
) -> np.ndarray:
    """NeuRN in float64 NumPy, written from the definition."""
    pad = kernel_size // 2
    mode = "reflect" if padding == "reflect" else "constant"
    padded = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode=mode)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel_size, kernel_size), (1, 2))
    sigma = windows.std(axis=(-2, -1))
    axes = (1, 2, 3) if normalize_over == "image" else (1, 2)
    peak = sigma.max(axis=axes, keepdims=True)
    return np.where(peak > 0, sigma / np.where(peak > 0, peak, 1.0), 0.0)


def luma(x: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma of RGB images, in float64: (batch, H, W, 1)."""
    return (x.astype(np.float64) @ np.array([0.299, 0.587, 0.114]))[..., None]


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
    mixed = NeuRN(kernel_size=5, dtype="mixed_float16")(x)
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


@pytest.mark.parametrize(
    "argument,value",
    [
        ("method", "box"),
        ("padding", "same"),
        ("normalize_over", "pixel"),
        ("color", "gray"),
        ("blocking", "gpu"),
    ],
)
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

    from neurn_keras.layers.local_std_tf import neurn_function

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        for kernel_size in (3, 5, 9):
            for padding in ("reflect", "zeros"):
                layer = NeuRN(kernel_size, padding=padding, dtype="float32")
                function = neurn_function(kernel_size, padding, "float32", "float32")
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
def test_a_graph_of_any_size_leaves_known_sizes_to_their_own_trace():
    """A trace for ``None`` height and width (the pooled form) must not serve known sizes:
    TensorFlow reuses the most general trace that fits a call."""
    import tensorflow as tf

    layer = NeuRN(9, padding="zeros", normalize_over="channel")
    spec = tf.TensorSpec((None, None, None, 3), tf.float32)
    tf.function(layer, input_signature=[spec])(np.zeros((1, 10, 10, 3), np.float32))
    x = images_with_flat_regions(np.random.default_rng(20), (2, 40, 36, 3), 255)
    direct = tf.function(
        lambda t: neurn_moments(t, 9, "zeros", normalize_over="channel"), jit_compile=True
    )
    out = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(out, direct(x).numpy(), rtol=0, atol=1e-6)


@needs_tf
def test_same_shape_signature_reuses_the_trace():
    from neurn_keras.layers.local_std_tf import neurn_function

    layer = NeuRN(11)
    function = neurn_function(11, "reflect", "float32", "float32")
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


# --- variants for the ablation study (issue 24) ----------------------------------------


def channels_apart(rng, shape) -> np.ndarray:
    """0..255 images whose channels differ a lot in contrast, and one constant channel."""
    x = images_with_flat_regions(rng, shape, 255)
    x[..., 1] = 100 + x[..., 1] / 20  # low contrast
    x[..., 2] = 42.0  # constant
    return x


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
@pytest.mark.parametrize("kernel_size", [3, 7])
@pytest.mark.parametrize("normalize_over", NORMALIZE_OVER)
def test_normalize_over_matches_the_reference(method, padding, kernel_size, normalize_over):
    x = channels_apart(np.random.default_rng(kernel_size), (3, 12, 11, 3))
    kwargs = {"method": method, "padding": padding, "normalize_over": normalize_over}
    out = run(x, kernel_size=kernel_size, **kwargs)
    expected = reference(x, kernel_size, padding, normalize_over)
    # channel 1 spans 1/20 of the range: over its own maximum, the patches' float32
    # rounding errors (relative to the pixel values) come out up to 20 times larger;
    # the moments stay within their 2e-3
    amplified = method == "patches" and normalize_over == "channel"
    atol = TOLERANCE[method] * (20 if amplified else 1)
    np.testing.assert_allclose(out, expected, rtol=0, atol=atol)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kernel_size", [3, 7])
def test_per_channel_every_channel_reaches_one(method, kernel_size):
    x = channels_apart(np.random.default_rng(11), (2, 12, 11, 3))
    out = run(x, kernel_size=kernel_size, method=method, normalize_over="channel")
    peaks = out.max(axis=(1, 2))
    # 1 up to one float32 rounding: XLA may compute a σ once for the maximum and again,
    # fused, for the division, with a last bit of difference
    np.testing.assert_allclose(peaks[:, :2], 1.0, rtol=0, atol=np.finfo(np.float32).eps)
    assert np.all(out[..., 2] == 0)  # the constant channel
    per_image = run(x, kernel_size=kernel_size, method=method)
    assert np.all(per_image[..., 1].max(axis=(1, 2)) < 0.5)  # the image maximum dims it


@pytest.mark.parametrize("kernel_size", [3, 7])
def test_per_channel_is_invariant_to_an_affine_map_of_each_channel(kernel_size):
    """Reflect padding: x[..., c] -> a_c·x[..., c] + b_c, a different map per channel."""
    x = images_with_flat_regions(np.random.default_rng(12), (2, 13, 10, 3), 255)
    gains, offsets = np.array([0.2, -3.0, 7.5]), np.array([40.0, 900.0, -5.0])
    mapped = (x * gains + offsets).astype(np.float32)
    options = {"kernel_size": kernel_size, "normalize_over": "channel"}
    np.testing.assert_allclose(run(mapped, **options), run(x, **options), atol=3e-3)
    # over the whole image, gains that differ between channels change the output
    image = {"kernel_size": kernel_size}
    assert np.abs(run(mapped, **image) - run(x, **image)).max() > 0.1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
def test_one_channel_is_the_same_over_image_and_channel(method, padding):
    x = images_with_flat_regions(np.random.default_rng(13), (3, 11, 9, 1), 255)
    options = {"kernel_size": 7, "method": method, "padding": padding}
    np.testing.assert_array_equal(
        run(x, normalize_over="channel", **options), run(x, normalize_over="image", **options)
    )


def test_luminance_weights_are_bt601():
    assert LUMINANCE_WEIGHTS == (0.299, 0.587, 0.114)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding", ["reflect", "zeros"])
@pytest.mark.parametrize("kernel_size", [3, 7])
def test_luminance_is_neurn_of_the_luma_repeated(method, padding, kernel_size):
    x = images_with_flat_regions(np.random.default_rng(14), (3, 12, 11, 3), 255)
    x[..., 1] = 255 - x[..., 1]  # channels that disagree, so luma differs from each of them
    out = run(x, kernel_size=kernel_size, method=method, padding=padding, color="luminance")
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[..., 1], out[..., 0])
    np.testing.assert_array_equal(out[..., 2], out[..., 0])
    expected = reference(luma(x), kernel_size, padding)[..., 0]
    np.testing.assert_allclose(out[..., 0], expected, rtol=0, atol=TOLERANCE[method])
    rgb = run(x, kernel_size=kernel_size, method=method, padding=padding)
    assert np.abs(rgb[..., 0] - out[..., 0]).max() > 0.1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("normalize_over", NORMALIZE_OVER)
def test_gray_as_rgb_is_the_same_in_both_colours(method, normalize_over):
    gray = images_with_flat_regions(np.random.default_rng(15), (3, 12, 11, 1), 255)
    rgb = np.repeat(gray, 3, axis=-1)
    options = {"kernel_size": 5, "method": method, "normalize_over": normalize_over}
    np.testing.assert_allclose(
        run(rgb, color="luminance", **options), run(rgb, color="rgb", **options), atol=1e-5
    )


@pytest.mark.parametrize("color", COLORS)
def test_one_channel_is_the_same_in_both_colours(color):
    x = images_with_flat_regions(np.random.default_rng(16), (2, 10, 9, 1), 255)
    out = run(x, kernel_size=3, color=color)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out, run(x, kernel_size=3))


def test_luminance_is_invariant_to_an_affine_map():
    x = images_with_flat_regions(np.random.default_rng(17), (2, 12, 12, 3), 255)
    mapped = (-2.5 * x + 700).astype(np.float32)
    base = run(x, kernel_size=7, color="luminance")
    np.testing.assert_allclose(run(mapped, kernel_size=7, color="luminance"), base, atol=3e-3)


def test_luminance_refuses_other_channel_counts():
    with pytest.raises(ValueError, match=r"color='luminance' needs .* got 4 channels.*'rgb'"):
        NeuRN(color="luminance")(np.zeros((1, 8, 8, 4), np.float32))


@pytest.mark.parametrize("padding", ["reflect", "zeros"])
@pytest.mark.parametrize("normalize_over", NORMALIZE_OVER)
def test_forced_batch_paths_agree(padding, normalize_over):
    """Cache blocks (here 2 blocks, the second overlapping) and the whole batch at once."""
    x = images_with_flat_regions(np.random.default_rng(18), (3, 240, 256, 3), 255)
    assert block_size(240, 256, 3) == 2
    options = {"kernel_size": 5, "padding": padding, "normalize_over": normalize_over}
    cache, whole = (run(x, blocking=path, **options) for path in ("cache", "whole"))
    np.testing.assert_allclose(cache, whole, rtol=0, atol=1e-5)
    np.testing.assert_allclose(cache[:1], reference(x[:1], 5, padding, normalize_over), atol=2e-3)
    assert run(x, **options).tobytes() in (cache.tobytes(), whole.tobytes())


def test_auto_takes_the_path_for_the_device_it_runs_on():
    """This machine runs on its CPU: cache blocks, except PyTorch (whole batch everywhere)."""
    x = keras.ops.convert_to_tensor(np.zeros((1, 4, 4, 3), np.float32))
    assert placement.platform_of(x) == "cpu"
    expected = "whole" if keras.backend.backend() == "torch" else "cache"
    assert placement.batch_path("auto", x) == expected
    for forced in ("cache", "whole"):
        assert placement.batch_path(forced, x) == forced
    assert set(BLOCKINGS) == {"auto", "cache", "whole"}


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX backend only")
def test_jax_reads_the_device_of_the_array_or_the_default(monkeypatch):
    import jax

    committed = jax.device_put(np.zeros((1, 4, 4, 3), np.float32), jax.devices()[0])
    monkeypatch.setattr(placement, "jax_default_platform", lambda: "gpu")
    assert placement.batch_path("auto", committed) == "cache"  # where it is committed
    assert placement.batch_path("auto", np.zeros((1, 4, 4, 3))) == "whole"
    paths = []
    jax.jit(lambda t: paths.append(placement.batch_path("auto", t)) or t)(committed)
    assert paths == ["whole"]  # a tracer has no device: the default one


@needs_tf
def test_tensorflow_asks_the_placer_and_tf_data_runs_on_the_host(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(placement, "tensorflow_default_platform", lambda: "gpu")
    x = tf.zeros((1, 4, 4, 3))
    assert placement.batch_path("auto", x) == "cache"  # eager: the probe ran on the CPU
    seen = []

    def probe(t):
        seen.append(placement.batch_path("auto", t))
        return t

    def pinned(t):
        with tf.device("/CPU:0"):
            return probe(t)

    tf.function(probe)(x)  # a graph without a device request: the default placement
    tf.function(pinned)(x)  # a graph that requests the CPU
    list(tf.data.Dataset.from_tensors(x).map(probe))  # tf.data: the host
    assert seen == ["whole", "cache", "cache"]


def test_patches_has_no_batch_path():
    if not ON_TENSORFLOW:
        pytest.skip("method='patches' is TensorFlow only")
    with pytest.raises(ValueError, match=r"blocking='whole' .* method='moments'"):
        NeuRN(method="patches", blocking="whole")


VARIANTS = [
    {"kernel_size": 7, "padding": "zeros", "normalize_over": "channel"},
    {"kernel_size": 7, "color": "luminance", "blocking": "whole"},
    {"kernel_size": 3, "normalize_over": "channel", "color": "luminance", "blocking": "cache"},
]


@pytest.mark.parametrize("options", VARIANTS)
def test_variants_round_trip_through_config_and_keras_file(tmp_path, options):
    layer = NeuRN(name="n", **options)
    config = layer.get_config()
    assert {key: config[key] for key in options} == options
    clone = NeuRN.from_config(config)
    assert clone.get_config() == config
    model = small_model(**options)
    x = np.random.default_rng(19).integers(0, 256, (2, 13, 17, 3)).astype("uint8")
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.get_layer("neurn").get_config() == model.get_layer("neurn").get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_the_gradient_is_finite_on_flat_windows():
    """√ of a flat window's variance has an infinite slope at 0; NeuRN's does not, so it can
    sit inside a network (after a ReLU most windows are flat)."""
    x = np.random.default_rng(0).uniform(0, 1, (2, 12, 12, 3)).astype("float32")
    x[:, :6] = 0.0
    layer = NeuRN(kernel_size=3, blocking="whole")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            total = tf.reduce_sum(layer(tensor) ** 2)
        gradient = tape.gradient(total, tensor).numpy()
    elif backend == "jax":
        import jax

        gradient = np.asarray(jax.grad(lambda v: (layer(v) ** 2).sum())(x))
    else:
        import torch

        tensor = torch.tensor(x, requires_grad=True)
        (layer(tensor) ** 2).sum().backward()
        gradient = tensor.grad.numpy()
    assert np.isfinite(gradient).all() and np.abs(gradient).sum() > 0
