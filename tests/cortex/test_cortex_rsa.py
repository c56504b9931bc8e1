"""RDMs (rsatoolbox RDMs with descriptors), Spearman comparison, the bootstrap over scenes,
the result object."""

import numpy as np
import pandas as pd
import pytest
from rsatoolbox.rdm import RDMs, compare
from scipy.stats import spearmanr

from neurn_keras.cortex import (
    compare_rdms,
    cortex_rdms,
    layer_rdms,
    rdm,
    rsa_scores,
    upper_triangle,
)


def activations(n=30, d=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, d))


def test_rdm_is_one_minus_pearson():
    x = activations()
    np.testing.assert_allclose(rdm(x), 1 - np.corrcoef(x), atol=1e-12)
    images = np.random.default_rng(1).normal(size=(10, 4, 4, 3))
    np.testing.assert_allclose(rdm(images), 1 - np.corrcoef(images.reshape(10, -1)), atol=1e-12)


def test_constant_stimulus_is_uncorrelated_with_the_rest():
    x = activations(n=5)
    x[2] = 0.0
    d = rdm(x)
    assert np.all(d[2, [0, 1, 3, 4]] == 1.0) and d[2, 2] == 0.0
    assert not np.isnan(d).any()


def test_compare_rdms_is_spearman_of_upper_triangles():
    a, b = rdm(activations(seed=1)), rdm(activations(seed=2))
    expected = spearmanr(upper_triangle(a), upper_triangle(b)).statistic
    assert compare_rdms(a, b) == pytest.approx(expected)
    assert compare_rdms(a, a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        compare_rdms(a, a[:5, :5])


def make_rdms():
    base = activations(n=25, d=30, seed=3)
    noise = np.random.default_rng(4)
    neural = {
        "VISp_layer23": rdm(base + noise.normal(scale=0.5, size=base.shape)),
        "VISl_layer4": rdm(base + noise.normal(scale=2.0, size=base.shape)),
    }
    models = {
        "close": {
            "conv1": rdm(base + noise.normal(scale=0.3, size=base.shape)),
            "conv2": rdm(activations(25, 30, 9)),
        },
        "far": {"conv1": rdm(activations(25, 30, 10)), "conv2": rdm(activations(25, 30, 11))},
    }
    return models, neural


def test_point_scores_bootstrap_and_ceilings():
    models, neural = make_rdms()
    groups = pd.DataFrame(
        {
            "group": ["VISp_layer23", "VISl_layer4"],
            "noise_ceiling": [0.8, 0.5],
            "noise_ceiling_sem": [0.01, 0.02],
        }
    )
    result = rsa_scores(models, neural, groups=groups, n_boot=200, seed=0)
    layers = result.layers.set_index(["model", "layer", "group"])
    for model, layer in [("close", "conv1"), ("far", "conv2")]:
        for group in neural:
            row = layers.loc[(model, layer, group)]
            assert row["spearman"] == pytest.approx(
                compare_rdms(models[model][layer], neural[group])
            )
            assert (
                row["ci_low"] <= row["spearman"] + 0.05 and row["spearman"] - 0.05 <= row["ci_high"]
            )
    close = layers.loc[("close", "conv1", "VISp_layer23")]
    assert close["ci_low"] > 0.3  # a real match stays clear of zero
    assert close["noise_ceiling"] == 0.8
    assert close["fraction_of_ceiling"] == pytest.approx(close["spearman"] / 0.8)
    assert close["area"] == "VISp" and close["cortical_layer"] == "layer23"
    best = result.best.set_index(["model", "group"])
    assert best.loc[("close", "VISp_layer23"), "best_layer"] == "conv1"
    assert result.samples.shape == (4, 2, 200)


def test_bootstrap_is_reproducible_and_seeded():
    models, neural = make_rdms()
    a = rsa_scores(models, neural, n_boot=50, seed=1)
    b = rsa_scores(models, neural, n_boot=50, seed=1)
    c = rsa_scores(models, neural, n_boot=50, seed=2)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)


def test_bootstrap_sample_drops_pairs_of_a_repeated_scene():
    """With every scene drawn, no pair is of a scene with itself: one resample equals the
    score recomputed by hand on the same draw."""
    models, neural = make_rdms()
    result = rsa_scores({"close": {"conv1": models["close"]["conv1"]}}, neural, n_boot=1, seed=7)
    pick = np.random.default_rng(7).integers(0, 25, size=25)
    i, j = np.triu_indices(25, k=1)
    a, b = pick[i], pick[j]
    keep = a != b
    model_vec = models["close"]["conv1"][a[keep], b[keep]]
    neural_vec = neural["VISp_layer23"][a[keep], b[keep]]
    expected = spearmanr(model_vec, neural_vec).statistic
    assert result.samples[0, 0, 0] == pytest.approx(expected)


