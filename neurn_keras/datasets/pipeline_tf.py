"""``tf.data`` input pipelines over in-memory arrays (TensorFlow only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from neurn_keras.datasets.prepare import prepare
from neurn_keras.errors import InvalidValueError


def as_tf_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool,
    seed: int | None,
    input_shape: Sequence[int | None] | None = None,
) -> tf.data.Dataset:
    """Batches of ``(float32 images in 0..255, int64 labels)``, prefetched.

    Images are adapted to ``input_shape`` once, up front, with :func:`prepare` (so every
    epoch sees the same pixels and the pipeline does no per-image work). With
    ``shuffle``, the order is reshuffled every epoch from ``seed``: the sequence of
    epochs is the same for the same seed. Batches are gathered from the in-memory arrays
    by index, so a full-size shuffle costs no extra copy of the images.

    Args:
        x: uint8 (N, H, W, C) images; y: (N,) integer labels.
        batch_size: examples per batch (the last batch may be smaller).
        shuffle: reshuffle every epoch (training) or keep the order (evaluation).
        seed: shuffle seed (None: a different order every run).
        input_shape: ``(H, W, C)`` of the model input, or None to keep ``x`` as is.
    """
    if len(x) != len(y):
        raise InvalidValueError(f"x has {len(x)} examples but y has {len(y)}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InvalidValueError(f"batch_size={batch_size!r} must be a positive integer")
    if input_shape is not None:
        x = prepare(x, input_shape)
    order = tf.data.Dataset.range(len(x))
    if shuffle:
        order = order.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return gather_batches(order.batch(batch_size), x, np.asarray(y, dtype=np.int64))


def gather_batches(batches: tf.data.Dataset, x, y) -> tf.data.Dataset:
    """``(float32 images, labels)`` gathered from in-memory ``x`` and ``y`` by each batch of
    indices in ``batches``, in order, prefetched."""
    images, labels = tf.constant(x), tf.constant(y)

    def gather(index):
        return tf.cast(tf.gather(images, index), tf.float32), tf.gather(labels, index)

    return batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(
        tf.data.AUTOTUNE
    )
