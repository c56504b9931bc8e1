"""Map metrics: RMSE (and the cell-to-kernel comparison) and the KDE intersection over union."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist
from scipy.stats import gaussian_kde

from neurn_keras.errors import InvalidValueError
from neurn_keras.neuro.resize import resize_maps

NORMALIZATIONS = ("minmax", "zscore", "none")


def rmse(a, b) -> float:
    """Root-mean-square error of two arrays of the same shape: √(mean((a − b)²))."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidValueError(
            f"rmse: shapes differ, {a.shape} and {b.shape}; bring both to one size first "
            "(resize_maps)"
        )
    if a.size == 0:
        raise InvalidValueError("rmse: empty arrays")
    return float(np.sqrt(np.mean((a - b) ** 2)))


def normalize_maps(maps, method: str = "minmax") -> np.ndarray:
    """Scale each map (along the first axis) on its own.

    ``"minmax"`` maps it to [0, 1]; ``"zscore"`` to zero mean, unit standard deviation;
    ``"none"`` leaves it. A constant map becomes all zeros under both scalings.
    """
    if method not in NORMALIZATIONS:
        raise InvalidValueError(
            f"normalize_maps: method must be one of {list(NORMALIZATIONS)}, got {method!r}"
        )
    maps = np.asarray(maps, dtype=np.float64)
    if method == "none":
        return maps
    axes = tuple(range(1, maps.ndim))
    if method == "minmax":
        low = maps.min(axis=axes, keepdims=True)
        span = maps.max(axis=axes, keepdims=True) - low
        return np.where(span > 0, (maps - low) / np.where(span > 0, span, 1.0), 0.0)
    mean = maps.mean(axis=axes, keepdims=True)
    std = maps.std(axis=axes, keepdims=True)
    return np.where(std > 0, (maps - mean) / np.where(std > 0, std, 1.0), 0.0)


def pairwise_rmse(a_maps, b_maps) -> np.ndarray:
    """(Na, Nb) matrix of :func:`rmse` between every map of ``a_maps`` and of ``b_maps``."""
    a = np.asarray(a_maps, dtype=np.float64)
    b = np.asarray(b_maps, dtype=np.float64)
    if a.shape[1:] != b.shape[1:]:
        raise InvalidValueError(
            f"pairwise_rmse: map shapes differ, {a.shape[1:]} and {b.shape[1:]}"
        )
    size = int(np.prod(a.shape[1:]))
    return cdist(a.reshape(len(a), -1), b.reshape(len(b), -1)) / np.sqrt(size)


def match_to_kernels(
    neural_maps, kernel_maps, normalize: str = "minmax"
) -> tuple[np.ndarray, np.ndarray]:
    """Cells' maps and kernel maps brought to a common size and scale.

    Each cell's map is resized to the kernels' (kh, kw) (:func:`resize_maps`), then both
    are scaled map by map with :func:`normalize_maps`. Returns (cells, kh, kw) and
    (kernels, kh, kw) float64.
    """
    kernel_maps = np.asarray(kernel_maps)
    if kernel_maps.ndim != 3:
        raise InvalidValueError(
            f"match_to_kernels: kernel maps must be (N, kh, kw), got {kernel_maps.shape}"
        )
    neural = resize_maps(neural_maps, kernel_maps.shape[1:])
    return normalize_maps(neural, normalize), normalize_maps(kernel_maps, normalize)


@dataclass(frozen=True)
class LayerRMSE:
    """RMSE between a group of cells and a layer's kernels.

    Attributes:
        best: mean over cells of the RMSE of the best-matching kernel (the population score).
        mean_pairs: mean RMSE over all (cell, kernel) pairs.
        per_cell: (cells,) each cell's best RMSE.
        best_kernel: (cells,) index of each cell's best kernel.
    """

    best: float
    mean_pairs: float
    per_cell: np.ndarray
    best_kernel: np.ndarray


def layer_rmse(neural_maps, kernel_maps, normalize: str = "minmax") -> LayerRMSE:
    """Population RMSE of a layer for a group of cells (see :class:`LayerRMSE`).

    ``neural_maps`` (cells, H, W) are resized to the kernels' size and both sides scaled
    per map (``"minmax"`` to [0, 1] by default, ``"zscore"`` on request) before comparing.
    """
    neural, kernels = match_to_kernels(neural_maps, kernel_maps, normalize)
    if len(neural) == 0 or len(kernels) == 0:
        raise InvalidValueError(
            f"layer_rmse: {len(neural)} cells and {len(kernels)} kernels; need both"
        )
    table = pairwise_rmse(neural, kernels)
    best_kernel = table.argmin(axis=1)
    per_cell = table[np.arange(len(neural)), best_kernel]
    return LayerRMSE(float(per_cell.mean()), float(table.mean()), per_cell, best_kernel)


def kde_iou(a, b, grid_size: int = 2048, max_samples: int | None = 20000, seed: int = 0) -> float:
    """Overlap of two samples' densities: ∫min(p, q) / ∫max(p, q).

    p and q are Gaussian KDEs (``scipy.stats.gaussian_kde``, Scott's bandwidth) of the
    flattened samples ``a`` and ``b``, evaluated on one grid of ``grid_size`` points that
    spans both samples and 6 bandwidths beyond, and integrated by the trapezoid rule. The
    result is 1 for identical samples, near 0 for far-apart ones, and symmetric.

    ``max_samples`` caps each sample (a seeded random subset) to bound the KDE's cost.
    """
    samples = []
    for name, x in (("a", a), ("b", b)):
        x = np.asarray(x, dtype=np.float64).ravel()
        x = x[np.isfinite(x)]
        if max_samples is not None and x.size > max_samples:
            x = np.random.default_rng(seed).choice(x, size=max_samples, replace=False)
        if x.size < 2 or np.ptp(x) == 0:
            raise InvalidValueError(
                f"kde_iou: sample {name} has {x.size} finite values and no spread; a KDE needs "
                "at least two distinct values"
            )
        samples.append(x)
    kdes = [gaussian_kde(x, bw_method="scott") for x in samples]
    width = max(float(np.sqrt(k.covariance[0, 0])) for k in kdes)
    low = min(x.min() for x in samples) - 6 * width
    high = max(x.max() for x in samples) + 6 * width
    grid = np.linspace(low, high, grid_size)
    p, q = (k(grid) for k in kdes)
    union = np.trapezoid(np.maximum(p, q), grid)
    return float(np.trapezoid(np.minimum(p, q), grid) / union)
