"""DigitNet: the literature's layers and size, and it learns (loss falls on a fixed batch)."""

from __future__ import annotations

import keras
import numpy as np

from neurn_keras import applications


def test_layers_and_parameters_follow_volpi_et_al_2018():
    model = applications.build_model("digitnet", input_shape=(28, 28, 1), classes=10)
    shapes = {
        name: tuple(model.get_layer(name).output.shape[1:])
        for name in ("conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2")
    }
    assert shapes == {
        "conv1": (28, 28, 64),
        "pool1": (14, 14, 64),
        "conv2": (10, 10, 128),
        "pool2": (5, 5, 128),
        "flatten": (3200,),
        "fc1": (1024,),
        "fc2": (1024,),
    }
    for name in ("conv1", "conv2", "fc1", "fc2"):
        assert model.get_layer(name).get_config()["activation"] == "relu"
    for name in ("conv1", "conv2"):
        config = model.get_layer(name).get_config()
        assert (config["padding"], config["kernel_size"]) == ("valid", (5, 5))
    expected = (
        (5 * 5 * 3 * 64 + 64)
        + (5 * 5 * 64 * 128 + 128)
        + (3200 * 1024 + 1024)
        + (1024 * 1024 + 1024)
        + (1024 * 10 + 10)
    )
    assert model.count_params() == expected


def test_a_few_steps_on_a_fixed_batch_lower_the_loss():
    keras.utils.set_random_seed(0)
    model = applications.build_model("digitnet", neurn=True, input_shape=(28, 28, 1))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    labels = np.arange(16) % 4
    # Four classes of bars at different positions, on noise: learnable, not trivial.
    images = rng.integers(0, 80, (16, 28, 28, 1))
    for i, label in enumerate(labels):
        images[i, :, 4 + 5 * label : 7 + 5 * label] += 150
    images = images.astype(np.uint8)
    losses = [float(model.train_on_batch(images, labels)) for _ in range(8)]
    assert losses[-1] < 0.5 * losses[0], losses


def test_pixels_reach_the_network_in_minus_one_to_one():
    model = applications.build_model("digitnet", neurn=False, input_shape=(32, 32, 3))
    inside = keras.Model(model.input, model.get_layer("preprocess").output)
    x = np.stack([np.zeros((32, 32, 3)), np.full((32, 32, 3), 255.0)]).astype(np.float32)
    out = keras.ops.convert_to_numpy(inside(x))
    np.testing.assert_allclose(out[0], -1.0)
    np.testing.assert_allclose(out[1], 1.0)


def test_pytorch_initialization_draws_weights_and_biases_within_one_over_root_fan_in():
    keras.utils.set_random_seed(0)
    model = applications.build_model("digitnet", input_shape=(32, 32, 3))
    fan_ins = {"conv1": 5 * 5 * 3, "conv2": 5 * 5 * 64, "fc1": 3200, "fc2": 1024,
               "predictions": 1024}  # fmt: skip
    for name, fan_in in fan_ins.items():
        kernel, bias = model.get_layer(name).get_weights()
        bound = 1 / np.sqrt(fan_in)
        assert np.abs(kernel).max() <= bound and np.abs(bias).max() <= bound, name
        # uniform on ±bound: std bound/√3; the biases are drawn too (not zero)
        assert abs(kernel.std() / (bound / np.sqrt(3)) - 1) < 0.1, name
        assert np.abs(bias).max() > 0.5 * bound, name


def test_keras_initialization_keeps_glorot_weights_and_zero_biases():
    keras.utils.set_random_seed(0)
    model = applications.build_model("digitnet", initialization="keras")
    kernel, bias = model.get_layer("fc1").get_weights()
    glorot_std = np.sqrt(2 / (3200 + 1024))
    assert abs(kernel.std() / glorot_std - 1) < 0.1
    assert not bias.any()


def test_unknown_initialization_is_refused():
    import pytest

    with pytest.raises(ValueError, match="initialization must be one of"):
        applications.build_model("digitnet", initialization="he")
