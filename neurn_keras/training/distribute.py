"""Data-parallel training over every local accelerator, the way each backend does it.

TensorFlow: ``tf.distribute.MirroredStrategy``. JAX: ``keras.distribution.DataParallel``
over ``jax.devices()``. PyTorch: Keras has no distribution API for it, so asking for it
is an error rather than a silent single-device run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

from neurn_keras.errors import ArgumentError


@contextlib.contextmanager
def distribution(enabled: bool) -> Iterator[int]:
    """Builds, compiles and trains inside this context; yields the number of replicas."""
    backend = keras.backend.backend()
    if not enabled:
        yield 1
        return
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
        with strategy.scope():
            yield int(strategy.num_replicas_in_sync)
        return
    if backend == "jax":
        previous = keras.distribution.distribution()
        data_parallel = keras.distribution.DataParallel()
        keras.distribution.set_distribution(data_parallel)
        try:
            yield len(data_parallel.device_mesh.devices.flatten())
        finally:
            keras.distribution.set_distribution(previous)
        return
    raise ArgumentError(
        "distribute",
        True,
        f"Keras has no data-parallel training for the {backend} backend; use "
        "KERAS_BACKEND=jax or tensorflow, or train on one device",
    )
