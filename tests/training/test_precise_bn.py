"""Precise BN: moving statistics replaced by the average of batch statistics."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from neurn_keras.training.precise_bn import (
    PreciseBN,
    batchnorm_layers,
    calibration_batches,
    recalibrate_batchnorm,
)


def model_with_nested_batchnorm() -> keras.Model:
    pixels = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv1")(pixels)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU(name="relu1")(x)  # named: Keras numbers unnamed layers per process
    inner_input = keras.Input((6, 6, 4))
    y = keras.layers.Conv2D(5, 3, name="conv2")(inner_input)
    y = keras.layers.BatchNormalization(name="bn2", momentum=0.999)(y)
    x = keras.Model(inner_input, y, name="inner")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(pixels, keras.layers.Dense(2)(x))


def spoil(layers) -> None:
    for layer in layers:
        layer.moving_mean.assign(np.full(layer.moving_mean.shape, 100.0, "float32"))
        layer.moving_variance.assign(np.full(layer.moving_variance.shape, 1e-3, "float32"))


def numpy_batch_statistics(probe, batches):
    """Averages of each batch's per-channel mean and (population) variance of probe's output."""
    outputs = [
        keras.ops.convert_to_numpy(probe(b, training=True)).astype(np.float64) for b in batches
    ]
    means = np.mean([o.mean(axis=(0, 1, 2)) for o in outputs], axis=0)
    variances = np.mean([o.var(axis=(0, 1, 2)) for o in outputs], axis=0)
    return means, variances


def test_recalibration_gives_the_numpy_average_of_batch_statistics():
    model = model_with_nested_batchnorm()
    layers = batchnorm_layers(model)
    assert [layer.name for layer in layers] == ["bn1", "bn2"]
    spoil(layers)
    rng = np.random.default_rng(0)
    batches = [rng.normal(10, 3, (16, 8, 8, 3)).astype("float32") for _ in range(4)]
    # bn1 reads conv1's output; bn2 the inner conv's, after bn1 in training mode
    first = keras.Model(model.input, model.get_layer("bn1").input)
    inner = model.get_layer("inner")
    upstream = keras.Model(model.input, model.get_layer("relu1").output)
    second_probe = keras.Sequential(
        [upstream, keras.Model(inner.input, inner.get_layer("conv2").output)]
    )
    bn1_stats = numpy_batch_statistics(first, batches)
    bn2_stats = numpy_batch_statistics(second_probe, batches)
    weights = [w.copy() for w in model.get_weights()]

    assert recalibrate_batchnorm(model, batches) == 4
    for layer, (mean, variance) in zip(layers, (bn1_stats, bn2_stats), strict=True):
        np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(layer.moving_variance), variance, rtol=1e-5)
        assert layer.momentum in (0.99, 0.999)  # restored
    changed = [not np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True)]
    stat_slots = {id(v) for layer in layers for v in (layer.moving_mean, layer.moving_variance)}
    expected = [id(v) in stat_slots for v in model.weights]
    assert changed == expected  # only the moving statistics changed


def test_a_model_without_batchnorm_is_unchanged():
    model = keras.Sequential(
        [keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    before = [w.copy() for w in model.get_weights()]
    assert recalibrate_batchnorm(model, [np.ones((2, 4, 4, 3), "float32")]) == 0
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_calibration_batches_depend_on_seed_and_epoch_only():
    x = np.arange(100, dtype=np.uint8).reshape(100, 1, 1, 1)
    take = lambda **k: np.concatenate(list(calibration_batches(x, 40, 16, **k))).ravel()  # noqa: E731
    assert len(take(seed=0, epoch=0)) == 32  # two whole batches of 16
    np.testing.assert_array_equal(take(seed=0, epoch=3), take(seed=0, epoch=3))
    assert not np.array_equal(take(seed=0, epoch=3), take(seed=0, epoch=4))
    assert not np.array_equal(take(seed=0, epoch=3), take(seed=1, epoch=3))
    assert len(list(calibration_batches(x[:5], 8192, 256, 0, 0))) == 1  # at least one batch


def test_inference_accuracy_is_restored_inside_fit():
    """A BN model trained a few steps: chance in inference mode without, good with."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (512, 4, 4, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    x = x * 20 + 50  # far from the initial moving mean 0 and variance 1

    def accuracy(precise):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((4, 4, 1)),
                keras.layers.Flatten(),
                keras.layers.BatchNormalization(momentum=0.999),
                keras.layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(0.05),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        callbacks = [PreciseBN(x, 256 if precise else 0, 64, seed=0)]
        history = model.fit(x, y, batch_size=64, epochs=2, validation_data=(x, y), verbose=0,
                            callbacks=callbacks)  # fmt: skip
        assert callbacks[0].recalibrations == (2 if precise else 0)
        return history.history["val_accuracy"][-1]

    assert accuracy(precise=True) > 0.9
    assert accuracy(precise=False) < 0.7


@pytest.mark.parametrize("images", [0, 64])
def test_callback_off_or_without_batchnorm_does_nothing(images):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    callback = PreciseBN(np.ones((10, 4), "float32"), images, 4, seed=0)
    callback.set_model(model)
    callback.on_test_begin()
    assert callback.recalibrations == 0
