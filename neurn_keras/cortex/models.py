"""The models to compare: loaded from ``.keras`` files or run directories, and paired
(the NeuRN and plain versions of one architecture)."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras

from neurn_keras.cortex.representations import conv_layers
from neurn_keras.errors import InvalidValueError, MissingFileError
from neurn_keras.model_parts import has_neurn


def model_label(path: str | os.PathLike) -> str:
    """A model's label: the ``.keras`` file's stem, or a run directory's name."""
    path = Path(path)
    return path.name if path.is_dir() else path.stem


def load_models(paths: Sequence[str | os.PathLike]) -> dict[str, keras.Model]:
    """Load ``.keras`` files or run directories (holding ``model.keras``), keyed by label.

    Equal labels get a ``-2``, ``-3`` ... suffix. The package's custom layers (NeuRN, the
    baselines, the applications' input adaptation) are registered first.
    """
    from neurn_keras import applications, layers  # noqa: F401  (register the custom layers)

    models: dict[str, keras.Model] = {}
    for path in paths:
        path = Path(path)
        file = path / "model.keras" if path.is_dir() else path
        if not file.is_file():
            raise MissingFileError(
                f"model: no {file} (give a .keras file or a run directory with model.keras)"
            )
        label, k = model_label(path), 2
        while label in models:
            label, k = f"{model_label(path)}-{k}", k + 1
        models[label] = keras.saving.load_model(file, compile=False)
    return models


def architecture_signature(model) -> tuple:
    """The kernel shapes of the model's Conv2D layers, in order: equal for the NeuRN and
    plain versions of one architecture."""
    return tuple(tuple(layer.kernel.shape) for _, layer in conv_layers(model))


def pair_models(models: Mapping[str, object]) -> list[tuple[str, str]]:
    """(with NeuRN, without NeuRN) label pairs of models that share an architecture.

    Models with equal :func:`architecture_signature` are paired in the order given: the
    first NeuRN model with the first plain one, and so on. Unpaired models are left out.
    """
    by_signature: dict[tuple, dict[bool, list[str]]] = defaultdict(lambda: {True: [], False: []})
    for label, model in models.items():
        by_signature[architecture_signature(model)][has_neurn(model)].append(label)
    pairs = []
    for sides in by_signature.values():
        pairs += list(zip(sides[True], sides[False], strict=False))
    return pairs


def check_pairs(pairs: Sequence[tuple[str, str]], models: Mapping[str, object]) -> None:
    """Raise ValueError unless each (with, without) pair names known models, with NeuRN
    on the first side only."""
    for with_label, without_label in pairs:
        for label in (with_label, without_label):
            if label not in models:
                raise InvalidValueError(
                    f"pair {with_label!r}/{without_label!r}: no model labelled {label!r}"
                )
        if not has_neurn(models[with_label]) or has_neurn(models[without_label]):
            raise InvalidValueError(
                f"pair {with_label!r}/{without_label!r}: the first model must have a NeuRN "
                "layer and the second none"
            )
