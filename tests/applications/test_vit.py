"""The small-image ViT: its size from its hyperparameters, its feature map, its options."""

from __future__ import annotations

import numpy as np
import pytest

from neurn_keras import applications
from neurn_keras.applications import PositionEmbedding


def vit_parameters(tokens, patch, dim, depth, mlp, classes, channels=3):
    """Parameter count of ViT with mean-pooled tokens, from its definition."""
    embedding = patch * patch * channels * dim + dim + tokens * dim
    attention = 4 * (dim * dim + dim)  # query, key, value, output projections
    block = 2 * 2 * dim + attention + (dim * mlp + mlp) + (mlp * dim + dim)
    return embedding + depth * block + 2 * dim + dim * classes + classes


def test_default_is_vit_lite_7_4_with_its_parameter_count():
    model = applications.build_model("vit", neurn=False)
    expected = vit_parameters(tokens=64, patch=4, dim=256, depth=7, mlp=512, classes=10)
    assert model.count_params() == expected
    assert 3.7e6 < expected < 3.75e6  # Hassani et al. 2021 report 3.72 M for ViT-Lite-7/4
    assert model.get_layer("position_embedding").embedding.shape == (64, 256)


def test_options_reach_the_architecture():
    model = applications.build_model(
        "vit", depth=2, hidden_dim=64, num_heads=2, mlp_dim=96, patch_size=8, classes=5
    )
    expected = vit_parameters(tokens=16, patch=8, dim=64, depth=2, mlp=96, classes=5)
    assert model.count_params() == expected
    with pytest.raises(ValueError, match="divisible by num_heads"):
        applications.build_model("vit", hidden_dim=30, num_heads=4)
    with pytest.raises(ValueError, match="patch_size must be an int"):
        applications.build_model("vit", patch_size=64)


def test_without_top_the_tokens_lie_on_their_grid():
    model = applications.build_model("vit", include_top=False, input_shape=(28, 28, 1), depth=1)
    assert tuple(model.output.shape) == (None, 8, 8, 256)
    x = np.random.default_rng(0).integers(0, 256, (2, 28, 28, 1)).astype(np.uint8)
    assert model(x).shape == (2, 8, 8, 256)


def test_position_embedding_adds_a_learned_table():
    layer = PositionEmbedding(stddev=0.5)
    x = np.zeros((2, 3, 4), np.float32)
    out = np.asarray(layer(x))
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_allclose(out[0], np.asarray(layer.embedding))
    assert np.std(out) > 0.1
    assert PositionEmbedding.from_config(layer.get_config()).stddev == 0.5
    with pytest.raises(ValueError, match="known sizes"):
        PositionEmbedding()(np.zeros((2, 3), np.float32))
