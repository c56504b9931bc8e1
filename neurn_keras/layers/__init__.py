"""Keras layers of neurn_keras."""

from neurn_keras.layers.controls import (
    LocalStd,
    LuminanceMinMax,
    PerImageStandardization,
    SobelMagnitude,
)
from neurn_keras.layers.lcn import LocalContrastNormalization
from neurn_keras.layers.neurn import NeuRN
from neurn_keras.layers.polarity import PolarityInversion
from neurn_keras.layers.prorandconv import ProRandConv
from neurn_keras.layers.randconv import RandConv

__all__ = [
    "LocalContrastNormalization",
    "LocalStd",
    "LuminanceMinMax",
    "NeuRN",
    "PerImageStandardization",
    "PolarityInversion",
    "ProRandConv",
    "RandConv",
    "SobelMagnitude",
]
