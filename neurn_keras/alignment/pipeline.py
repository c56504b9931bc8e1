"""The whole alignment analysis of a set of models: RMSE and KDE-IoU against cells, RSA
against the cortex RDMs. Used by ``python -m neurn_keras.align`` and the notebook."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from neurn_keras.alignment.activations import layer_activations, prepare_scenes
from neurn_keras.alignment.grouping import GROUPINGS, group_cells, has_neurn
from neurn_keras.alignment.metrics import kde_iou, layer_rmse, match_to_kernels
from neurn_keras.alignment.representations import (
    feature_representations,
    neural_representations,
)
from neurn_keras.alignment.rsa import RSAResult, rdm, rsa_scores
from neurn_keras.alignment.sampling import sample_representatives
from neurn_keras.neuro.allen_files import SceneRSMs
from neurn_keras.neuro.compact import NeuralData

PIXELS = "pixels"
DEFAULT_GROUPINGS = ("all", "cell_class", "area", "cre_line", "area_cre_line")


def model_label(path: str | os.PathLike) -> str:
    """A model's label: the ``.keras`` file's stem, or a run directory's name."""
    path = Path(path)
    return path.name if path.is_dir() else path.stem


def load_models(paths: Sequence[str | os.PathLike]) -> dict[str, keras.Model]:
    """Load ``.keras`` files or run directories (holding ``model.keras``), keyed by label.

    Equal labels get a ``-2``, ``-3`` ... suffix. The package's custom layers (NeuRN, the
    applications' input adaptation) are registered by ``import neurn_keras`` itself.
    """
    models: dict[str, keras.Model] = {}
    for path in paths:
        path = Path(path)
        file = path / "model.keras" if path.is_dir() else path
        if not file.is_file():
            raise FileNotFoundError(
                f"model: no {file} (give a .keras file or a run directory with model.keras)"
            )
        label, k = model_label(path), 2
        while label in models:
            label, k = f"{model_label(path)}-{k}", k + 1
        models[label] = keras.saving.load_model(file, compile=False)
    return models


def neural_maps(data: NeuralData, size=None, center: bool = True) -> np.ndarray:
    """(cells, h, w) maps of the cells (:func:`neural_representations` of the trial means).

    ``size`` defaults to the scenes' size. Time-resolved data must be reduced first
    (``data.time_window(0.0, 0.5)``).
    """
    if data.time_resolved:
        raise ValueError(
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
        raise ValueError(f"rmse_analysis: unknown groupings {bad}; choose from {list(GROUPINGS)}")
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
    total = sum(len(k) for k in kernels.values())
    with tqdm(total=total, desc="RMSE/KDE-IoU", unit="layer", disable=not progress) as bar:
        for label, layer_maps in kernels.items():
            neurn = has_neurn(models[label])
            for index, (layer, kmaps) in enumerate(layer_maps.items()):
                bar.set_postfix_str(f"{label}: {layer}")
                kept = kmaps
                if sample:
                    kept = kmaps[sample_representatives(kmaps, seed=seed, **sampling).indices]
                for grouping, members in groups.items():
                    for group, rows_of in members.items():
                        score = layer_rmse(maps[rows_of], kept, normalize)
                        neural_n, kernel_n = match_to_kernels(maps[rows_of], kept, normalize)
                        try:
                            iou = kde_iou(neural_n, kernel_n, seed=seed)
                        except ValueError:
                            iou = np.nan
                        if index == 0 and grouping in ("cell_class", "all"):
                            kde_values[(label, group)] = (neural_n.ravel(), kernel_n.ravel(), layer)
                        rows.append(
                            {
                                "model": label,
                                "neurn": neurn,
                                "layer": layer,
                                "layer_index": index,
                                "kernel": "x".join(str(s) for s in kmaps.shape[1:]),
                                "n_maps": len(kmaps),
                                "n_maps_kept": len(kept),
                                "grouping": grouping,
                                "group": group,
                                "n_cells": len(rows_of),
                                "rmse_best": score.best,
                                "rmse_mean_pairs": score.mean_pairs,
                                "kde_iou": iou,
                            }
                        )
                bar.update(1)
    layers = pd.DataFrame(rows)
    per_model = (
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
    return RMSEAnalysis(layers, per_model, kde_values, data.note)


def model_rdms(
    models: Mapping[str, keras.Model],
    scenes: np.ndarray,
    *,
    depthwise: bool = False,
    include_pixels: bool = True,
    progress: bool = True,
) -> dict[str, dict[str, np.ndarray]]:
    """model → layer → RDM of the layer's activations to the scenes.

    Each model sees the scenes through :func:`prepare_scenes` (its own input size, raw
    0..255 pixels). With ``include_pixels``, a pseudo-model ``"pixels"`` holds the RDM of
    the scenes themselves, the baseline any layer should beat.
    """
    rdms: dict[str, dict[str, np.ndarray]] = {}
    if include_pixels:
        rdms[PIXELS] = {PIXELS: rdm(np.asarray(scenes, dtype=np.float64))}
    for label in tqdm(list(models), desc="RSA activations", unit="model", disable=not progress):
        model = models[label]
        activations = layer_activations(model, prepare_scenes(scenes, model), depthwise=depthwise)
        rdms[label] = {layer: rdm(values) for layer, values in activations.items()}
    return rdms


def rsa_analysis(
    models: Mapping[str, keras.Model],
    rsms: SceneRSMs,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    ci: float = 0.95,
    depthwise: bool = False,
    include_pixels: bool = True,
    progress: bool = True,
) -> RSAResult:
    """:func:`rsa_scores` of every model's NeuRN and convolution layers against the 21
    cortex groups of ``rsms``, with the pixel baseline and the groups' noise ceilings."""
    rdms = model_rdms(
        models, rsms.scenes, depthwise=depthwise, include_pixels=include_pixels, progress=progress
    )
    neural = {group: rsms.rdm(group) for group in rsms.groups["group"]}
    return rsa_scores(rdms, neural, groups=rsms.groups, n_boot=n_boot, seed=seed, ci=ci)
