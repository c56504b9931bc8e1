"""The training input pipeline (TensorFlow only): epochs whose order depends on (seed, epoch).

Keras's ``BackupAndRestore`` restores weights, optimizer state and the epoch counter,
but not the position of a ``tf.data`` iterator. Here the order of epoch ``e`` is a
stateless shuffle seeded with ``(seed, e)``, and the stream starts at ``start_epoch``,
so a run resumed at epoch ``e`` sees exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

FOREVER = 1 << 31  # epochs in the stream; fit() stops it


def training_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, start_epoch: int = 0
) -> tuple[tf.data.Dataset, int]:
    """An endless stream of ``(float32 images 0..255, int64 labels)`` batches, epoch by epoch.

    Args:
        x: uint8 (N, H, W, C) images, already adapted to the model input.
        y: (N,) integer labels.
        batch_size: examples per batch; the last batch of an epoch may be smaller.
        seed: the run's seed; epoch ``e`` is shuffled with the stateless seed ``(seed, e)``.
        start_epoch: the first epoch of the stream (the epoch a resumed run starts at).

    Returns:
        ``(dataset, steps_per_epoch)``; pass both to ``Model.fit``.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}")
    count = len(x)
    images = tf.constant(x)
    labels = tf.constant(np.asarray(y, dtype=np.int64))
    indices = tf.range(count, dtype=tf.int64)

    def epoch_batches(epoch):
        stateless_seed = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(indices, seed=stateless_seed)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    def gather(index):
        return tf.cast(tf.gather(images, index), tf.float32), tf.gather(labels, index)

    dataset = (
        tf.data.Dataset.range(start_epoch, FOREVER)
        .flat_map(epoch_batches)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    return dataset, math.ceil(count / batch_size)
