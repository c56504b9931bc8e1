"""RandConv's consistency loss (Xu et al., ICLR 2021) as a training wrapper, on every backend.

In training, the wrapped model is run ``draws`` times on the same batch; its
augmentation layer draws anew on each call, so the predictions ``p_1 … p_n`` see
differently augmented images. The loss is the cross-entropy of every draw plus
``weight`` times the mean over draws of KL(p_i ‖ p̄), where p̄ is their mean. In
inference the wrapper is the wrapped model. Only the wrapped model is saved as the
run's ``model.keras``.
"""

from __future__ import annotations

import keras
from keras import ops

from neurn_keras.errors import InvalidValueError

EPSILON = 1e-7


def consistency_loss(probabilities: list) -> keras.KerasTensor:
    """Mean over draws and examples of KL(p_i ‖ p̄), p̄ the mean of the draws' probabilities.

    Args:
        probabilities: ``draws`` tensors of shape (batch, classes), rows summing to 1.
    """
    stacked = ops.clip(ops.stack(probabilities), EPSILON, 1.0)
    mean = ops.mean(stacked, axis=0, keepdims=True)
    kl = ops.sum(stacked * (ops.log(stacked) - ops.log(mean)), axis=-1)
    return ops.mean(kl)


@keras.saving.register_keras_serializable(package="neurn_keras")
class ConsistencyTrainer(keras.Model):
    """Trains ``model`` on ``draws`` augmented copies of each batch with a consistency loss.

    Args:
        model: a classifier with a training-only random augmentation inside, whose
            outputs are class probabilities.
        draws: augmented copies per batch (RandConv uses 3).
        weight: λ, the consistency loss's weight (RandConv's digits setting is 10).
    """

    def __init__(self, model: keras.Model, draws: int = 3, weight: float = 10.0, **kwargs):
        super().__init__(**kwargs)
        if draws < 2:
            raise InvalidValueError(f"ConsistencyTrainer: draws must be >= 2, got {draws!r}")
        self.model, self.draws, self.weight = model, int(draws), float(weight)

    def call(self, inputs, training=False):
        if not training:
            return self.model(inputs, training=False)
        return ops.concatenate([self.model(inputs, training=True) for _ in range(self.draws)], 0)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not training:  # validation and evaluation: one prediction per image
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        labels = ops.concatenate([y] * self.draws, 0)
        weights = None
        if sample_weight is not None:
            weights = ops.concatenate([sample_weight] * self.draws, 0)
        loss = super().compute_loss(x, labels, y_pred, weights, training=training)
        return loss + self.weight * consistency_loss(ops.split(y_pred, self.draws, axis=0))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        # In training, y_pred holds every draw: the metrics see the first one.
        return super().compute_metrics(x, y, y_pred[: ops.shape(y)[0]], sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "model": keras.saving.serialize_keras_object(self.model),
                "draws": self.draws,
                "weight": self.weight,
            }
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(
            config["model"], custom_objects=custom_objects
        )
        return cls(**config)