def test_compare_pairs_with_a_paired_bootstrap():
    models, neural = make_rdms()
    result = rsa_scores(models, neural, n_boot=300, seed=0)
    table = result.compare("close", "far").set_index("group")
    assert table.loc["VISp_layer23", "difference"] > 0.3
    assert (
        table.loc["VISp_layer23", "ci_low"] > 0 and table.loc["VISp_layer23", "p_two_sided"] < 0.01
    )
    assert table.loc["mean", "difference"] == pytest.approx(table.drop("mean")["difference"].mean())
    same = result.compare("close", "close").set_index("group")
    assert (
        (same["difference"] == 0).all()
        and (same["ci_low"] == 0).all()
        and (same["ci_high"] == 0).all()
    )
    with pytest.raises(KeyError, match="no model 'nope'"):
        result.compare("nope", "far")


def test_shape_mismatch_is_refused():
    _, neural = make_rdms()
    with pytest.raises(ValueError, match="same scenes"):
        rsa_scores({"m": {"l": np.zeros((5, 5))}}, neural)


def test_without_resamples_there_are_no_intervals():
    models, neural = make_rdms()
    result = rsa_scores(models, neural, n_boot=0)
    assert result.layers["ci_low"].isna().all() and result.best["ci_high"].isna().all()
    table = result.compare("close", "far")
    assert table["ci_low"].isna().all() and table["p_two_sided"].isna().all()
    assert table["difference"].notna().all()


def test_rdms_carry_their_descriptors():
    models, neural = make_rdms()
    groups = pd.DataFrame({"group": ["VISp_layer23"], "noise_ceiling": [0.8]}).assign(
        noise_ceiling_sem=0.01
    )
    model = layer_rdms(models)
    cortex = cortex_rdms(neural, groups)
    assert isinstance(model, RDMs) and isinstance(cortex, RDMs)
    assert model.rdm_descriptors["model"] == ["close", "close", "far", "far"]
    assert model.rdm_descriptors["layer"] == ["conv1", "conv2", "conv1", "conv2"]
    assert model.rdm_descriptors["layer_index"] == [0, 1, 0, 1]
    assert model.pattern_descriptors["scene"] == list(range(25))
    assert cortex.rdm_descriptors["area"] == ["VISp", "VISl"]
    assert cortex.rdm_descriptors["cortical_layer"] == ["layer23", "layer4"]
    assert cortex.rdm_descriptors["noise_ceiling"][0] == 0.8
    assert np.isnan(cortex.rdm_descriptors["noise_ceiling"][1])
    np.testing.assert_allclose(model.get_matrices()[0], models["close"]["conv1"])


def test_scores_are_rsatoolbox_comparisons_and_rdms_are_accepted():
    models, neural = make_rdms()
    model, cortex = layer_rdms(models), cortex_rdms(neural)
    result = rsa_scores(model, cortex, n_boot=20, seed=3)
    np.testing.assert_allclose(result.scores, compare(model, cortex, method="spearman"))
    same = rsa_scores(models, neural, n_boot=20, seed=3)
    np.testing.assert_array_equal(result.samples, same.samples)
    pd.testing.assert_frame_equal(result.layers, same.layers)


def test_a_resample_is_rsatoolbox_subsample_pattern():
    """Resample b weights the scene pairs as subsample_pattern repeats them (a scene with
    its own copy is NaN there): the same Spearman r."""
    models, neural = make_rdms()
    model, cortex = layer_rdms(models), cortex_rdms(neural)
    result = rsa_scores(model, cortex, n_boot=3, seed=5)
    rng = np.random.default_rng(5)
    for b in range(3):
        pick = rng.integers(0, 25, size=25)
        expected = compare(
            model.subsample_pattern("index", pick),
            cortex.subsample_pattern("index", pick),
            method="spearman",
        )
        np.testing.assert_allclose(result.samples[:, :, b], expected, atol=1e-12)


def test_result_object_best_layer_ci_score_and_frames():
    models, neural = make_rdms()
    result = rsa_scores(models, neural, n_boot=100, seed=0)
    assert result.models == ["close", "far"]
    assert result.groups == ["VISp_layer23", "VISl_layer4"]
    assert result.best_layer("close", "VISp_layer23") == "conv1"
    best = result.to_frame(best=True).set_index(["model", "group"])
    row = best.loc[("close", "VISp_layer23")]
    assert row["best_layer"] == "conv1"
    assert result.score("close", "VISp_layer23") == row["spearman"]
    assert result.ci("close", "VISp_layer23") == (row["ci_low"], row["ci_high"])
    layers = result.to_frame().set_index(["model", "layer", "group"])
    low, high = result.ci("far", "VISl_layer4", layer="conv2")
    assert (low, high) == pytest.approx(
        tuple(layers.loc[("far", "conv2", "VISl_layer4")][["ci_low", "ci_high"]])
    )
    pd.testing.assert_frame_equal(result.layers, result.to_frame())
    assert list(result.best.columns[:5]) == [
        "model",
        "group",
        "area",
        "cortical_layer",
        "best_layer",
    ]
    with pytest.raises(KeyError, match="no group 'VISx'"):
        result.best_layer("close", "VISx")
    with pytest.raises(KeyError, match="no layer 'conv9'"):
        result.ci("close", "VISp_layer23", layer="conv9")
