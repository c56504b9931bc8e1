"""``applications.with_neurn``: NeuRN in front of a functional, Sequential or subclassed model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from neurn_keras import NeuRN, applications
from neurn_keras.errors import ArgumentError, InvalidValueError, NeurnError


def pixels(shape, batch: int = 2, seed: int = 0) -> np.ndarray:
    """uint8 images with structure (a ramp plus noise), so NeuRN's output is not flat."""
    rng = np.random.default_rng(seed)
    height, width, channels = shape
    ramp = np.linspace(0, 200, width)[None, None, :, None]
    return (ramp + rng.integers(0, 56, (batch, height, width, channels))).astype(np.uint8)


def predict(model, x) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(x, training=False))


@keras.saving.register_keras_serializable(package="neurn_keras_tests")
class TinyClassifier(keras.Model):
    """A subclassed model: convolution, global mean, dense; serializable by its config."""

    def __init__(self, classes: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes
        self.conv = keras.layers.Conv2D(6, 3, activation="relu")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head = keras.layers.Dense(classes)

    def call(self, inputs):
        return self.head(self.pool(self.conv(inputs)))

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


@keras.saving.register_keras_serializable(package="neurn_keras_tests")
def to_unit(x):
    return x / 255.0


def sequential_gray() -> keras.Model:
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ],
        name="gray_net",
    )


def identity(shape) -> keras.Model:
    return keras.Sequential([keras.Input(shape), keras.layers.Identity()], name="identity")


@pytest.fixture(scope="module")
def mobilenet():
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10)
    return applications.with_neurn(
        model, output_range=keras.applications.mobilenet_v2.preprocess_input
    )


def test_mobilenet_takes_raw_pixels_and_ignores_inversion(mobilenet):
    x = pixels((32, 32, 3))
    assert [layer.name for layer in mobilenet.layers[:4]] == [
        "pixels",
        "neurn",
        "neurn_to_pixels",
        "preprocess",
    ]
    # At random initialization MobileNetV2 predicts almost uniform probabilities, so
    # what it is fed is compared too.
    fed = keras.Model(mobilenet.input, mobilenet.get_layer("preprocess").output)
    np.testing.assert_allclose(predict(fed, 255 - x), predict(fed, x), atol=1e-3)
    np.testing.assert_allclose(
        predict(mobilenet, 255 - x), predict(mobilenet, x), rtol=1e-4, atol=1e-6
    )
    assert predict(mobilenet, x).shape == (2, 10)


def test_without_neurn_inversion_changes_what_the_model_is_fed():
    x = pixels((32, 32, 3)).astype("float32")
    preprocess = keras.applications.mobilenet_v2.preprocess_input
    fed, fed_inverted = (keras.ops.convert_to_numpy(preprocess(v)) for v in (x, 255 - x))
    assert np.abs(fed - fed_inverted).max() > 0.1  # so the invariance above is NeuRN's


def test_mobilenet_saves_and_loads(mobilenet, tmp_path):
    path = tmp_path / "mobilenet_neurn.keras"
    mobilenet.save(path)
    loaded = keras.saving.load_model(path)
    x = pixels((32, 32, 3))
    np.testing.assert_allclose(predict(loaded, x), predict(mobilenet, x), rtol=1e-5, atol=1e-7)
    function = loaded.get_layer("preprocess").function
    assert function is keras.applications.mobilenet_v2.preprocess_input


def test_sequential_gray_model(tmp_path):
    inner = sequential_gray()
    model = applications.with_neurn(inner, kernel_size=3)
    assert model.input_shape == (None, 28, 28, 1)
    assert model.get_layer("neurn").kernel_size == 3
    x = pixels((28, 28, 1))
    np.testing.assert_allclose(predict(model, 255 - x), predict(model, x), rtol=1e-4, atol=1e-5)
    assert np.abs(predict(inner, 255 - x) - predict(inner, x)).max() > 1e-3
    model.save(tmp_path / "gray.keras")
    loaded = keras.saving.load_model(tmp_path / "gray.keras")
    np.testing.assert_allclose(predict(loaded, x), predict(model, x), rtol=1e-5, atol=1e-7)
    assert model.count_params() == inner.count_params()  # NeuRN adds no weights


def test_subclassed_model_needs_input_shape_and_round_trips(tmp_path):
    keras.utils.set_random_seed(2)
    inner = TinyClassifier(classes=4)
    with pytest.raises(ArgumentError, match="input_shape"):
        applications.with_neurn(inner)
    model = applications.with_neurn(inner, input_shape=(16, 16, 3), output_range="[-1, 1]")
    x = pixels((16, 16, 3))
    np.testing.assert_allclose(predict(model, 255 - x), predict(model, x), rtol=1e-4, atol=1e-5)
    model.save(tmp_path / "sub.keras")
    loaded = keras.saving.load_model(tmp_path / "sub.keras")
    assert isinstance(loaded.layers[-1], TinyClassifier)
    np.testing.assert_allclose(predict(loaded, x), predict(model, x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("output_range", "from_unit"),
    [
        ("0..255", lambda n: 255 * n),
        ("[0, 1]", lambda n: n),
        ("[-1, 1]", lambda n: 2 * n - 1),
        (keras.applications.mobilenet_v2.preprocess_input, lambda n: 2 * n - 1),
        (keras.layers.Rescaling(1 / 255), lambda n: n),
        (to_unit, lambda n: n),
    ],
    ids=["pixels", "unit", "symmetric", "preprocess_input", "layer", "registered_function"],
)
def test_output_range_is_what_the_model_is_fed(output_range, from_unit, tmp_path):
    x = pixels((8, 8, 3))
    model = applications.with_neurn(identity((8, 8, 3)), output_range=output_range)
    expected = from_unit(keras.ops.convert_to_numpy(NeuRN()(x)))
    np.testing.assert_allclose(predict(model, x), expected, rtol=1e-5, atol=1e-4)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(predict(loaded, x), expected, rtol=1e-5, atol=1e-4)


def test_an_unregistered_function_works_but_does_not_save(tmp_path):
    model = applications.with_neurn(identity((8, 8, 1)), output_range=lambda v: v / 255.0)
    x = pixels((8, 8, 1))
    np.testing.assert_allclose(
        predict(model, x), keras.ops.convert_to_numpy(NeuRN()(x)), rtol=1e-5, atol=1e-4
    )
    with pytest.raises(InvalidValueError, match="register_keras_serializable"):
        model.save(tmp_path / "lambda.keras")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"output_range": "0-255"}, r"output_range='0-255': choose one of \['0..255'"),
        ({"input_shape": (9, 9, 3)}, r"takes inputs of shape \(8, 8, 3\)"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ArgumentError, match=message) as error:
        applications.with_neurn(identity((8, 8, 3)), **kwargs)
    assert "\n" not in str(error.value)


def test_a_model_with_neurn_or_a_layer_is_refused():
    with pytest.raises(ArgumentError, match="already has a NeuRN layer"):
        applications.with_neurn(applications.with_neurn(identity((8, 8, 3))))
    with pytest.raises(NeurnError, match=r"must be a keras\.Model"):
        applications.with_neurn(keras.layers.Dense(3))
