"""Keras layers of neurn_keras."""

from neurn_keras.layers.neurn import NeuRN

__all__ = ["NeuRN"]
