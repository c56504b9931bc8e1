"""The models to compare: loaded from ``.keras`` files or run directories, paired (the
NeuRN and plain versions of one architecture), and what else differs within a pair."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import keras

from neurn_keras.cortex.representations import conv_layers
from neurn_keras.errors import InvalidValueError, MissingFileError, ResultsError
from neurn_keras.model_parts import has_neurn, walk_layers

NEURN_SETTINGS = ("input_norm", "kernel_size", "padding")
"""The run settings (``RunConfig`` fields) in which a NeuRN model and its plain partner
are meant to differ."""

RUN_OUTCOMES = ("epochs_run", "steps_run", "train_images")
"""What a run record says of the training itself, compared besides its settings."""


def model_label(path: str | os.PathLike) -> str:
    """A model's label: the ``.keras`` file's stem, or a run directory's name."""
    path = Path(path)
    return path.name if path.is_dir() else path.stem


def labelled_paths(paths: Sequence[str | os.PathLike]) -> dict[str, Path]:
    """The ``.keras`` files or run directories keyed by label; equal labels get a ``-2``,
    ``-3`` ... suffix."""
    labelled: dict[str, Path] = {}
    for path in paths:
        label, k = model_label(path), 2
        while label in labelled:
            label, k = f"{model_label(path)}-{k}", k + 1
        labelled[label] = Path(path)
    return labelled


def load_models(paths: Sequence[str | os.PathLike]) -> dict[str, keras.Model]:
    """Load ``.keras`` files or run directories (holding ``model.keras``), keyed by label
    (:func:`labelled_paths`).

    The package's custom layers (NeuRN, the baselines, the applications' input
    adaptation) are registered first.
    """
    from neurn_keras import applications, layers  # noqa: F401  (register the custom layers)

    models: dict[str, keras.Model] = {}
    for label, path in labelled_paths(paths).items():
        file = path / "model.keras" if path.is_dir() else path
        if not file.is_file():
            raise MissingFileError(
                f"model: no {file} (give a .keras file or a run directory with model.keras)"
            )
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


def _record(path: Path):
    """The run record of a run directory, or None (a bare file, no or an invalid record)."""
    from neurn_keras.training.record import load_record

    if not (path / "results.json").is_file():
        return None
    try:
        return load_record(path / "results.json")
    except ResultsError:
        return None


def _record_differences(with_record, without_record) -> list[str]:
    """Settings and training outcomes that differ, NeuRN's own settings left out."""
    differences = []
    settings = (with_record.config, without_record.config)
    for key in sorted(set(settings[0]) | set(settings[1])):
        values = [config.get(key) for config in settings]
        if key not in NEURN_SETTINGS and values[0] != values[1]:
            differences.append(f"{key} {values[0]} vs {values[1]}")
    for key in RUN_OUTCOMES:
        values = [getattr(record, key) for record in (with_record, without_record)]
        if values[0] != values[1]:
            differences.append(f"{key} {values[0]} vs {values[1]}")
    versions = (with_record.versions, without_record.versions)
    for key in sorted(set(versions[0]) | set(versions[1])):
        if versions[0].get(key) != versions[1].get(key):
            differences.append(f"{key} {versions[0].get(key)} vs {versions[1].get(key)}")
    return differences


def weighted_layers(model) -> list[tuple[str, tuple]]:
    """``(class name, weight shapes)`` of every layer with weights, in order: what makes
    the architecture, without the weightless input layers (NeuRN, rescaling, resizing)."""
    return [
        (type(layer).__name__, tuple(tuple(weight.shape) for weight in layer.weights))
        for _, layer in walk_layers(model)
        if layer.weights
    ]


def _describe(layer: tuple[str, tuple]) -> str:
    """``Conv2D 3x3x8x6, 6``: a layer's class and the shapes of its weights."""
    name, shapes = layer
    return f"{name} " + ", ".join("x".join(map(str, shape)) for shape in shapes)


def _model_differences(with_model, without_model) -> list[str]:
    """Layers with weights and parameter counts that differ."""
    differences = []
    layers = weighted_layers(with_model), weighted_layers(without_model)
    if layers[0] != layers[1]:
        first = next(
            (i for i, (a, b) in enumerate(zip(*layers, strict=False)) if a != b),
            min(map(len, layers)),
        )
        shown = [_describe(part[first]) if first < len(part) else "none" for part in layers]
        differences.append(
            f"layers with weights {len(layers[0])} vs {len(layers[1])}, "
            f"the first that differs (#{first + 1}): {shown[0]} vs {shown[1]}"
        )
    counts = with_model.count_params(), without_model.count_params()
    if counts[0] != counts[1]:
        differences.append(f"parameters {counts[0]:,} vs {counts[1]:,}")
    return differences


def pair_differences(
    pair: tuple[str, str], models: Mapping[str, object], paths: Mapping[str, Path]
) -> list[str]:
    """What differs within a (with NeuRN, without) pair besides NeuRN, one line each.

    Run directories with a ``results.json`` each are compared by their run records: the
    settings (``RunConfig``) except :data:`NEURN_SETTINGS`, :data:`RUN_OUTCOMES` and the
    versions. Otherwise the models themselves: their layers with weights
    (:func:`weighted_layers`) and their parameter counts.
    """
    records = [_record(paths[label]) for label in pair]
    if all(record is not None for record in records):
        return _record_differences(*records)
    return _model_differences(models[pair[0]], models[pair[1]])
