"""The training stream as a ``tf.data`` pipeline: the same batches, in TensorFlow's graph.

Keras feeds a ``PyDataset`` to TensorFlow through a Python generator; a ``tf.data``
pipeline gathers the batches in the graph instead (``benchmarks/training_throughput.py``
measures the two side by side). It reads the very
batches :class:`~neurn_keras.training.batches.TrainingStream` gives (the same
per-pass permutations of ``TrainingStream.pass_order``, cut into the same batches), so a run's
numbers do not depend on which of the two fed it. TensorFlow only.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import tensorflow as tf

from neurn_keras.datasets.pipeline_tf import gather_batches


class Stream(Protocol):
    """What this module reads of a ``batches.TrainingStream`` (named here, not imported:
    that module imports this one)."""

    x: np.ndarray
    y: np.ndarray
    batch_size: int
    start_batch: int
    images_per_pass: int
    batches_per_pass: int

    def pass_order(self, epoch: int) -> np.ndarray: ...


FOREVER = 1 << 31  # passes in the stream; fit() stops it


def tf_training_stream(stream: Stream) -> tf.data.Dataset:
    """``stream``'s batches, from its ``start_batch`` on, as an endless ``tf.data`` pipeline."""
    count, batch_size = stream.images_per_pass, stream.batch_size
    first_pass, skip = divmod(stream.start_batch, stream.batches_per_pass)

    def pass_order(epoch):  # cut as the stream cuts it (data parallelism: ``replicas``)
        order = tf.numpy_function(
            lambda e: stream.pass_order(int(e))[:count].astype(np.int64), [epoch], tf.int64
        )
        return tf.data.Dataset.from_tensor_slices(tf.reshape(order, [count])).batch(batch_size)

    batches = tf.data.Dataset.range(first_pass, FOREVER).flat_map(pass_order).skip(skip)
    return gather_batches(batches, stream.x, stream.y)
