"""Random polarity inversion: a training-only augmentation that teaches invariance to
x → 255 − x (bright digits on dark and dark on bright), which NeuRN has built in."""

from __future__ import annotations

import keras
from keras import ops

from neurn_keras.layers.checks import check_images, check_number, check_seed, work_dtype


@keras.saving.register_keras_serializable(package="neurn_keras")
class PolarityInversion(keras.layers.Layer):
    """In training, each image becomes ``max_value − x`` with probability ``probability``
    (a new coin per image and call); at inference (``training`` falsy) the identity.

    Args:
        probability: chance that an image is inverted (0.5: either polarity as often).
        max_value: the full-scale pixel value (255 for raw pixels).
        seed: seed of the layer's ``keras.random.SeedGenerator``; the same seed gives
            the same sequence of coins.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Input shape: ``(batch, H, W, C)``, C known. Output: the same shape, in the layer's
    compute dtype (float32 by default), on the input's scale.

    >>> import numpy as np
    >>> x = np.full((4, 2, 2, 1), 10, "uint8")
    >>> layer = PolarityInversion(probability=1.0)
    >>> keras.ops.convert_to_numpy(layer(x, training=True))[:, 0, 0, 0]
    array([245., 245., 245., 245.], dtype=float32)
    >>> keras.ops.convert_to_numpy(layer(x))[:, 0, 0, 0]  # inference: unchanged
    array([10., 10., 10., 10.], dtype=float32)
    """

    def __init__(
        self,
        probability: float = 0.5,
        max_value: float = 255.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.probability = check_number("PolarityInversion", "probability", probability, 0, 1)
        self.max_value = check_number(
            "PolarityInversion", "max_value", max_value, 1e-12, float("inf")
        )
        self.seed = check_seed("PolarityInversion", seed)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._autocast = False  # integer and float inputs are cast in call()

    def build(self, input_shape):
        check_images("PolarityInversion", input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = ops.cast(inputs, work_dtype(self.compute_dtype))
        if training:
            coins = keras.random.uniform(
                (ops.shape(x)[0], 1, 1, 1), dtype=x.dtype, seed=self.seed_generator
            )
            x = ops.where(coins < self.probability, self.max_value - x, x)
        return ops.cast(x, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"probability": self.probability, "max_value": self.max_value, "seed": self.seed}
        )
        return config
