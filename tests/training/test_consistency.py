"""RandConv's consistency loss: cross-entropy of every draw plus λ·KL to the mean draw."""

from __future__ import annotations

import keras
import numpy as np

from neurn_keras.training.consistency import ConsistencyTrainer, consistency_loss


class NoisyShift(keras.layers.Layer):
    """A training-only random shift of the inputs, a new draw per call (like RandConv)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(3)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        return inputs + keras.random.normal((1, 4), seed=self.seed_generator)


def classifier() -> keras.Model:
    inputs = keras.Input((4,))
    x = NoisyShift()(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


def test_consistency_loss_is_the_mean_kl_to_the_mean_draw():
    rng = np.random.default_rng(0)
    draws = [rng.dirichlet(np.ones(4), size=5).astype("float32") for _ in range(3)]
    mean = np.mean(draws, axis=0)
    expected = np.mean([np.sum(p * (np.log(p) - np.log(mean)), axis=-1) for p in draws])
    got = float(keras.ops.convert_to_numpy(consistency_loss([keras.ops.array(p) for p in draws])))
    assert abs(got - expected) < 1e-5
    same = [keras.ops.array(draws[0])] * 3
    assert abs(float(keras.ops.convert_to_numpy(consistency_loss(same)))) < 1e-6


def test_training_loss_adds_the_weighted_consistency_term():
    keras.utils.set_random_seed(0)
    model = classifier()
    trainer = ConsistencyTrainer(model, draws=3, weight=10.0)
    trainer.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    y = np.arange(8) % 3
    predictions = trainer(x, training=True)
    assert tuple(predictions.shape) == (24, 3)  # three draws, each a different shift
    p = keras.ops.convert_to_numpy(predictions).reshape(3, 8, 3)
    assert not np.allclose(p[0], p[1])
    loss = float(keras.ops.convert_to_numpy(trainer.compute_loss(x, y, predictions, training=True)))
    cross_entropy = -np.mean(np.log(p[:, np.arange(8), y]))
    mean = p.mean(axis=0)
    kl = np.mean(np.sum(p * (np.log(p) - np.log(mean)), axis=-1))
    assert abs(loss - (cross_entropy + 10.0 * kl)) < 1e-4
    # inference: the wrapped model, one prediction per image
    np.testing.assert_allclose(trainer.predict(x, verbose=0), model.predict(x, verbose=0))


def test_fit_and_save_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    trainer = ConsistencyTrainer(classifier(), draws=2, weight=1.0)
    trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(2).normal(size=(32, 4)).astype("float32")
    history = trainer.fit(x, np.arange(32) % 3, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all() and "accuracy" in history.history
    trainer.save(tmp_path / "trainer.keras")
    loaded = keras.models.load_model(
        tmp_path / "trainer.keras", custom_objects={"NoisyShift": NoisyShift}
    )
    assert isinstance(loaded, ConsistencyTrainer) and (loaded.draws, loaded.weight) == (2, 1.0)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), trainer.predict(x, verbose=0), 1e-6)
