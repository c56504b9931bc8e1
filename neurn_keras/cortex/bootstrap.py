"""The paired bootstrap over scenes, with repeated scene pairs weighted (not in rsatoolbox).

Each resample draws S scenes with replacement and keeps the pairs of two distinct scenes,
a pair drawn k times counting k times: the resample ``rsatoolbox.rdm.RDMs.subsample_pattern``
makes (it marks a scene paired with its own copy NaN). Every model RDM is compared with
every cortex RDM on the same resample, so differences between models (NeuRN minus plain)
are paired. Instead of building each resampled S × S matrix and ranking it again, the
resample is a weight per scene pair: tie groups are found once per RDM, and each resample
costs two ``bincount``s per stack of RDMs.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rsatoolbox.rdm import RDMs


class _WeightedRanks:
    """Average ranks of each row of ``vectors`` (V, P) in a weighted sample of its entries.

    A bootstrap sample of scene pairs repeats some pairs; the rank of an entry in the
    expanded sample is (total weight of smaller values) + (weight of its tie group + 1) / 2.
    """

    def __init__(self, vectors: np.ndarray):
        n_rows, n_items = vectors.shape
        order = np.argsort(vectors, axis=1, kind="stable")
        ordered = np.take_along_axis(vectors, order, axis=1)
        starts = np.ones(ordered.shape, dtype=bool)
        starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        dense = np.empty(ordered.shape, dtype=np.int64)
        np.put_along_axis(dense, order, np.cumsum(starts, axis=1) - 1, axis=1)
        self.shape = (n_rows, n_items)
        self.groups = int(dense.max()) + 1
        self.index = (np.arange(n_rows)[:, None] * self.groups + dense).ravel()

    def __call__(self, weights: np.ndarray) -> np.ndarray:
        n_rows, n_items = self.shape
        per_group = np.bincount(
            self.index,
            weights=np.broadcast_to(weights, self.shape).ravel(),
            minlength=n_rows * self.groups,
        ).reshape(n_rows, self.groups)
        rank = np.cumsum(per_group, axis=1) - per_group + (per_group + 1) / 2
        return rank.ravel()[self.index].reshape(n_rows, n_items)


def _weighted_correlation(a: np.ndarray, b: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Pearson r between rows of a (A, P) and of b (B, P), entries weighted: (A, B)."""
    total = weights.sum()
    a = a - (a @ weights / total)[:, None]
    b = b - (b @ weights / total)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((a * weights) @ b.T) / np.sqrt(np.outer(a**2 @ weights, b**2 @ weights))


@functools.lru_cache(maxsize=4)
def _pairs(n_scenes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper-triangle rows and columns, and each scene pair's position among them."""
    iu, ju = np.triu_indices(n_scenes, k=1)
    position = np.full((n_scenes, n_scenes), -1, dtype=np.int64)
    position[iu, ju] = position[ju, iu] = np.arange(iu.size)
    return iu, ju, position


def pair_weights(pick: np.ndarray, n_scenes: int) -> np.ndarray:
    """How often each scene pair (upper triangle, row by row) is in the resample ``pick``."""
    iu, ju, position = _pairs(n_scenes)
    i, j = pick[iu], pick[ju]
    keep = i != j  # a scene drawn twice is not a pair
    return np.bincount(position[i[keep], j[keep]], minlength=iu.size).astype(np.float64)


def scene_bootstrap(model: RDMs, cortex: RDMs, n_boot: int, seed: int = 0) -> np.ndarray:
    """(model RDMs, cortex RDMs, n_boot) Spearman r of every pair of RDMs per resample.

    Resample b draws ``numpy.random.default_rng(seed).integers(0, S, size=S)`` (the b-th
    draw of that generator).
    """
    n = cortex.n_cond
    model_ranks = _WeightedRanks(model.get_vectors())
    cortex_ranks = _WeightedRanks(cortex.get_vectors())
    rng = np.random.default_rng(seed)
    samples = np.full((model.n_rdm, cortex.n_rdm, n_boot), np.nan)
    for b in range(n_boot):
        weights = pair_weights(rng.integers(0, n, size=n), n)
        samples[:, :, b] = _weighted_correlation(
            model_ranks(weights), cortex_ranks(weights), weights
        )
    return samples
