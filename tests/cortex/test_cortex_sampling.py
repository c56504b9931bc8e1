"""UMAP + KMeans representative sampling (small sizes: UMAP compiles with numba once)."""

import numpy as np
import pytest

from neurn_keras.cortex import sample_representatives


def blobs(seed=0):
    """Three tight, far-apart clusters of 3×3 maps: 70, 50 and 40 maps."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=10, size=(3, 9))
    sizes = (70, 50, 40)
    maps = np.concatenate(
        [c + rng.normal(scale=0.3, size=(n, 9)) for c, n in zip(centers, sizes, strict=True)]
    )
    labels = np.repeat(np.arange(3), sizes)
    return maps.reshape(-1, 3, 3), labels


def test_reproducible_for_a_seed_and_covers_every_cluster():
    maps, truth = blobs()
    a = sample_representatives(maps, n_clusters=3, per_cluster=10, seed=0, n_epochs=60)
    b = sample_representatives(maps, n_clusters=3, per_cluster=10, seed=0, n_epochs=60)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.embedding, b.embedding)
    assert len(a.indices) == 30 and len(set(a.indices.tolist())) == 30
    kept = truth[a.indices]
    assert sorted(np.bincount(kept).tolist()) == [10, 10, 10]  # 10 from each true cluster
    for cluster in range(3):  # each KMeans cluster's picks come from one true cluster
        assert len(set(kept[a.labels == cluster].tolist())) == 1


def test_the_maps_nearest_each_kmeans_centre_are_kept():
    from sklearn.cluster import KMeans

    maps, _ = blobs(1)
    rep = sample_representatives(maps, n_clusters=3, per_cluster=5, seed=2, n_epochs=60)
    kmeans = KMeans(n_clusters=3, n_init=10, random_state=2).fit(rep.embedding)
    for cluster in range(3):
        members = np.flatnonzero(kmeans.labels_ == cluster)
        distance = np.linalg.norm(rep.embedding[members] - kmeans.cluster_centers_[cluster], axis=1)
        nearest = rep.embedded[members[np.argsort(distance)[:5]]]
        np.testing.assert_array_equal(rep.indices[rep.labels == cluster], nearest)


def test_small_populations_are_kept_whole():
    maps = np.random.default_rng(0).normal(size=(30, 3, 3))
    rep = sample_representatives(maps, n_clusters=10, per_cluster=5)
    np.testing.assert_array_equal(rep.indices, np.arange(30))
    assert rep.embedding.shape == (0, 2)


def test_max_points_subsamples_before_embedding():
    maps, _ = blobs(2)
    rep = sample_representatives(
        maps, n_clusters=2, per_cluster=5, seed=0, max_points=80, n_epochs=30
    )
    assert rep.embedded.size == 80 and np.isin(rep.indices, rep.embedded).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="must be >= 1"):
        sample_representatives(np.zeros((5, 2, 2)), n_clusters=0)
    with pytest.raises(ValueError, match="NaN or Inf"):
        sample_representatives(np.full((600, 2), np.nan))
