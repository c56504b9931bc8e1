"""A backbone family: its declaration (``neurn_keras.backbones``) joined to the code that
builds it, and nothing else.

The declaration says what a backbone is (name, label, sizes, preprocessing, weights), as
data; a ``Family`` holds that declaration itself, not a copy, beside its build function::

    DigitNet = register_family("digitnet", digitnet_backbone)

A family's ``build`` is a ``keras.applications``-style function (``include_top``,
``weights``, ``input_tensor``, ``input_shape``, ``pooling``, ``classes``,
``classifier_activation``, ``name``): for the eight Keras families it *is* the
``keras.applications`` constructor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from neurn_keras import backbones


@dataclass(frozen=True)
class Family:
    """What the shared builder needs to know about one architecture.

    Attributes:
        declaration: the backbone's entry in ``neurn_keras.backbones`` (sizes,
            preprocessing, weights, label).
        build: ``keras.applications``-style function that builds the architecture.
        options_doc: docstring lines for family-specific keyword arguments.
    """

    declaration: backbones.Backbone
    build: Callable[..., keras.Model]
    options_doc: str = ""

    @property
    def name(self) -> str:
        return self.declaration.name
