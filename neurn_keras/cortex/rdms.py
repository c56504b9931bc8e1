"""RDMs of model layers and of cortex groups, as ``rsatoolbox.rdm.RDMs``.

A model layer's RDM is 1 − Pearson r between its activation patterns to each pair of
scenes (:func:`rdm`); a cortex group's RDM is 1 − the group's similarity matrix. Both
travel as rsatoolbox ``RDMs`` that carry their descriptors: per RDM ``model``, ``layer``
and ``layer_index`` (:func:`layer_rdms`, :func:`model_rdms`) or ``group``, ``area``,
``cortical_layer``, ``noise_ceiling`` and ``noise_ceiling_sem`` (:func:`cortex_rdms`); per
pattern, ``scene``. rsatoolbox is imported on first use (it takes seconds).

>>> import numpy as np
>>> x = np.random.default_rng(0).normal(size=(5, 8))
>>> rdms = layer_rdms({"net": {"conv1": rdm(x), "conv2": rdm(x**2)}})
>>> rdms.n_rdm, rdms.n_cond, rdms.rdm_descriptors["layer"]
(2, 5, ['conv1', 'conv2'])
>>> compare_rdms(rdm(x), rdm(x))
1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from neurn_keras.errors import InvalidValueError
from neurn_keras.neuro.allen_files import SceneRSMs, split_group

if TYPE_CHECKING:
    from rsatoolbox.rdm import RDMs

PIXELS = "pixels"
"""The pseudo-model of the scenes' own pixels, the baseline any layer should beat."""

COMPARISON = "spearman"
"""rsatoolbox's comparison of two RDMs: Spearman r of their upper triangles."""

MODEL_MEASURE = "1 - Pearson r of the layer's activations"
CORTEX_MEASURE = "1 - similarity (Allen Brain Observatory RSM)"


def rdm(activations) -> np.ndarray:
    """(N, N) dissimilarity 1 − Pearson r between the flattened activations of N stimuli.

    A stimulus whose activations are constant (for example all zero after a ReLU) has no
    defined correlation; it gets r = 0 (dissimilarity 1) with every other stimulus.
    """
    x = np.asarray(activations, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] < 3:
        raise InvalidValueError(
            f"rdm: activations must be (N >= 3 stimuli, ...), got shape {x.shape}"
        )
    x = x.reshape(x.shape[0], -1)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    scale = np.where(norm > 0, norm, 1.0)
    r = (x / scale[:, None]) @ (x / scale[:, None]).T
    r = np.clip(r, -1.0, 1.0)
    np.fill_diagonal(r, 1.0)
    return 1.0 - r


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """The entries above the diagonal of a square matrix, row by row."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise InvalidValueError(
            f"upper_triangle: expected a square matrix, got shape {matrix.shape}"
        )
    return matrix[np.triu_indices(matrix.shape[0], k=1)]


def _stack(what: str, matrices: Sequence) -> np.ndarray:
    """(R, S, S) float64 of square, symmetric matrices; ValueError naming ``what`` if not."""
    if not matrices:
        raise InvalidValueError(f"no {what} RDMs")
    stack = np.stack([np.asarray(m, dtype=np.float64) for m in matrices])
    if stack.ndim != 3 or stack.shape[1] != stack.shape[2]:
        raise InvalidValueError(
            f"the {what} RDMs must be square (S, S) matrices, got {stack.shape[1:]}"
        )
    if not np.allclose(stack, stack.transpose(0, 2, 1), atol=1e-6, equal_nan=True):
        raise InvalidValueError(f"the {what} RDMs must be symmetric")
    return stack


def _rdms(stack: np.ndarray, measure: str, descriptors: dict[str, list]) -> RDMs:
    from rsatoolbox.rdm import RDMs

    scenes = {"scene": list(range(stack.shape[1]))}
    return RDMs(stack, measure, rdm_descriptors=descriptors, pattern_descriptors=scenes)


def layer_rdms(rdms: Mapping[str, Mapping[str, np.ndarray]]) -> RDMs:
    """model → layer → (S, S) RDM as one ``RDMs``, with descriptors model, layer, layer_index."""
    keys = [(m, layer, i) for m, layers in rdms.items() for i, layer in enumerate(layers)]
    stack = _stack("model", [rdms[m][layer] for m, layer, _ in keys])
    names = ("model", "layer", "layer_index")
    return _rdms(stack, MODEL_MEASURE, {n: [k[c] for k in keys] for c, n in enumerate(names)})


def _area_layer(group: str) -> tuple[str, str]:
    try:
        return split_group(group)
    except ValueError:
        return group, ""


def cortex_rdms(
    rdms: Mapping[str, np.ndarray] | SceneRSMs, groups: pd.DataFrame | None = None
) -> RDMs:
    """group → (S, S) RDM (or a ``SceneRSMs``, its 21 groups) as one ``RDMs``.

    Descriptors per RDM: ``group``, ``area`` and ``cortical_layer`` (from the group's name,
    ``"VISp_layer23"``), ``noise_ceiling`` and ``noise_ceiling_sem`` (from ``groups``, a
    table with those columns and ``group``, as ``SceneRSMs.groups``; NaN without it).
    """
    if isinstance(rdms, SceneRSMs):
        rdms, groups = {g: rdms.rdm(g) for g in rdms.groups["group"]}, rdms.groups
    names = list(rdms)
    stack = _stack("neural", [rdms[g] for g in names])
    ceilings = pd.DataFrame(index=names, columns=["noise_ceiling", "noise_ceiling_sem"])
    if groups is not None:
        ceilings = groups.set_index("group").reindex(names)[list(ceilings.columns)]
    areas, layers = zip(*(_area_layer(g) for g in names), strict=True)
    descriptors = {"group": names, "area": list(areas), "cortical_layer": list(layers)}
    for column in ceilings.columns:
        descriptors[column] = ceilings[column].to_numpy(dtype=np.float64).tolist()
    return _rdms(stack, CORTEX_MEASURE, descriptors)


def compare_rdms(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman correlation of the upper triangles of two RDMs of the same stimuli."""
    from rsatoolbox.rdm import RDMs, compare

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidValueError(f"compare_rdms: RDM shapes differ, {a.shape} and {b.shape}")
    return float(compare(RDMs(a[None]), RDMs(b[None]), method=COMPARISON)[0, 0])


def model_rdms(
    models: Mapping,
    scenes: np.ndarray,
    *,
    depthwise: bool = False,
    include_pixels: bool = True,
    progress: bool = True,
) -> RDMs:
    """The RDM of every NeuRN and convolution layer of each model over the scenes.

    Each model sees the scenes through :func:`~neurn_keras.cortex.activations.prepare_scenes`
    (its own input size, raw 0..255 pixels). With ``include_pixels``, a pseudo-model
    ``"pixels"`` holds the RDM of the scenes themselves.
    """
    from neurn_keras._progress import tqdm
    from neurn_keras.cortex.activations import layer_activations, prepare_scenes

    matrices: dict[str, dict[str, np.ndarray]] = {}
    if include_pixels:
        matrices[PIXELS] = {PIXELS: rdm(np.asarray(scenes, dtype=np.float64))}
    for label in tqdm(list(models), desc="RSA activations", unit="model", disable=not progress):
        model = models[label]
        activations = layer_activations(model, prepare_scenes(scenes, model), depthwise=depthwise)
        matrices[label] = {layer: rdm(values) for layer, values in activations.items()}
    return layer_rdms(matrices)
