"""Representative sampling of maps: UMAP embedding, KMeans clusters, maps nearest the centres."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from neurn_keras.errors import InvalidValueError


class Representatives(NamedTuple):
    """The maps kept by :func:`sample_representatives`.

    Attributes:
        indices: (n,) int64 rows of the input, cluster by cluster, nearest the centre first.
        labels: (n,) the KMeans cluster of each kept map (``-1`` when all maps were kept
            without clustering).
        embedding: (N', 2) UMAP embedding of the maps that were embedded (empty when all
            maps were kept), rows in the order of ``embedded``.
        embedded: (N',) input rows that were embedded (a random subset when N > max_points).
    """

    indices: np.ndarray
    labels: np.ndarray
    embedding: np.ndarray
    embedded: np.ndarray


def sample_representatives(
    maps: np.ndarray,
    n_clusters: int = 10,
    per_cluster: int = 50,
    seed: int = 0,
    *,
    max_points: int | None = 4000,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
) -> Representatives:
    """Pick representative maps: the paper's UMAP + KMeans sampling (500 of a population).

    The flattened maps are embedded in 2-D by UMAP (``n_neighbors=15``, ``min_dist=0.1``,
    euclidean), the embedding is split into ``n_clusters`` KMeans clusters, and from each
    cluster the ``per_cluster`` maps nearest its centre (in the embedding) are kept. A
    cluster with fewer members gives all of them, so fewer than ``n_clusters · per_cluster``
    maps may come back. If there are at most ``n_clusters · per_cluster`` maps, all are kept
    and nothing is embedded.

    Args:
        maps: (N, ...) maps of equal shape.
        n_clusters: KMeans clusters (the paper: 10).
        per_cluster: maps kept per cluster (the paper: 50).
        seed: seeds the subsampling, UMAP and KMeans; the same seed gives the same result
            (UMAP then runs single-threaded).
        max_points: embed at most this many maps, chosen at random (UMAP's cost grows
            quickly with N; 4000 keeps it under a minute on 2 cores); ``None`` embeds all.
        n_neighbors, min_dist, n_epochs: UMAP settings (``n_neighbors`` is capped at N − 1;
            ``n_epochs=None`` is UMAP's default).

    Returns:
        :class:`Representatives`.
    """
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim < 2:
        raise InvalidValueError(
            f"sample_representatives: maps must be (N, ...), got shape {maps.shape}"
        )
    if n_clusters < 1 or per_cluster < 1:
        raise InvalidValueError(
            "sample_representatives: n_clusters and per_cluster must be >= 1, "
            f"got {n_clusters} and {per_cluster}"
        )
    n = maps.shape[0]
    flat = maps.reshape(n, -1)
    if not np.all(np.isfinite(flat)):
        raise InvalidValueError("sample_representatives: maps contain NaN or Inf")
    empty = np.zeros((0, 2), dtype=np.float32)
    if n <= n_clusters * per_cluster:
        return Representatives(
            np.arange(n, dtype=np.int64), np.full(n, -1), empty, np.zeros(0, dtype=np.int64)
        )
    rng = np.random.default_rng(seed)
    rows = np.arange(n, dtype=np.int64)
    if max_points is not None and n > max_points:
        rows = np.sort(rng.choice(n, size=max_points, replace=False))
    embedding = _umap(flat[rows], seed, min(n_neighbors, len(rows) - 1), min_dist, n_epochs)

    from sklearn.cluster import KMeans

    k = min(n_clusters, len(rows))
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(embedding)
    distance = np.linalg.norm(embedding - kmeans.cluster_centers_[kmeans.labels_], axis=1)
    indices, labels = [], []
    for cluster in range(k):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        nearest = members[np.argsort(distance[members], kind="stable")[:per_cluster]]
        indices.append(rows[nearest])
        labels.append(np.full(nearest.size, cluster))
    return Representatives(
        np.concatenate(indices), np.concatenate(labels), embedding.astype(np.float32), rows
    )


def _umap(flat: np.ndarray, seed: int, n_neighbors: int, min_dist: float, n_epochs):
    from neurn_keras._progress import no_iprogress_warning

    with no_iprogress_warning():  # umap imports tqdm.auto
        import umap  # slow import (numba); only when sampling is needed

    reducer = umap.UMAP(
        n_neighbors=max(2, n_neighbors),
        min_dist=min_dist,
        metric="euclidean",
        n_components=2,
        n_epochs=n_epochs,
        random_state=seed,
        n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs.*overridden.*")
        warnings.filterwarnings("ignore", message=".*gradient function is not yet implemented.*")
        return reducer.fit_transform(flat)
