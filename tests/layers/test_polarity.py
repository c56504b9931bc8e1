"""PolarityInversion: inverts about half of the images in training, never at inference."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

import neurn_keras.layers.polarity as polarity_module
from neurn_keras.layers import PolarityInversion
from tests.layers.augmentation_checks import (
    check_saved_model_predicts_deterministically,
    numpy,
    pixels,
)


def test_docstring_example():
    assert doctest.testmod(polarity_module).failed == 0


def test_each_image_is_itself_or_its_inverse_about_half_the_time():
    x = pixels((400, 4, 4, 3), seed=1)
    out = numpy(PolarityInversion(seed=3)(x, training=True))
    kept = np.all(out == x, axis=(1, 2, 3))
    inverted = np.all(out == 255.0 - x, axis=(1, 2, 3))
    assert np.all(kept | inverted)
    assert 160 < inverted.sum() < 240  # p = 0.5: 200 ± 5 standard deviations of 10


@pytest.mark.parametrize("probability,expected", [(0.0, "kept"), (1.0, "inverted")])
def test_probability_zero_and_one(probability, expected):
    x = pixels((6, 3, 3, 1))
    out = numpy(PolarityInversion(probability=probability)(x, training=True))
    np.testing.assert_array_equal(out, x if expected == "kept" else 255.0 - x)


def test_max_value_sets_the_scale():
    x = np.full((2, 2, 2, 1), 0.25, "float32")
    out = numpy(PolarityInversion(probability=1.0, max_value=1.0)(x, training=True))
    np.testing.assert_allclose(out, 0.75)


def test_same_seed_same_coins_and_new_coins_per_call():
    x = pixels((32, 3, 3, 3), seed=2)
    first = PolarityInversion(seed=5)
    a, b = numpy(first(x, training=True)), numpy(first(x, training=True))
    again = numpy(PolarityInversion(seed=5)(x, training=True))
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, b)


def test_saved_model_predicts_deterministically(tmp_path):
    check_saved_model_predicts_deterministically(
        PolarityInversion(name="augment", seed=1), tmp_path
    )


def test_new_draws_in_the_training_step():
    """New coins at every step of the compiled training step (32 images: the same coins
    twice has probability 2^-32), none in evaluation, the same losses from the same seed."""

    def losses(seed: int) -> tuple[list[float], float]:
        inputs = keras.Input((6, 6, 3))
        x = keras.layers.Rescaling(1 / 255)(PolarityInversion(seed=seed)(inputs))
        outputs = keras.layers.Dense(1, kernel_initializer="ones")(keras.layers.Flatten()(x))
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
        x, y = pixels((32, 6, 6, 3), seed=3), np.zeros((32, 1), "float32")
        steps = [float(model.train_on_batch(x, y)) for _ in range(3)]
        return steps, float(model.evaluate(x, y, batch_size=32, verbose=0))

    steps, test_loss = losses(11)
    assert len(set(steps)) == 3 and test_loss not in steps
    again, test_again = losses(11)
    np.testing.assert_allclose(again, steps, rtol=1e-5)
    assert test_again == pytest.approx(test_loss, rel=1e-6)


def test_config_round_trip():
    layer = PolarityInversion(probability=0.3, max_value=1.0, seed=4, name="p")
    clone = PolarityInversion.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"probability": 1.5}, "probability must be a number in"),
        ({"probability": True}, "probability must be a number in"),
        ({"max_value": 0}, "max_value must be a number in"),
        ({"seed": 1.5}, "seed must be an int"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PolarityInversion(**kwargs)


def test_unknown_batch_size_in_a_model():
    inputs = keras.Input((5, 5, 3))
    model = keras.Model(inputs, PolarityInversion(probability=1.0)(inputs, training=True))
    out = model.predict(pixels((3, 5, 5, 3)), verbose=0)
    assert out.shape == (3, 5, 5, 3)
