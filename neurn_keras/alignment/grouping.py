"""Groups of cells (area, Cre line, cell class) and NeuRN / plain model pairs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from neurn_keras.alignment.representations import conv_layers, walk_layers
from neurn_keras.layers import NeuRN

GROUPINGS = ("all", "cell_class", "area", "cre_line", "area_cre_line")
_COLUMNS = {
    "cell_class": ("cell_class",),
    "area": ("area",),
    "cre_line": ("cre_line",),
    "area_cre_line": ("area", "cre_line"),
}


def group_cells(cells: pd.DataFrame, by: str = "cell_class") -> dict[str, np.ndarray]:
    """Row indices of ``cells`` per group: label → int array, labels sorted.

    ``by`` is one of :data:`GROUPINGS`: ``"all"`` (one group), ``"cell_class"``,
    ``"area"``, ``"cre_line"`` or ``"area_cre_line"`` (labels ``"VISp/Cux2-CreERT2"``).
    """
    if by not in GROUPINGS:
        raise ValueError(f"group_cells: by must be one of {list(GROUPINGS)}, got {by!r}")
    if by == "all":
        return {"all": np.arange(len(cells))}
    columns = list(_COLUMNS[by])
    missing = [c for c in columns if c not in cells.columns]
    if missing:
        raise ValueError(f"group_cells: the cell table has no columns {missing}")
    labels = cells[columns].astype(str).agg("/".join, axis=1).to_numpy()
    return {label: np.flatnonzero(labels == label) for label in sorted(set(labels))}


def has_neurn(model) -> bool:
    """True if any layer of ``model`` (nested models included) is a NeuRN layer."""
    return any(isinstance(layer, NeuRN) for _, layer in walk_layers(model))


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
                raise ValueError(
                    f"pair {with_label!r}/{without_label!r}: no model labelled {label!r}"
                )
        if not has_neurn(models[with_label]) or has_neurn(models[without_label]):
            raise ValueError(
                f"pair {with_label!r}/{without_label!r}: the first model must have a NeuRN "
                "layer and the second none"
            )
