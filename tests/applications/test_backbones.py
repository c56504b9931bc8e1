"""Every backbone, with and without NeuRN, at its smallest input and at (32, 32, 1).

One module-scoped fixture builds the four models of a family at a time (pytest groups
the tests by it), so each family is built once and released before the next one.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import keras
import numpy as np
import pytest

from neurn_keras import applications, backbones

HEAVY = {"densenet121", "nasnetmobile"}  # the slowest to build, save and load
NAMES = [
    pytest.param(name, marks=pytest.mark.slow) if name in HEAVY else name
    for name in backbones.NAMES
]
GRAY = (32, 32, 1)
BATCH = 2
CLASSES = 10


@dataclass
class Family:
    name: str
    smallest: tuple[int, int, int]
    models: dict  # (input_shape, with_neurn) -> keras.Model
    cache: dict = field(default_factory=dict)

    def model(self, shape, neurn: bool) -> keras.Model:
        return self.models[(shape, neurn)]

    def predictions(self, shape, neurn: bool, inverted: bool = False) -> np.ndarray:
        """The model's output for ``pixels(shape)`` (or its inverse), computed once."""
        key = (shape, neurn, inverted)
        if key not in self.cache:
            x = pixels(shape)
            self.cache[key] = predict(self.model(shape, neurn), 255 - x if inverted else x)
        return self.cache[key]


def pixels(shape, seed: int = 0) -> np.ndarray:
    """A batch of uint8 images with some structure (a gradient plus noise)."""
    rng = np.random.default_rng(seed)
    height, width, channels = shape
    ramp = np.linspace(0, 200, width)[None, None, :, None]
    noise = rng.integers(0, 56, (BATCH, height, width, channels))
    return (ramp + noise).astype(np.uint8)


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(x, training=False))


@pytest.fixture(scope="module", params=NAMES)
def family(request):
    name = request.param
    size = applications.min_input_size(name)
    smallest = (size, size, 3)
    models = {
        (shape, neurn): applications.build_model(
            name, neurn=neurn, input_shape=shape, classes=CLASSES
        )
        for shape in (smallest, GRAY)
        for neurn in (True, False)
    }
    yield Family(name, smallest, models)
    models.clear()
    keras.backend.clear_session()
    gc.collect()


def shapes(family: Family):
    return (family.smallest, GRAY)


def test_output_is_a_probability_vector_per_image(family):
    for shape, neurn in family.models:
        y = family.predictions(shape, neurn)
        assert y.shape == (BATCH, CLASSES)
        assert np.all(y >= 0)
        np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-5)


def test_neurn_adds_no_parameters(family):
    for shape in shapes(family):
        with_neurn = family.model(shape, True)
        without = family.model(shape, False)
        assert with_neurn.count_params() == without.count_params()
        assert len(with_neurn.weights) == len(without.weights)
        assert with_neurn.get_layer("neurn").weights == []
        with pytest.raises(ValueError):
            without.get_layer("neurn")


def test_adaptation_layers_come_first_in_order(family):
    size = applications.min_input_size(family.name)
    for (shape, neurn), model in family.models.items():
        expected = ["pixels"]
        if shape[-1] == 1:
            expected.append("gray_to_rgb")
        if shape[0] < size:
            expected.append("resize")
        if neurn:
            expected.append("neurn")
        expected.append("preprocess")
        assert [layer.name for layer in model.layers[: len(expected)]] == expected
        preprocess = model.get_layer("preprocess")
        assert preprocess.input_max == (1.0 if neurn else 255.0)
        assert preprocess.mode == applications.FAMILIES[family.name].declaration.preprocessing
        assert tuple(preprocess.output.shape[1:]) == (max(shape[0], size),) * 2 + (3,)


def test_prediction_is_invariant_to_inverting_the_image_with_neurn(family):
    # At random initialization most backbones predict almost uniform probabilities, so
    # the backbone's input is compared too: it must be the same with NeuRN and differ
    # without it.
    for shape in shapes(family):
        x = pixels(shape)
        for neurn in (True, False):
            model = family.model(shape, neurn)
            backbone_input = keras.Model(model.input, model.get_layer("preprocess").output)
            difference = predict(backbone_input, 255 - x) - predict(backbone_input, x)
            assert (np.abs(difference).max() < 1e-3) == neurn  # resizing rounds a little
        np.testing.assert_allclose(
            family.predictions(shape, True, inverted=True),
            family.predictions(shape, True),
            rtol=1e-4,
            atol=1e-6,
        )


def test_keras_round_trip_gives_identical_predictions(family, tmp_path):
    model = family.model(GRAY, True)
    path = tmp_path / f"{family.name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(predict(loaded, pixels(GRAY)), family.predictions(GRAY, True))
    assert loaded.get_layer("neurn").get_config() == model.get_layer("neurn").get_config()
    assert loaded.count_params() == model.count_params()


def test_wrapped_backbones_match_keras_applications_parameter_count(family):
    spec = applications.FAMILIES[family.name]
    if not spec.declaration.from_keras:
        pytest.skip(f"{family.name} is our own architecture")
    reference = spec.build(weights=None, input_shape=family.smallest, classes=CLASSES)
    ours = family.model(family.smallest, False)
    assert ours.count_params() == reference.count_params()
    ours_weights = [tuple(w.shape) for w in ours.weights]
    assert ours_weights == [tuple(w.shape) for w in reference.weights]
