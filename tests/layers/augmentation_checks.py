"""Checks every training-only augmentation layer (RandConv, ProRandConv) must pass in Keras."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pytest


def pixels(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype("uint8")


def numpy(x) -> np.ndarray:
    return keras.ops.convert_to_numpy(x)


def small_model(layer) -> keras.Model:
    inputs = keras.Input((None, None, 3), dtype="uint8")
    x = layer(inputs)
    x = keras.layers.Rescaling(1 / 255)(x)
    x = keras.layers.Conv2D(4, 3, kernel_initializer=keras.initializers.GlorotUniform(0))(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(2, kernel_initializer=keras.initializers.GlorotUniform(1))(x)
    return keras.Model(inputs, outputs)


def check_saved_model_predicts_deterministically(layer: keras.layers.Layer, tmp_path) -> None:
    """``layer`` (named "augment") in a model: ``.keras`` round trip, identity at inference."""
    model = small_model(layer)
    x = pixels((3, 14, 10, 3))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.get_layer("augment"), type(layer))
    assert loaded.get_layer("augment").get_config() == model.get_layer("augment").get_config()
    predictions = model.predict(x, verbose=0)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), predictions)
    np.testing.assert_array_equal(model.predict(x, verbose=0), predictions)


def train_losses(layer: keras.layers.Layer, steps: int = 3) -> tuple[list[float], float]:
    """Losses of training steps on one batch with a zero learning rate, and the test loss."""
    model = small_model(layer)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    x, y = pixels((4, 12, 12, 3)), np.ones((4, 2), np.float32)
    losses = [float(model.train_on_batch(x, y)) for _ in range(steps)]
    return losses, float(model.evaluate(x, y, verbose=0))


def check_new_draws_in_the_training_step(make_layer: Callable[[int], keras.layers.Layer]):
    """New draws at every step of the compiled training step, none in evaluation; the same
    seed (``make_layer(seed)``) gives the same losses."""
    losses, test_loss = train_losses(make_layer(11))
    assert len(set(losses)) == len(losses)
    assert test_loss not in losses
    again, test_again = train_losses(make_layer(11))
    np.testing.assert_allclose(again, losses, rtol=1e-5)
    assert test_again == pytest.approx(test_loss, rel=1e-6)


def check_inside_tf_function(layer: keras.layers.Layer, jit_compile: bool) -> None:
    """The layer in a ``tf.function`` over unknown image sizes (XLA: one trace per shape)."""
    import tensorflow as tf

    spec = tf.TensorSpec((None, None, None, 3), tf.uint8)
    fn = tf.function(lambda x: layer(x, training=True), input_signature=[spec])
    if jit_compile:  # XLA needs static shapes; it retraces per shape
        fn = tf.function(lambda x: layer(x, training=True), jit_compile=True)
    outputs = [fn(pixels((2, *size, 3))).numpy() for size in [(9, 9), (9, 9), (13, 6)]]
    assert outputs[2].shape == (2, 13, 6, 3)
    assert not np.allclose(outputs[0], outputs[1])
