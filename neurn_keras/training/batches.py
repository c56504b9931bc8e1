"""The training batches, on every Keras backend: a seeded stream over in-memory images.

Keras's ``BackupAndRestore`` restores weights, optimizer state and the epoch counter,
but not the position of an input pipeline. Here batch ``i`` of the stream is a pure
function of ``(seed, i)``: pass ``p`` over the training images is ordered by a
permutation drawn from ``numpy.random.default_rng([seed, p])``, and a resumed run
starts the stream at the batch where the interrupted one stopped, so it sees exactly
the batches an uninterrupted run would, whatever the backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

from neurn_keras.errors import InvalidValueError


def epoch_order(count: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the ``count`` training images in pass ``epoch`` of run seed ``seed``."""
    return np.random.default_rng([seed, epoch]).permutation(count)


def images_per_pass(count: int, batch_size: int, replicas: int = 1) -> int:
    """How many of ``count`` training images one pass trains on: all of them, but with the
    last, partial batch cut to a multiple of ``replicas`` (data parallelism splits every
    batch evenly over the devices; at most ``replicas - 1`` images are left out)."""
    return count - (count % batch_size) % replicas


def evaluation_padding(count: int, replicas: int = 1) -> int:
    """The weight-0 images that pad ``count`` evaluation images to a multiple of
    ``replicas`` (``ArrayBatches``; 0 on one device)."""
    return -count % replicas


def batches_per_pass(count: int, batch_size: int, replicas: int = 1) -> int:
    """The batches of one pass over ``count`` training images (``images_per_pass``)."""
    return math.ceil(images_per_pass(count, batch_size, replicas) / batch_size)


class TrainingStream(keras.utils.PyDataset):
    """An endless stream of ``(float32 images 0..255, int64 labels)`` batches.

    Pass it to ``Model.fit`` with ``steps_per_epoch``; Keras keeps one iterator across
    epochs, so fit-epoch ``e`` reads batches ``e * steps_per_epoch`` onwards.

    Args:
        x: uint8 (N, H, W, C) images, already adapted to the model input.
        y: (N,) integer labels.
        batch_size: images per batch; the last batch of each pass may be smaller.
        seed: the run's seed.
        start_batch: the stream's first batch (where a resumed run starts).
        replicas: the devices each batch is split over; the last batch of each pass is
            cut to a multiple of it (``images_per_pass``). 1: every image, every pass.
        share: for a process of a run over several, its share of a batch of n images
            (``Processes.share``); None: the whole batch.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        seed: int,
        start_batch=0,
        replicas: int = 1,
        share: Callable[[int], slice] | None = None,
    ):
        super().__init__()
        if len(x) != len(y):
            raise InvalidValueError(f"x has {len(x)} examples but y has {len(y)}")
        if not len(x):
            raise InvalidValueError("no training images")
        self.x, self.y = x, np.asarray(y, dtype=np.int64)
        self.batch_size, self.seed, self.start_batch = batch_size, seed, start_batch
        self.images_per_pass = images_per_pass(len(x), batch_size, replicas)
        if not self.images_per_pass:
            raise InvalidValueError(f"{len(x)} training image(s) cannot split over {replicas}")
        self.batches_per_pass = batches_per_pass(len(x), batch_size, replicas)
        self.share = share
        self._order: tuple[int, np.ndarray] | None = None

    @property
    def num_batches(self) -> None:
        return None  # endless: fit() stops it

    def pass_order(self, epoch: int) -> np.ndarray:
        """The order of the training images in pass ``epoch`` (``epoch_order``)."""
        return epoch_order(len(self.x), self.seed, epoch)

    def indices(self, batch: int) -> np.ndarray:
        """The image indices of stream batch ``batch``."""
        epoch, position = divmod(batch, self.batches_per_pass)
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, self.pass_order(epoch))
        start = position * self.batch_size
        return self._order[1][start : min(start + self.batch_size, self.images_per_pass)]

    def __getitem__(self, index: int):
        chosen = self.indices(self.start_batch + index)
        if self.share is not None:
            chosen = chosen[self.share(len(chosen))]
        return self.x[chosen].astype(np.float32), self.y[chosen]


def training_batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int,
    start_batch=0,
    replicas: int = 1,
    share: Callable[[int], slice] | None = None,
):
    """What ``fit`` trains on: a ``TrainingStream``, or on TensorFlow the same batches as a
    ``tf.data`` pipeline (``batches_tf.py``; one process only)."""
    stream = TrainingStream(x, y, batch_size, seed, start_batch, replicas, share)
    if keras.backend.backend() != "tensorflow" or share is not None:
        return stream
    from neurn_keras.training.batches_tf import tf_training_stream

    return tf_training_stream(stream)


class ArrayBatches(keras.utils.PyDataset):
    """Fixed batches of ``(float32 images, labels)`` in order, for validation and tests.

    Casting batch by batch keeps memory at the uint8 arrays (a float32 copy of a large
    test set would take four times as much).

    With ``replicas`` > 1 (data parallelism) the batches are
    ``(images, labels, sample weights)``, and the last one is padded to a multiple of
    ``replicas`` with ``padding`` zero images of weight 0: every image is evaluated once
    and weighted metrics (``compile(weighted_metrics=["accuracy"])``) are exact. (A
    loss with ``reduction="mean_with_sample_weight"`` leaves the padding out of the
    batch's mean; Keras still weighs that batch by its padded size in the epoch's mean.)
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        replicas: int = 1,
        share: Callable[[int], slice] | None = None,
    ):
        super().__init__()
        if len(x) != len(y):
            raise InvalidValueError(f"x has {len(x)} examples but y has {len(y)}")
        self.x, self.y, self.batch_size = x, np.asarray(y, dtype=np.int64), batch_size
        self.replicas = replicas
        self.share = share
        self.padding = evaluation_padding(len(x), replicas)

    @property
    def num_batches(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        x, y = self.x[part].astype(np.float32), self.y[part]
        if self.replicas == 1:
            return x, y
        weights = np.ones(len(y), np.float32)
        if index == self.num_batches - 1 and self.padding:
            x = np.concatenate([x, np.zeros((self.padding, *x.shape[1:]), x.dtype)])
            y = np.concatenate([y, np.zeros(self.padding, y.dtype)])
            weights = np.concatenate([weights, np.zeros(self.padding, np.float32)])
        if self.share is not None:  # a process of a run over several: its share
            part = self.share(len(y))
            return x[part], y[part], weights[part]
        return x, y, weights
