"""Neural maps (N = Tᵀ·FS) and kernel maps, against hand-made cases."""

import keras
import numpy as np
import pytest
from cortex_fixtures import small_model

from neurn_keras.cortex import conv_layers, feature_representations, neural_representations


def scenes(n=5, size=4, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, size, size)).astype(np.uint8)


def test_a_cell_that_responds_to_one_scene_gets_that_scene():
    s = scenes()
    responses = np.zeros((2, 5))
    responses[0, 3] = 1.0
    responses[1, 0] = 2.0
    literal = neural_representations(responses, s, size=4, center=False)
    np.testing.assert_allclose(literal[0], s[3])
    np.testing.assert_allclose(literal[1], 2 * s[0].astype(float))
    centered = neural_representations(responses, s, size=4, center=True)
    np.testing.assert_allclose(centered[0], s[3] - s.astype(float).mean(axis=0), rtol=1e-5)


def test_maps_are_the_product_of_responses_and_flattened_scenes():
    s = scenes(n=6, size=5)
    t = np.random.default_rng(1).normal(size=(3, 6))
    maps = neural_representations(t, s, size=5, center=False)
    expected = (t @ s.reshape(6, -1).astype(float)).reshape(3, 5, 5)
    np.testing.assert_allclose(maps, expected, rtol=1e-5)
    centered = neural_representations(t, s, size=5)
    expected_c = ((t - t.mean(axis=1, keepdims=True)) @ s.reshape(6, -1)).reshape(3, 5, 5)
    np.testing.assert_allclose(centered, expected_c, rtol=1e-4, atol=1e-3)


def test_a_constant_cell_has_an_empty_centered_map():
    maps = neural_representations(np.full((1, 5), 3.0), scenes(), size=4)
    np.testing.assert_allclose(maps, 0, atol=1e-4)


def test_time_resolved_and_resized():
    s = scenes(n=5, size=8)
    t = np.random.default_rng(2).normal(size=(2, 5, 3))
    maps = neural_representations(t, s, size=(2, 4))
    assert maps.shape == (2, 3, 2, 4)
    per_time = neural_representations(t[:, :, 1], s, size=(2, 4))
    np.testing.assert_allclose(maps[:, 1], per_time, rtol=1e-5)


def test_scene_count_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"5 scenes in responses but scenes has shape \(4, 4, 4\)"):
        neural_representations(np.zeros((2, 5)), scenes(n=4), size=4)


def test_kernel_maps_are_every_filter_over_every_channel():
    model = small_model(True)
    reps = feature_representations(model)
    assert list(reps) == ["conv1", "conv2"]
    assert reps["conv1"].shape == (8 * 3, 5, 5) and reps["conv2"].shape == (6 * 8, 3, 3)
    kernel = model.get_layer("conv2").kernel.numpy()  # (3, 3, C=8, F=6)
    for f, c in [(0, 0), (2, 5), (5, 7)]:
        np.testing.assert_array_equal(reps["conv2"][f * 8 + c], kernel[:, :, c, f])


def test_nested_backbones_are_walked():
    model = small_model(False, nested=True)
    reps = feature_representations(model)
    assert list(reps) == ["backbone/conv1", "backbone/conv2"]
    inner = model.get_layer("backbone").get_layer("conv1").kernel.numpy()
    np.testing.assert_array_equal(reps["backbone/conv1"][3 * 3 + 1], inner[:, :, 1, 3])


def test_depthwise_and_separable_on_request():
    inputs = keras.Input((16, 16, 2))
    x = keras.layers.Conv2D(4, 3, name="c")(inputs)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(x)
    x = keras.layers.SeparableConv2D(5, 3, name="sep")(x)
    x = keras.layers.Conv2D(3, 1, name="pointwise")(x)
    model = keras.Model(inputs, x)
    assert [p for p, _ in conv_layers(model)] == ["c", "pointwise"]
    reps = feature_representations(model, depthwise=True, min_size=2)
    assert list(reps) == ["c", "dw", "sep"]  # the 1×1 convolution is below min_size
    dw = model.get_layer("dw").kernel.numpy()  # (3, 3, C=4, M=2)
    np.testing.assert_array_equal(reps["dw"][1 * 2 + 1], dw[:, :, 1, 1])
    assert reps["sep"].shape == (8 * 1, 3, 3)  # its depthwise kernel over dw's 4·2 channels


def test_a_model_without_conv2d_is_refused():
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)), name="mlp")
    with pytest.raises(ValueError, match=r"model 'mlp' has no Conv2D layer.*depthwise=True"):
        feature_representations(model)
    only_1x1 = keras.Model(inputs, keras.layers.Conv2D(2, 1)(inputs), name="pw")
    with pytest.raises(ValueError, match="smaller than 2x2"):
        feature_representations(only_1x1, min_size=2)
