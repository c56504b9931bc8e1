"""A backbone family: its declaration (``neurn_keras.backbones``) joined to its code.

The declaration says what a backbone is (name, label, sizes, preprocessing, weights);
a ``Family`` adds the function that builds it. ``Family.declared(name, backbone)`` makes
one from the declaration, so the family modules say only what is code::

    DigitNet = register_family(Family.declared("digitnet", digitnet_backbone))

A family's ``backbone`` is a ``keras.applications``-style function (``include_top``,
``weights``, ``input_tensor``, ``input_shape``, ``pooling``, ``classes``,
``classifier_activation``, ``name``): for the eight Keras families it *is* the
``keras.applications`` constructor.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import keras

from neurn_keras import backbones
from neurn_keras.applications.adaptation import PREPROCESSING_MODES
from neurn_keras.errors import InvalidValueError


@dataclass(frozen=True)
class Family:
    """What the shared builder needs to know about one architecture.

    Every field but ``backbone`` and ``options_doc`` comes from the backbone's declaration
    in ``neurn_keras.backbones`` (``Family.declared`` copies them; ``register_family``
    refuses a family that disagrees with its declaration).

    Attributes:
        name: registry key, e.g. ``"vgg19"``.
        constructor_name: the public constructor's name, e.g. ``"VGG19"``.
        backbone: ``keras.applications``-style function that builds the architecture.
        source: where the architecture's code comes from, for the docs.
        reference: the paper that defines it.
        min_size: smallest height and width the architecture accepts; smaller inputs
            are resized up inside the model.
        default_size: the size its ImageNet weights were trained at (and, for our own
            small-image designs, the size they are designed for).
        preprocessing: one of ``adaptation.PREPROCESSING_MODES``, what the family's
            ``preprocess_input`` does.
        imagenet_weights: whether ``weights="imagenet"`` is available.
        options_doc: docstring lines for family-specific keyword arguments.
    """

    name: str
    constructor_name: str
    backbone: Callable[..., keras.Model]
    source: str
    reference: str
    min_size: int
    default_size: int
    preprocessing: str
    imagenet_weights: bool
    options_doc: str = ""

    def __post_init__(self):
        if self.preprocessing not in PREPROCESSING_MODES:
            raise InvalidValueError(
                f"Family {self.name}: preprocessing must be one of "
                f"{list(PREPROCESSING_MODES)}, got {self.preprocessing!r}"
            )

    @classmethod
    def declared(
        cls, name: str, backbone: Callable[..., keras.Model], options_doc: str = ""
    ) -> Family:
        """The family of backbone ``name`` as ``neurn_keras.backbones`` declares it, built
        by ``backbone``."""
        spec = backbones.get(name)
        return cls(
            name=spec.name,
            constructor_name=spec.label,
            backbone=backbone,
            source=spec.code,
            reference=spec.reference,
            min_size=spec.min_size,
            default_size=spec.default_size,
            preprocessing=spec.preprocessing,
            imagenet_weights=spec.imagenet_weights,
            options_doc=options_doc,
        )

    @property
    def declaration(self) -> backbones.Backbone:
        """This family's entry in ``neurn_keras.backbones`` (ValueError if it has none)."""
        return backbones.get(self.name)

    def differences(self) -> list[str]:
        """The fields in which this family disagrees with its declaration (empty: none)."""
        expected = Family.declared(self.name, self.backbone, self.options_doc)
        out = []
        for field in dataclasses.fields(self):
            ours, declared = getattr(self, field.name), getattr(expected, field.name)
            if ours != declared:
                out.append(f"{field.name}={ours!r} (declared {declared!r})")
        return out
