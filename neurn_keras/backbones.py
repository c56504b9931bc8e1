"""The backbones, declared once, as data, in the order of the paper's Table 1.

Everything that lists backbones derives from ``BACKBONES`` here: the registry and the
constructors of ``neurn_keras.applications``, the choices and ``--help`` of
``python -m neurn_keras.train``, the row order and labels of Table 1
(``neurn_keras.training.tables``, ``benchmarks/table1.py``), the README's table of
backbones (``benchmarks/backbones_table.py``), the archsim zoo and the tests.

This module imports neither Keras nor NumPy, so command-line tools can list and check
backbone names before any heavy import::

    >>> from neurn_keras import backbones
    >>> backbones.NAMES[:3]
    ('digitnet', 'vgg19', 'efficientnetb0')
    >>> backbones.get("mobilenetv2").label
    'MobileNetV2'

The code that builds each backbone lives in ``neurn_keras.applications``: one module per
family of our own (``digitnet``, ``shufflenet_v2``, ``vit``) and ``keras_families`` for the
eight that ``keras.applications`` provides.
"""

from __future__ import annotations

from dataclasses import dataclass

KERAS_APPLICATIONS = "keras.applications."


@dataclass(frozen=True)
class Backbone:
    """One backbone, as plain data.

    Attributes:
        name: registry key and command-line name, e.g. ``"mobilenetv2"``.
        label: the constructor's name, as tables print it, e.g. ``"MobileNetV2"``.
        code: where the architecture's code lives: the ``keras.applications``
            constructor (``"keras.applications.MobileNetV2"``) or our module
            (``"neurn_keras.applications.digitnet"``).
        reference: the paper that defines the architecture.
        min_size: smallest input height and width the architecture accepts; the models
            resize smaller inputs up inside themselves.
        default_size: the size its ImageNet weights were trained at (for our own
            small-image designs, the size they are designed for).
        preprocessing: what the family's ``preprocess_input`` does, one of
            ``neurn_keras.applications.adaptation.PREPROCESSING_MODES``.
        imagenet_weights: whether ``weights="imagenet"`` is available.
        paper_row: the backbone's row in the paper's Table 1 (None: not in the paper).
    """

    name: str
    label: str
    code: str
    reference: str
    min_size: int
    default_size: int
    preprocessing: str
    imagenet_weights: bool
    paper_row: str | None = None

    @property
    def from_keras(self) -> bool:
        """Whether ``keras.applications`` provides the architecture (we wrap it)."""
        return self.code.startswith(KERAS_APPLICATIONS)


def _keras(name: str, label: str, reference: str, min_size: int, default_size: int, mode: str):
    """A ``keras.applications`` family: ImageNet weights, Keras's minimum size, in the paper."""
    return Backbone(
        name=name,
        label=label,
        code=KERAS_APPLICATIONS + label,
        reference=reference,
        min_size=min_size,
        default_size=default_size,
        preprocessing=mode,
        imagenet_weights=True,
        paper_row=label,
    )


BACKBONES: tuple[Backbone, ...] = (
    Backbone(
        name="digitnet",
        label="DigitNet",
        code="neurn_keras.applications.digitnet",
        reference="Volpi et al. 2018; Qiao et al. 2020",
        min_size=32,
        default_size=32,
        preprocessing="tf",
        imagenet_weights=False,
        paper_row=None,
    ),
    # name, label, reference, min_size, default_size, preprocessing
    _keras("vgg19", "VGG19", "Simonyan & Zisserman 2015", 32, 224, "caffe"),
    _keras("efficientnetb0", "EfficientNetB0", "Tan & Le 2019", 32, 224, "pixels"),
    _keras("densenet121", "DenseNet121", "Huang et al. 2017", 32, 224, "torch"),
    Backbone(
        name="shufflenetv2",
        label="ShuffleNetV2",
        code="neurn_keras.applications.shufflenet_v2",
        reference="Ma et al. 2018, 1.0×",
        min_size=32,
        default_size=224,
        preprocessing="torch",
        imagenet_weights=False,
        paper_row="ShuffleNet",
    ),
    _keras("xception", "Xception", "Chollet 2017", 71, 299, "tf"),
    _keras("nasnetmobile", "NASNetMobile", "Zoph et al. 2018", 32, 224, "tf"),
    _keras("resnet50v2", "ResNet50V2", "He et al. 2016", 32, 224, "tf"),
    _keras("inceptionv3", "InceptionV3", "Szegedy et al. 2016", 75, 299, "tf"),
    _keras("mobilenetv2", "MobileNetV2", "Sandler et al. 2018", 32, 224, "tf"),
    Backbone(
        name="vit",
        label="ViT",
        code="neurn_keras.applications.vit",
        reference="Dosovitskiy et al. 2021, as ViT-Lite-7/4 of Hassani et al. 2021",
        min_size=32,
        default_size=32,
        preprocessing="tf",
        imagenet_weights=False,
        paper_row="ViT",
    ),
)
"""Every backbone, in the order of the paper's Table 1 (DigitNet, not in the paper, first)."""

NAMES: tuple[str, ...] = tuple(backbone.name for backbone in BACKBONES)
"""The backbones' names, in the declared order."""

_BY_NAME = {backbone.name: backbone for backbone in BACKBONES}


def get(name: str) -> Backbone:
    """The declaration of backbone ``name``; ValueError naming the choices otherwise."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        # imported here: read on its own, this module imports nothing (not even the package)
        from neurn_keras.errors import InvalidValueError

        raise InvalidValueError(
            f"unknown backbone {name!r}; choose one of {', '.join(NAMES)}"
        ) from None


def label(name: str) -> str:
    """How tables print backbone ``name`` (``"MobileNetV2"``); an undeclared name as it is."""
    backbone = _BY_NAME.get(name)
    return backbone.label if backbone is not None else name


def order(name: str) -> int:
    """Sort key: the declared position of ``name``; undeclared names come last."""
    return NAMES.index(name) if name in _BY_NAME else len(NAMES)


def describe() -> str:
    """The declaration as a plain-text table, one backbone a line."""
    header = ("name", "label", "min", "default", "imagenet", "paper row", "code")
    rows = [header] + [
        (
            b.name,
            b.label,
            str(b.min_size),
            str(b.default_size),
            "yes" if b.imagenet_weights else "no",
            b.paper_row or "-",
            b.code,
        )
        for b in BACKBONES
    ]
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


if __name__ == "__main__":  # python -m neurn_keras.backbones: the table, without Keras
    print(describe())
