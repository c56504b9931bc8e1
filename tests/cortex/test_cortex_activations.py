"""Layer activations through nested models, and the scenes as model input."""

import numpy as np
import pytest
from cortex_fixtures import small_model

from neurn_keras import NeuRN
from neurn_keras.cortex import activation_layers, layer_activations, prepare_scenes


def test_nested_activations_equal_a_manual_forward_pass():
    model = small_model(True, nested=True)
    assert activation_layers(model) == ["neurn", "backbone/conv1", "backbone/conv2"]
    images = np.random.default_rng(0).integers(0, 256, size=(4, 32, 32, 3)).astype(np.uint8)
    acts = layer_activations(model, images)
    assert list(acts) == ["neurn", "backbone/conv1", "backbone/conv2"]
    backbone = model.get_layer("backbone")
    normed = np.asarray(NeuRN()(images.astype("float32")))
    np.testing.assert_allclose(acts["neurn"], normed, atol=1e-6)
    conv1 = np.asarray(backbone.get_layer("conv1")(normed))
    np.testing.assert_allclose(acts["backbone/conv1"], conv1, atol=1e-5)
    pooled = np.asarray(backbone.get_layer("pool")(conv1))
    np.testing.assert_allclose(
        acts["backbone/conv2"], np.asarray(backbone.get_layer("conv2")(pooled)), atol=1e-5
    )


def test_chosen_layers_and_unknown_names():
    model = small_model(False)
    images = np.zeros((2, 32, 32, 3), np.uint8)
    assert list(layer_activations(model, images, layers=["conv2", "head"])) == ["conv2", "head"]
    with pytest.raises(ValueError, match=r"no layers \['conv9'\]"):
        layer_activations(model, images, layers=["conv9"])


def test_prepare_scenes_gives_the_model_input():
    model = small_model(True)
    gray = np.random.default_rng(1).integers(0, 256, size=(3, 31, 31)).astype(np.uint8)
    x = prepare_scenes(gray, model)
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[..., 0], x[..., 2])  # gray copied to RGB
    assert abs(float(x.mean()) - float(gray.mean())) < 2
