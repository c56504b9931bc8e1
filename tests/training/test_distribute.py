"""--distribute: data parallelism per backend, and a clear error where Keras has none."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import pytest

from neurn_keras.errors import ArgumentError
from neurn_keras.training.distribute import distribution


def test_off_is_one_replica_and_changes_nothing():
    before = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    with distribution(False) as replicas:
        assert replicas == 1
    if keras.backend.backend() == "jax":
        assert keras.distribution.distribution() is before


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the TensorFlow strategy")
def test_tensorflow_mirrors_over_the_local_devices():
    import tensorflow as tf

    with distribution(True) as replicas:
        assert tf.distribute.has_strategy()
        assert replicas == max(len(tf.config.list_logical_devices("GPU")), 1)
    assert not tf.distribute.has_strategy()


DATA_PARALLEL = """
import keras, numpy as np
from neurn_keras.training.distribute import distribution
with distribution(True) as replicas:
    assert replicas == 2, replicas
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.ones((16, 4), "float32"), np.zeros(16, "int64"), batch_size=8, verbose=0)
    kernel = model.layers[-1].kernel.value
    assert len(kernel.sharding.device_set) == 2, kernel.sharding
assert keras.distribution.distribution() is None
print("ok", replicas)
"""


def test_jax_data_parallel_over_two_cpu_devices():
    """JAX's DataParallel, on two XLA host devices (as on a two-GPU machine)."""
    pytest.importorskip("jax")
    environment = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    result = subprocess.run(
        [sys.executable, "-c", DATA_PARALLEL],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["ok", "2"]


def test_torch_asks_for_another_backend(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(ArgumentError, match="no data-parallel training for the torch backend"):
        with distribution(True):
            pass
