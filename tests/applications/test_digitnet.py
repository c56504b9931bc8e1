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


# --- inner_neurn: NeuRN again after the first convolution (issue 24) ---------------------

DEFAULT_LAYERS = ["pixels", "neurn", "preprocess", "conv1", "pool1", "conv2", "pool2",
                  "flatten", "fc1", "fc2", "predictions"]  # fmt: skip


def test_default_digitnet_has_no_inner_neurn():
    for options in ({}, {"inner_neurn": None}, {"inner_neurn": False}):
        model = applications.build_model("digitnet", input_shape=(32, 32, 3), **options)
        assert [layer.name for layer in model.layers] == DEFAULT_LAYERS


def test_inner_neurn_sits_between_the_first_convolution_and_its_pooling():
    from neurn_keras.layers import NeuRN

    model = applications.build_model(
        "digitnet", input_shape=(32, 32, 3), inner_neurn={"kernel_size": 3, "padding": "zeros"}
    )
    names = [layer.name for layer in model.layers]
    assert names == [*DEFAULT_LAYERS[:4], "inner_neurn", *DEFAULT_LAYERS[4:]]
    inner = model.get_layer("inner_neurn")
    assert isinstance(inner, NeuRN) and (inner.kernel_size, inner.padding) == (3, "zeros")
    assert inner.input is model.get_layer("conv1").output
    assert model.get_layer("pool1").input is inner.output
    assert model.count_params() == applications.build_model("digitnet").count_params()


def test_with_inner_neurn_the_model_ignores_an_affine_brightness_change():
    """Reflect padding: the input NeuRN gives the same features, and so the whole model."""
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (4, 32, 32, 3)).astype(np.float32)
    x[:, 8:20, 10:22] = 30.0  # a flat patch, so that the images are not just noise
    dimmer = 0.3 * x + 90.0
    options = {"input_shape": (32, 32, 3), "classifier_activation": None, "inner_neurn": True}

    def logits(model, batch):
        return keras.ops.convert_to_numpy(model(batch))

    # compared with how much the logits differ between images (small at initialization):
    # the brightness change moves them by NeuRN's float32 rounding only, a few thousandths
    # of that, and by more than the whole spread without the input NeuRN
    model = applications.build_model("digitnet", **options)
    between_images = logits(model, x).std(axis=0).mean()
    assert np.abs(logits(model, dimmer) - logits(model, x)).max() < 0.05 * between_images
    plain = applications.build_model("digitnet", neurn=False, **options)
    changed = np.abs(logits(plain, dimmer) - logits(plain, x)).max()
    assert changed > 0.5 * logits(plain, x).std(axis=0).mean()


def test_inner_neurn_saves_and_loads_back(tmp_path):
    model = applications.build_model(
        "digitnet", input_shape=(28, 28, 1), inner_neurn={"kernel_size": 7, "color": "rgb"}
    )
    x = np.random.default_rng(2).integers(0, 256, (2, 28, 28, 1)).astype(np.uint8)
    model.save(tmp_path / "digitnet.keras")
    loaded = keras.saving.load_model(tmp_path / "digitnet.keras")
    inner = model.get_layer("inner_neurn")
    assert loaded.get_layer("inner_neurn").get_config() == inner.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_bad_inner_neurn_is_refused_with_the_fix():
    import pytest

    with pytest.raises(TypeError, match=r"inner_neurn must be None, True or a dict.*'k5'"):
        applications.build_model("digitnet", inner_neurn="k5")
    with pytest.raises(ValueError, match=r"always named 'inner_neurn'"):
        applications.build_model("digitnet", inner_neurn={"name": "other"})
    with pytest.raises(ValueError, match=r"NeuRN: kernel_size must be an odd int.*4"):
        applications.build_model("digitnet", inner_neurn={"kernel_size": 4})


def test_inner_neurn_trains_with_finite_gradients():
    """NeuRN behind conv1 gets gradients: finite (flat ReLU windows included), not all 0."""
    model = applications.build_model(
        "digitnet", input_shape=(32, 32, 3), classifier_activation=None, inner_neurn=True
    )
    assert model.get_layer("inner_neurn").blocking == "whole"  # TensorFlow differentiates it
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (8, 32, 32, 3)).astype("float32")
    pixels[:, :16] = 0  # flat regions, zero windows after the ReLU
    labels = rng.integers(0, 10, 8)
    model.compile(
        optimizer=keras.optimizers.SGD(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    before = keras.ops.convert_to_numpy(model.get_layer("conv1").kernel).copy()
    history = model.fit(pixels, labels, epochs=1, batch_size=8, verbose=0)
    after = keras.ops.convert_to_numpy(model.get_layer("conv1").kernel)
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(after).all()
    assert not np.allclose(before, after)  # the gradient reached the first convolution
