"""RMSE, normalization, the layer score and KDE-IoU against independent computations."""

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import gaussian_kde

from neurn_keras.cortex import (
    kde_iou,
    layer_rmse,
    match_to_kernels,
    normalize_maps,
    pairwise_rmse,
    rmse,
)


def test_rmse_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 4, 5))
    assert rmse(a, b) == pytest.approx(np.sqrt(np.mean((a - b) ** 2)))
    assert rmse(a, a) == 0.0
    assert rmse([0, 0], [3, 4]) == pytest.approx(np.sqrt(12.5))


def test_rmse_refuses_different_shapes():
    with pytest.raises(ValueError, match=r"shapes differ, \(3,\) and \(4,\).*resize_maps"):
        rmse(np.zeros(3), np.zeros(4))


def test_normalize_minmax_and_zscore():
    maps = np.array([[[1.0, 3.0], [5.0, 9.0]], [[2.0, 2.0], [2.0, 2.0]]])
    mm = normalize_maps(maps)
    np.testing.assert_allclose(mm[0], [[0, 0.25], [0.5, 1]])
    np.testing.assert_array_equal(mm[1], 0)  # constant map → zeros
    z = normalize_maps(maps, "zscore")
    np.testing.assert_allclose(z[0].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(z[0].std(), 1)
    with pytest.raises(ValueError, match="method must be one of"):
        normalize_maps(maps, "l2")


def test_pairwise_rmse_equals_the_loop():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 3, 3)), rng.normal(size=(7, 3, 3))
    table = pairwise_rmse(a, b)
    loop = np.array([[rmse(x, y) for y in b] for x in a])
    np.testing.assert_allclose(table, loop)


def test_layer_rmse_best_kernel_and_mean():
    rng = np.random.default_rng(2)
    cells = rng.normal(size=(6, 15, 15))
    kernels = rng.normal(size=(9, 3, 3))
    score = layer_rmse(cells, kernels)
    neural, kern = match_to_kernels(cells, kernels)
    assert neural.shape == (6, 3, 3) and neural.min() == 0 and neural.max() == 1
    table = np.array([[rmse(c, k) for k in kern] for c in neural])
    np.testing.assert_allclose(score.per_cell, table.min(axis=1))
    np.testing.assert_array_equal(score.best_kernel, table.argmin(axis=1))
    assert score.best == pytest.approx(table.min(axis=1).mean())
    assert score.mean_pairs == pytest.approx(table.mean())


def test_layer_rmse_finds_an_exact_match():
    kernels = np.random.default_rng(3).normal(size=(4, 5, 5))
    cells = np.repeat(np.repeat(kernels[2:3], 3, axis=1), 3, axis=2)  # 15×15 blow-up of kernel 2
    score = layer_rmse(cells * 10 + 4, kernels)  # min-max scaling removes gain and offset
    assert score.best_kernel[0] == 2
    assert score.best < 0.1


def brute_force_iou(a, b):
    """Simpson's rule on a 200 001-point grid reaching 12 units past both samples."""
    ka, kb = gaussian_kde(a), gaussian_kde(b)
    x = np.linspace(min(a.min(), b.min()) - 12, max(a.max(), b.max()) + 12, 200_001)
    p, q = ka(x), kb(x)
    return integrate.simpson(np.minimum(p, q), x=x) / integrate.simpson(np.maximum(p, q), x=x)


@pytest.mark.parametrize("shift", [0.0, 0.7, 2.5])
def test_kde_iou_against_a_brute_force_integral(shift):
    rng = np.random.default_rng(4)
    a = rng.normal(size=40)
    b = rng.normal(loc=shift, scale=1.3, size=30)
    assert kde_iou(a, b) == pytest.approx(brute_force_iou(a, b), abs=2e-3)


def test_kde_iou_identity_symmetry_and_separation():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=200), rng.uniform(-1, 2, size=150)
    assert kde_iou(a, a) == 1.0
    assert kde_iou(a, b) == pytest.approx(kde_iou(b, a), abs=1e-12)
    assert 0.3 < kde_iou(a, b) < 1
    assert kde_iou(a, a + 50) < 1e-6


def test_kde_iou_refuses_a_constant_sample():
    with pytest.raises(ValueError, match="sample b has 4 finite values and no spread"):
        kde_iou([0.0, 1.0, 2.0], [3.0, 3.0, 3.0, 3.0])
