"""Input adaptation: its layers, the arguments of the builders, and their errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from neurn_keras import applications, backbones
from neurn_keras.applications.adaptation import adapted_size
from neurn_keras.layers import NeuRN

# The reference each wrapped family's preprocessing must match: its own module.
KERAS_PREPROCESS_INPUT = {
    "vgg19": keras.applications.vgg19.preprocess_input,
    "efficientnetb0": keras.applications.efficientnet.preprocess_input,
    "densenet121": keras.applications.densenet.preprocess_input,
    "xception": keras.applications.xception.preprocess_input,
    "nasnetmobile": keras.applications.nasnet.preprocess_input,
    "resnet50v2": keras.applications.resnet_v2.preprocess_input,
    "inceptionv3": keras.applications.inception_v3.preprocess_input,
    "mobilenetv2": keras.applications.mobilenet_v2.preprocess_input,
}
WRAPPED = [b.name for b in backbones.BACKBONES if b.from_keras]


def to_numpy(x) -> np.ndarray:
    return keras.ops.convert_to_numpy(x)


@pytest.fixture(scope="module")
def rgb_pixels() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (2, 6, 5, 3)).astype(np.float32)


def test_the_registry_has_every_name_of_the_issue():
    expected = {
        "vgg19",
        "efficientnetb0",
        "densenet121",
        "shufflenetv2",
        "xception",
        "nasnetmobile",
        "resnet50v2",
        "inceptionv3",
        "mobilenetv2",
        "vit",
        "digitnet",
    }
    assert set(applications.BACKBONES) == expected
    assert set(WRAPPED) == set(KERAS_PREPROCESS_INPUT)
    for name, constructor in applications.BACKBONES.items():
        assert getattr(applications, constructor.__name__) is constructor
        assert constructor.family is applications.FAMILIES[name]
        assert "Minimum input size" in constructor.__doc__


@pytest.mark.parametrize("name", WRAPPED)
def test_preprocessing_matches_the_family_preprocess_input(name, rgb_pixels):
    mode = applications.FAMILIES[name].declaration.preprocessing
    expected = to_numpy(KERAS_PREPROCESS_INPUT[name](rgb_pixels.copy()))
    raw = applications.BackbonePreprocessing(mode, input_max=255)(rgb_pixels)
    unit = applications.BackbonePreprocessing(mode, input_max=1)(rgb_pixels / 255)
    np.testing.assert_allclose(to_numpy(raw), expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(to_numpy(unit), expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    ("mode", "low", "high"), [("unit", 0.0, 1.0), ("pixels", 0.0, 255.0), ("tf", -1.0, 1.0)]
)
def test_preprocessing_maps_the_full_pixel_range(mode, low, high):
    layer = applications.BackbonePreprocessing(mode, input_max=1.0)
    out = to_numpy(layer(np.array([0.0, 1.0], np.float32).reshape(1, 1, 2, 1)))
    np.testing.assert_allclose(out.ravel(), [low, high], atol=1e-6)


@pytest.mark.parametrize("name", WRAPPED)
def test_minimum_sizes_are_those_keras_applications_enforce(name):
    size = applications.min_input_size(name)
    backbone = applications.FAMILIES[name].build
    with pytest.raises(ValueError, match=f"at least {size}x{size}"):
        backbone(weights=None, include_top=False, input_shape=(size - 1, size - 1, 3))


def test_minimum_input_size_of_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"choose one of .*vgg19"):
        applications.min_input_size("vgg16")
    with pytest.raises(ValueError, match="unknown backbone 'vgg16'"):
        applications.build_model("vgg16")


def test_gray_to_rgb_repeats_the_channel_and_round_trips():
    x = np.arange(12, dtype=np.float32).reshape(1, 2, 6, 1)
    layer = applications.GrayToRGB()
    out = to_numpy(layer(x))
    assert out.shape == (1, 2, 6, 3)
    for channel in range(3):
        np.testing.assert_array_equal(out[..., channel], x[..., 0])
    rebuilt = applications.GrayToRGB.from_config(layer.get_config())
    np.testing.assert_array_equal(to_numpy(rebuilt(x)), out)
    with pytest.raises(ValueError, match="expects 1 channel"):
        applications.GrayToRGB()(np.zeros((1, 2, 2, 3), np.float32))


def test_preprocessing_config_round_trips_and_rejects_bad_values():
    layer = applications.BackbonePreprocessing("caffe", input_max=1.0, name="p")
    config = layer.get_config()
    assert (config["mode"], config["input_max"], config["name"]) == ("caffe", 1.0, "p")
    assert applications.BackbonePreprocessing.from_config(config).mode == "caffe"
    with pytest.raises(ValueError, match="mode must be one of"):
        applications.BackbonePreprocessing("imagenet")
    with pytest.raises(ValueError, match="input_max must be a positive number"):
        applications.BackbonePreprocessing("tf", input_max=0)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((16, 16), (32, 32)), ((28, 40), (32, 40)), ((32, 32), (32, 32)), ((64, 20), (64, 32))],
)
def test_only_sides_below_the_minimum_are_resized(shape, expected):
    assert adapted_size(*shape, 32) == expected


def test_small_gray_digits_are_resized_inside_the_model():
    model = applications.build_model("digitnet", input_shape=(16, 16, 1))
    assert tuple(model.get_layer("resize").output.shape) == (None, 32, 32, 3)
    x = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 1)).astype(np.uint8)
    assert to_numpy(model(x)).shape == (3, 10)


def test_uint8_pixels_predict_like_floats():
    model = applications.build_model("digitnet", input_shape=(28, 28, 1))
    x = np.random.default_rng(1).integers(0, 256, (4, 28, 28, 1)).astype(np.uint8)
    from_uint8 = model.predict(x, verbose=0)
    np.testing.assert_allclose(from_uint8, to_numpy(model(x.astype(np.float32))), atol=1e-6)


def test_neurn_sees_raw_pixels_and_preprocessing_sees_neurn():
    model = applications.build_model("digitnet", input_shape=(32, 32, 3))
    x = np.random.default_rng(2).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    inside = keras.Model(model.input, model.get_layer("preprocess").output)
    expected = 2 * to_numpy(NeuRN()(x)) - 1  # digitnet's preprocessing ("tf"): [0, 1] -> [-1, 1]
    np.testing.assert_allclose(to_numpy(inside(x)), expected, atol=1e-6)


def test_neurn_arguments_reach_the_layer():
    model = applications.build_model("digitnet", neurn={"kernel_size": 7, "padding": "zeros"})
    layer = model.get_layer("neurn")
    assert (layer.kernel_size, layer.padding) == (7, "zeros")


@pytest.mark.parametrize(
    ("neurn", "error", "match"),
    [
        ("yes", TypeError, "neurn must be True, False or a dict"),
        ({"name": "x"}, ValueError, "always named 'neurn'"),
        ({"kernel_size": 4}, ValueError, "kernel_size must be an odd int"),
    ],
)
def test_bad_neurn_arguments_are_rejected(neurn, error, match):
    with pytest.raises(error, match=match):
        applications.build_model("digitnet", neurn=neurn)


@pytest.mark.parametrize("shape", [(32, 32, 2), (32, 32), (None, 32, 3), (32, 32, 4)])
def test_bad_input_shapes_are_rejected(shape):
    with pytest.raises(ValueError, match="input_shape must be"):
        applications.build_model("digitnet", input_shape=shape)


def test_input_tensor_becomes_the_model_input():
    pixels = keras.Input((28, 28, 1), name="digits")
    model = applications.DigitNet(input_tensor=pixels, neurn=False)
    assert model.input is pixels
    assert model.name == "digitnet"
    assert applications.build_model("digitnet", input_tensor=pixels, input_shape=None).input is (
        pixels
    )
    with pytest.raises(ValueError, match="does not match input_tensor"):
        applications.build_model("digitnet", input_tensor=pixels)  # default (32, 32, 3)
    with pytest.raises(TypeError, match="symbolic Keras tensor"):
        applications.DigitNet(input_tensor=np.zeros((1, 32, 32, 3)))


def test_without_top_the_pooling_argument_is_honoured():
    features = applications.build_model("digitnet", include_top=False)
    pooled = applications.build_model("digitnet", include_top=False, pooling="max")
    assert tuple(features.output.shape) == (None, 5, 5, 128)
    assert tuple(pooled.output.shape) == (None, 128)
    with pytest.raises(ValueError, match="pooling must be one of"):
        applications.build_model("digitnet", include_top=False, pooling="mean")


def test_model_name_and_logits():
    model = applications.build_model(
        "digitnet", model_name="mine", classifier_activation=None, classes=3
    )
    assert model.name == "mine"
    assert model.get_layer("predictions").get_config()["activation"] == "linear"
    assert applications.build_model("digitnet").name == "digitnet_neurn"


def test_numpy_integers_are_accepted_in_the_input_shape():
    model = applications.build_model("digitnet", input_shape=(np.int64(28), np.int32(28), 1))
    assert tuple(model.input.shape) == (None, 28, 28, 1)


def test_augmentation_after_neurn_reads_neurn_on_the_pixel_scale(tmp_path):
    """NeuRN, scaled to 0..255, feeds the augmentation; at inference the model is the
    one without an augmentation, whatever the order."""
    kwargs = {"neurn": {"kernel_size": 3}, "input_shape": (32, 32, 3), "classes": 10}
    after = applications.DigitNet(augment="randconv", augment_after_norm=True, **kwargs)
    assert after.name == "digitnet_neurn_randconv"
    names = [layer.name for layer in after.layers]
    assert names[:5] == ["pixels", "neurn", "neurn_to_pixels", "augment", "preprocess"]
    plain = applications.DigitNet(**kwargs)
    plain.set_weights(after.get_weights())
    pixels = np.random.default_rng(1).integers(0, 256, (4, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        after.predict(pixels, verbose=0), plain.predict(pixels, verbose=0), rtol=1e-5, atol=1e-6
    )
    scaled = keras.Model(after.input, after.get_layer("neurn_to_pixels").output)
    per_image_max = to_numpy(scaled(pixels)).max(axis=(1, 2, 3))
    np.testing.assert_allclose(per_image_max, 255.0, rtol=1e-5)
    path = tmp_path / "after.keras"
    after.save(path)
    loaded = keras.models.load_model(path)
    assert [layer.name for layer in loaded.layers] == names
    np.testing.assert_allclose(
        loaded.predict(pixels, verbose=0), after.predict(pixels, verbose=0), rtol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"neurn": True},
        {"neurn": False, "augment": "randconv"},
        {"input_norm": "lcn", "augment": "randconv"},
    ],
)
def test_augmentation_after_the_norm_needs_neurn_and_an_augmentation(kwargs):
    with pytest.raises(ValueError, match="augment_after_norm needs an augmentation and NeuRN"):
        applications.DigitNet(augment_after_norm=True, input_shape=(32, 32, 3), **kwargs)
