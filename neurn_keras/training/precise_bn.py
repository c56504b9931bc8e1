"""Precise BatchNorm: moving statistics replaced by averages over training batches.

A ``BatchNormalization`` layer predicts with moving averages of its batch statistics.
With Keras's momentum 0.99 (0.999 in MobileNetV2) and a few hundred steps, those are
still mostly their initial values, or ImageNet's with pretrained weights, and a model
that learned well predicts at chance in inference mode. As fvcore's
``update_bn_stats`` and pycls's precise BN do, :func:`recalibrate_batchnorm` runs the
model in training mode over some training batches, without updating any weight, and
sets every BN layer's moving mean and variance to the average of its batch means and
batch variances. :class:`PreciseBN` does it inside ``fit``, before every validation.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

from neurn_keras.model_parts import walk_layers
from neurn_keras.training import faults
from neurn_keras.training.batches import epoch_order


def batchnorm_layers(model: keras.Model) -> list[keras.layers.BatchNormalization]:
    """Every trainable ``BatchNormalization`` layer of ``model``, nested models included.

    Frozen ones (``trainable=False``) use their moving statistics in training mode too,
    so they are left alone.
    """
    return [
        layer
        for _, layer in walk_layers(model)
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]


def _compile(function):
    """``function`` compiled the way the backend compiles its train step."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(function)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, reduce_retracing=True)
    return function


class _BatchMoments:
    """A compiled training-mode forward that returns each BN layer's batch mean and variance.

    It calls the model statelessly with every layer's momentum at 0, so the moving
    statistics it would write are the batch statistics themselves, and nothing of the
    model changes (random layers draw without advancing their seeds).
    """

    def __init__(self, model: keras.Model, layers: list):
        self.model, self.layers = model, layers
        position = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
        self.slots = [
            (position[id(b.moving_mean)], position[id(b.moving_variance)]) for b in layers
        ]
        self.forward = _compile(self._forward)

    def _forward(self, trainable, non_trainable, x):
        _, updated = self.model.stateless_call(trainable, non_trainable, x, training=True)
        return [(updated[m], updated[v]) for m, v in self.slots]

    def __call__(self, x) -> list[tuple[np.ndarray, np.ndarray]]:
        momenta = [layer.momentum for layer in self.layers]
        try:
            for layer in self.layers:
                layer.momentum = 0.0
            trainable = [v.value for v in self.model.trainable_variables]
            non_trainable = [v.value for v in self.model.non_trainable_variables]
            moments = self.forward(trainable, non_trainable, x)
        finally:
            for layer, momentum in zip(self.layers, momenta, strict=True):
                layer.momentum = momentum
        return [(keras.ops.convert_to_numpy(m), keras.ops.convert_to_numpy(v)) for m, v in moments]


def recalibrate_batchnorm(model: keras.Model, batches: Iterable, moments=None) -> int:
    """Sets every BN layer's moving statistics to the average over ``batches``.

    Args:
        model: a built model.
        batches: float32 image batches (all of one size, so the forward compiles once).
        moments: a ``_BatchMoments`` of ``model`` to reuse (compiled once per model).

    Returns:
        The number of batches averaged (0 when the model has no BN layer or
        ``batches`` is empty: nothing changes).
    """
    moments = moments or _BatchMoments(model, batchnorm_layers(model))
    if not moments.layers:
        return 0
    sums, count = None, 0
    for x in batches:
        batch = moments(x)
        faults.kill_point("precise_bn")
        if sums is None:
            sums = [[m.astype(np.float64), v.astype(np.float64)] for m, v in batch]
        else:
            for total, (m, v) in zip(sums, batch, strict=True):
                total[0] += m
                total[1] += v
        count += 1
    if not count:
        return 0
    for layer, (mean, variance) in zip(moments.layers, sums, strict=True):
        layer.moving_mean.assign((mean / count).astype(layer.moving_mean.dtype))
        layer.moving_variance.assign((variance / count).astype(layer.moving_variance.dtype))
    return count


def calibration_batch_count(images: int, batch_size: int, available: int) -> int:
    """How many batches a recalibration averages: ``images // batch_size`` whole batches
    of at most ``available`` images, at least one (0 when ``images`` is 0: off)."""
    if not images:
        return 0
    return max(min(images, available) // min(batch_size, available), 1)


def calibration_batches(x: np.ndarray, images: int, batch_size: int, seed: int, epoch: int):
    """``calibration_batch_count`` whole batches of training images for ``epoch``.

    The images are the first of a permutation seeded by ``(seed, epoch)``, distinct from
    the training order of that epoch, so a resumed run recalibrates with the very same
    images as an uninterrupted one.
    """
    count = calibration_batch_count(images, batch_size, len(x))
    batch_size = min(batch_size, len(x))
    order = epoch_order(len(x), seed + 1_000_003, epoch)
    for start in range(0, count * batch_size, batch_size):
        yield x[np.sort(order[start : start + batch_size])].astype(np.float32)


class PreciseBN(keras.callbacks.Callback):
    """Recalibrates BatchNormalization statistics before every validation pass of ``fit``.

    A no-op for models without BatchNormalization. The statistics stay in the model, so
    the best checkpoint, ``restore_best_weights`` and the saved ``model.keras`` carry
    the recalibrated values of their own epoch.

    Args:
        x: uint8 training images, adapted to the model input.
        images: how many training images to average over (0: off); rounded down to
            whole batches of ``batch_size``.
        batch_size: images per batch (the training batch size, whose statistics
            training normalizes with).
        seed: the run's seed (with the epoch, it picks the images).
        target: the model to recalibrate, if not the one ``fit`` trains (e.g. the
            classifier inside a training wrapper).
    """

    def __init__(self, x: np.ndarray, images: int, batch_size: int, seed: int, target=None):
        super().__init__()
        self.x, self.images, self.batch_size, self.seed = x, images, batch_size, seed
        self.target = target
        self.epoch = 0
        self.recalibrations = 0
        self._moments = None

    @property
    def recalibrated_model(self):
        return self.target if self.target is not None else self.model

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_test_begin(self, logs=None):
        if not self.images:
            return
        if self._moments is None:
            model = self.recalibrated_model
            self._moments = _BatchMoments(model, batchnorm_layers(model))
        if not self._moments.layers:
            return
        batches = calibration_batches(self.x, self.images, self.batch_size, self.seed, self.epoch)
        recalibrate_batchnorm(self._moments.model, batches, self._moments)
        self.recalibrations += 1
