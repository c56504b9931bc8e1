"""Single cells against kernels: RMSE and KDE-IoU per model, layer and group of cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import pandas as pd

from neurn_keras._progress import tqdm
from neurn_keras.cortex.grouping import GROUPINGS, group_cells
from neurn_keras.cortex.metrics import kde_iou, layer_rmse, match_to_kernels
from neurn_keras.cortex.representations import feature_representations, neural_representations
from neurn_keras.cortex.sampling import sample_representatives
from neurn_keras.errors import InvalidValueError
from neurn_keras.model_parts import has_neurn
from neurn_keras.neuro.compact import NeuralData

DEFAULT_GROUPINGS = ("all", "cell_class", "area", "cre_line", "area_cre_line")
_KDE_GROUPINGS = ("cell_class", "all")  # the groups whose values Figure 3 shows


def neural_maps(data: NeuralData, size=None, center: bool = True) -> np.ndarray:
    """(cells, h, w) maps of the cells (:func:`neural_representations` of the trial means).

    ``size`` defaults to the scenes' size. Time-resolved data must be reduced first
    (``data.time_window(0.0, 0.5)``).
    """
    if data.time_resolved:
        raise InvalidValueError(
            "neural_maps: the responses are time-resolved; average a window first, e.g. "
            "data.time_window(0.0, 0.5) (the Allen SDK's response window)"
        )
    size = data.scenes.shape[1:] if size is None else size
    return neural_representations(data.mean_responses(), data.scenes, size, center=center)


def sample_cells(
    data: NeuralData, maps: np.ndarray, *, seed: int = 0, **sampling
) -> tuple[NeuralData, np.ndarray]:
    """Representative cells of each cell class (the paper's 500 excitatory + 500 inhibitory).

    :func:`sample_representatives` runs on each class's maps separately; ``**sampling``
    passes ``n_clusters``, ``per_cluster``, ``max_points``, ``n_epochs``.
    Returns the kept cells and their maps.
    """
    keep = []
    for rows in group_cells(data.cells, "cell_class").values():
        chosen = sample_representatives(maps[rows], seed=seed, **sampling).indices
        keep.append(rows[chosen])
    index = np.sort(np.concatenate(keep))
    return data.select(index), maps[index]


@dataclass(frozen=True, eq=False)
class RMSEAnalysis:
    """Results of :func:`rmse_analysis`.

    Attributes:
        layers: one row per (model, layer, grouping, group): ``rmse_best`` (mean over
            cells of the best kernel's RMSE), ``rmse_mean_pairs``, ``kde_iou``, sizes.
        models: the same averaged over each model's layers, one row per (model, grouping,
            group).
        kde_values: (model, cell-class group) → (neural values, kernel values, layer) of
            the model's first analysed layer, normalized, for Figure 3.
        note: the neural data's note (``UNVERIFIED...`` for doubtful data).
    """

    layers: pd.DataFrame
    models: pd.DataFrame
    kde_values: dict = field(default_factory=dict)
    note: str = ""


def _score_layer(
    maps: np.ndarray,
    kernels: np.ndarray,
    groups: Mapping[str, Mapping[str, np.ndarray]],
    normalize: str,
    seed: int,
) -> tuple[list[dict], dict]:
    """One layer's scores per (grouping, group), and the normalized values for Figure 3."""
    rows, kde_values = [], {}
    for grouping, members in groups.items():
        for group, cells in members.items():
            score = layer_rmse(maps[cells], kernels, normalize)
            neural, kernel = match_to_kernels(maps[cells], kernels, normalize)
            try:
                iou = kde_iou(neural, kernel, seed=seed)
            except ValueError:
                iou = np.nan
            if grouping in _KDE_GROUPINGS:
                kde_values[group] = (neural.ravel(), kernel.ravel())
            rows.append(
                {
                    "grouping": grouping,
                    "group": group,
                    "n_cells": len(cells),
                    "rmse_best": score.best,
                    "rmse_mean_pairs": score.mean_pairs,
                    "kde_iou": iou,
                }
            )
    return rows, kde_values


def _describe_layer(
    model: str, neurn: bool, layer: str, index: int, kernels: np.ndarray, kept: np.ndarray
) -> dict:
    """The columns that name a layer and count its kernel maps."""
    return {
        "model": model,
        "neurn": neurn,
        "layer": layer,
        "layer_index": index,
        "kernel": "x".join(str(s) for s in kernels.shape[1:]),
        "n_maps": len(kernels),
        "n_maps_kept": len(kept),
    }


def _per_model(layers: pd.DataFrame) -> pd.DataFrame:
    """The layer scores averaged over each model's layers."""
    return (
        layers.groupby(["model", "neurn", "grouping", "group"], sort=False)
        .agg(
            n_layers=("layer", "nunique"),
            n_cells=("n_cells", "first"),
            rmse_best=("rmse_best", "mean"),
            rmse_mean_pairs=("rmse_mean_pairs", "mean"),
            kde_iou=("kde_iou", "mean"),
        )
        .reset_index()
    )


def rmse_analysis(
    models: Mapping[str, keras.Model],
    data: NeuralData,
    *,
    map_size=None,
    center: bool = True,
    normalize: str = "minmax",
    groupings: Sequence[str] = DEFAULT_GROUPINGS,
    sample: bool = True,
    n_clusters: int = 10,
    per_cluster: int = 50,
    max_points: int | None = 4000,
    n_epochs: int | None = None,
    seed: int = 0,
    depthwise: bool = False,
    min_kernel: int = 2,
    progress: bool = True,
) -> RMSEAnalysis:
    """Compare each model's kernels with the cells' maps, layer by layer and group by group.

    1. Each cell's map: :func:`neural_maps` (``map_size``, ``center``).
    2. With ``sample=True``: representative cells per class (:func:`sample_cells`) and
       representative kernel maps per layer (:func:`sample_representatives`), both with
       ``n_clusters × per_cluster`` (the paper's 10 × 50).
    3. For every Conv2D layer with kernels of at least ``min_kernel`` pixels a side and
       every group of cells (``groupings``, see :func:`group_cells`): :func:`layer_rmse` and
       :func:`kde_iou` of the normalized cell maps (resized to the kernel) against the
       normalized kernel maps.
    """
    bad = [g for g in groupings if g not in GROUPINGS]
    if bad:
        raise InvalidValueError(
            f"rmse_analysis: unknown groupings {bad}; choose from {list(GROUPINGS)}"
        )
    sampling = dict(
        n_clusters=n_clusters, per_cluster=per_cluster, max_points=max_points, n_epochs=n_epochs
    )
    maps = neural_maps(data, map_size, center)
    if sample:
        data, maps = sample_cells(data, maps, seed=seed, **sampling)
    groups = {g: group_cells(data.cells, g) for g in groupings}
    kernels = {
        label: feature_representations(model, depthwise=depthwise, min_size=min_kernel)
        for label, model in models.items()
    }
    rows, kde_values = [], {}
    total = sum(map(len, kernels.values()))
    with tqdm(total=total, desc="RMSE/KDE-IoU", unit="layer", disable=not progress) as bar:
        for label, layer_maps in kernels.items():
            neurn = has_neurn(models[label])
            for index, (layer, kmaps) in enumerate(layer_maps.items()):
                bar.set_postfix_str(f"{label}: {layer}")
                kept = kmaps
                if sample:
                    kept = kmaps[sample_representatives(kmaps, seed=seed, **sampling).indices]
                scores, values = _score_layer(maps, kept, groups, normalize, seed)
                info = _describe_layer(label, neurn, layer, index, kmaps, kept)
                rows += [{**info, **score} for score in scores]
                if index == 0:
                    kde_values.update({(label, g): (*v, layer) for g, v in values.items()})
                bar.update(1)
    layers = pd.DataFrame(rows)
    return RMSEAnalysis(layers, _per_model(layers), kde_values, data.note)
