"""Data-parallel training over every local device, the way each backend does it.

TensorFlow: ``tf.distribute.MirroredStrategy`` over the logical GPUs, or the logical
CPUs where there is no GPU. JAX: ``keras.distribution.DataParallel`` over
``jax.devices()`` (the GPUs, else the CPU devices, e.g. two with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``). PyTorch: Keras has no
distribution API for it, so asking for it is an error rather than a silent
single-device run.

Data parallelism splits every batch into equal parts, one per device, so every batch
must divide evenly over the devices (JAX refuses one that does not; TensorFlow would
split it unevenly, and the mean of unequal parts' mean losses is not the batch's mean
loss). So the batch size must be a multiple of the device count; the last, partial
training batch of each pass over the images is cut to a multiple of it (at most
``replicas - 1`` images of that pass are left out, ``batches.images_per_pass``); and
validation and test batches are padded with images of weight 0 instead, so every image
is evaluated once and the accuracies are exact (``batches.ArrayBatches``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

from neurn_keras.errors import ArgumentError


def data_parallel_devices(enabled: bool) -> list[str]:
    """The devices ``distribution(enabled)`` trains on, as Keras names them (``"gpu:0"``,
    ``"cpu:1"``); empty when ``enabled`` is false. ``ArgumentError`` on PyTorch.

    The GPUs where there are any, else the CPU devices (TensorFlow's logical ones,
    JAX's host devices).
    """
    if not enabled:
        return []
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise ArgumentError(
            "distribute",
            True,
            f"Keras has no data-parallel training for the {backend} backend (its "
            "distribution API supports JAX, and TensorFlow's MirroredStrategy is used "
            "here); use KERAS_BACKEND=jax or tensorflow, or train on one device",
        )
    return list(keras.distribution.list_devices())


def replica_count(devices: list[str]) -> int:
    """How many parts each batch is split into over ``devices`` (1 without any)."""
    return max(len(devices), 1)


def check_batch_size(batch_size: int, replicas: int) -> None:
    """``ArgumentError`` unless ``batch_size`` splits evenly over ``replicas`` devices."""
    if batch_size % replicas:
        below = batch_size - batch_size % replicas
        raise ArgumentError(
            "batch_size",
            batch_size,
            f"data-parallel training splits each batch over the {replicas} local devices; "
            f"pass a multiple of {replicas} (e.g. {below or replicas} or {below + replicas})",
        )


def normalization_batch_size(batch_size: int, replicas: int) -> int:
    """How many images a BatchNormalization layer's training statistics are taken over.

    On TensorFlow each replica normalizes its own part of the batch (Keras's
    ``BatchNormalization`` is not synchronized by default); on JAX the compiled step
    sees the whole batch, sharded, and its statistics are the whole batch's.
    """
    if replicas > 1 and keras.backend.backend() == "tensorflow":
        return batch_size // replicas
    return batch_size


@contextlib.contextmanager
def distribution(
    enabled: bool, devices: list[str] | None = None, processes: int = 1
) -> Iterator[int]:
    """Builds, compiles and trains inside this context; yields the number of replicas.

    Args:
        enabled: data-parallel training over ``devices``; off: one device, nothing set.
        devices: Keras device names (default ``data_parallel_devices(True)``).
        processes: how many processes the devices belong to (``training.processes``);
            with several, each feeds its own share of every batch (no auto-sharding).
    """
    if not enabled:
        yield 1
        return
    devices = list(devices) if devices else data_parallel_devices(True)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy([f"/{name}" for name in devices])
        with strategy.scope():
            yield int(strategy.num_replicas_in_sync)
        return
    previous = keras.distribution.distribution()
    data_parallel = keras.distribution.DataParallel(
        devices=devices, auto_shard_dataset=processes == 1
    )
    keras.distribution.set_distribution(data_parallel)
    try:
        yield len(data_parallel.device_mesh.devices.flatten())
    finally:
        keras.distribution.set_distribution(previous)


@contextlib.contextmanager
def outside_distribution() -> Iterator[None]:
    """No distribution while inside: what one process alone does (process 0 saving a
    checkpoint of a run over several) creates no variable that the other processes would
    have to create with it. A no-op without a distribution."""
    previous = keras.distribution.distribution()
    if previous is None:
        yield
        return
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)
