"""syn_render, our printed-digits renderer: determinism, variety, labels that mean something."""

from __future__ import annotations

import time

import numpy as np
import pytest

from neurn_keras import datasets
from neurn_keras.datasets import syn_render


@pytest.fixture(scope="module")
def rendered():
    return datasets.render_digits(1500, seed=7)


def test_shapes_dtypes_and_balanced_labels(rendered):
    x, y = rendered
    assert x.shape == (1500, 32, 32, 3) and x.dtype == np.uint8 and y.dtype == np.int64
    counts = np.bincount(y, minlength=10)
    assert counts.min() > 100 and counts.max() < 200  # ~150 each


def test_same_seed_same_images_other_seed_other_images(rendered):
    x, y = datasets.render_digits(40, seed=7)
    np.testing.assert_array_equal(x, rendered[0][:40])
    np.testing.assert_array_equal(y, rendered[1][:40])
    assert not np.array_equal(datasets.render_digits(40, seed=8)[0], x)


def test_prefix_stable_across_chunks(rendered):
    n = syn_render.CHUNK + 3
    x, y = datasets.render_digits(n, seed=7)
    np.testing.assert_array_equal(x[:1500], rendered[0][:n])
    np.testing.assert_array_equal(y[-3:], rendered[1][n - 3 : n])


def test_images_vary_in_colour_and_are_not_flat(rendered):
    x, _ = rendered
    x = x.astype(np.float32)
    assert x.std(axis=(1, 2, 3)).min() > 3  # every image has a digit on it
    mean_colour = x.mean(axis=(1, 2))
    assert mean_colour.std(axis=0).min() > 20  # colours vary across images
    assert (np.abs(mean_colour[:, 0] - mean_colour[:, 2]) > 10).mean() > 0.3  # not just grey


def test_labels_are_learnable_by_a_nearest_centroid(rendered):
    """A polarity-free nearest-centroid classifier beats chance (10%) by far."""
    x, y = rendered
    gray = datasets.prepare(x, (16, 16, 1))[..., 0].astype(np.float32)
    gray -= gray.mean(axis=(1, 2), keepdims=True)
    gray /= gray.std(axis=(1, 2), keepdims=True) + 1e-3
    features = np.abs(gray).reshape(len(x), -1)
    train, test = slice(0, 1000), slice(1000, None)
    centroids = np.stack([features[train][y[train] == k].mean(0) for k in range(10)])
    distance = ((features[test, None] - centroids[None]) ** 2).sum(-1)
    assert (distance.argmin(1) == y[test]).mean() > 0.3


def test_size_and_argument_checks():
    x, y = datasets.render_digits(3, seed=0, size=20)
    assert x.shape == (3, 20, 20, 3) and len(y) == 3
    assert datasets.render_digits(0, seed=0)[0].shape == (0, 32, 32, 3)
    for kwargs in ({"n": -1, "seed": 0}, {"n": 2, "seed": -3}, {"n": 2, "seed": 0, "size": 4}):
        with pytest.raises(ValueError, match="must be"):
            datasets.render_digits(**kwargs)


def test_fonts_are_matplotlibs_and_digit_glyphs_differ():
    paths = syn_render.font_paths()
    assert len(paths) >= 15 and all("matplotlib" in str(p) for p in paths)
    for font in syn_render.glyph_bank():
        glyphs = {g[..., 0].tobytes() for g in font}
        assert len(glyphs) == 10  # ten distinct digit shapes, no placeholder boxes


def test_domain_splits_use_derived_seeds():
    x, y = datasets.load_domain("syn_render", "test", limit=16)
    expected = datasets.render_digits(16, syn_render.split_seed("test"))
    np.testing.assert_array_equal(x, expected[0])
    np.testing.assert_array_equal(y, expected[1])
    assert syn_render.split_seed("train") != syn_render.split_seed("test")
    assert datasets.source_files("syn_render", "train") == []
    too_many = syn_render.SPLIT_SIZES["test"] + 1
    with pytest.raises(ValueError, match=f"limit={too_many} but only"):
        datasets.load_domain("syn_render", "test", limit=too_many)
    assert "syn_render" not in datasets.DOMAINS and "syn_render" in datasets.RENDERED_DOMAINS


def test_rendering_is_fast():
    """Measured: about 3 s of CPU per 10,000 images on a busy 2-core machine."""
    syn_render.glyph_bank()
    start = time.process_time()
    datasets.render_digits(1024, seed=3)
    assert time.process_time() - start < 5
