"""The real files of the shared data directory (NEURN_DATA_DIR): sizes, labels, counts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from neurn_keras import datasets
from neurn_keras.datasets.sources import SOURCES

# Known class counts of the canonical splits (LeCun et al.; Hull 1994 / ESL).
MNIST_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}
USPS_COUNTS = {
    "train": [1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644],
    "test": [359, 264, 198, 166, 200, 160, 170, 147, 166, 177],
}


@pytest.fixture(scope="module")
def real(real_data_file):
    """load(name, split) from the real data directory, requiring the file to be there."""

    def load(name, split, limit=None):
        path = real_data_file(f"{name}.npz")
        return datasets.load_domain(name, split, data_dir=path.parent, limit=limit)

    return load


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize(("name", "counts"), [("mnist", MNIST_COUNTS), ("usps", USPS_COUNTS)])
def test_canonical_sizes_and_class_counts(real, name, counts, split):
    x, y = real(name, split)
    assert x.dtype == np.uint8 and y.dtype == np.int64
    assert x.shape == (sum(counts[split]), *SOURCES[name].image_shape)
    assert np.bincount(y, minlength=10).tolist() == counts[split]
    assert 0 < x.mean() < 255 and x.max() == 255 and x.min() == 0  # not blank, full range


def test_mnist_m_as_present_is_a_prefix_of_the_canonical_split(real):
    """The shared copy holds 10000 of 59001 training images; test that, not the canon."""
    _, mnist_train = real("mnist", "train")
    _, mnist_test = real("mnist", "test")
    with pytest.warns(UserWarning, match="10000 images where the canonical split has 59001"):
        x, y = real("mnist_m", "train")
    assert x.shape[1:] == (32, 32, 3) and x.dtype == np.uint8
    assert len(x) <= 59001
    np.testing.assert_array_equal(y, mnist_train[: len(y)])  # MNIST-M reuses MNIST's labels
    x_test, y_test = real("mnist_m", "test")
    assert x_test.shape == (9001, 32, 32, 3)
    np.testing.assert_array_equal(y_test, mnist_test[:9001])
    assert x.std(axis=(1, 2)).mean() > 10  # coloured backgrounds, not flat


def test_svhn_when_present(real_data_dir):
    """SVHN is not in the shared data; when a copy is added, its canonical sizes hold."""
    try:
        x, y = datasets.load_domain("svhn", "test", data_dir=real_data_dir)
    except FileNotFoundError:
        pytest.skip("SVHN is not in the data directory")
    assert x.shape == (26032, 32, 32, 3) and set(np.unique(y)) == set(range(10))


def test_limit_is_the_literature_first_10k(real):
    x, y = real("mnist", "train")
    x10, y10 = real("mnist", "train", limit=10000)
    assert len(x10) == 10000
    np.testing.assert_array_equal(x10, x[:10000])
    np.testing.assert_array_equal(y10, y[:10000])


def test_source_files_are_the_npz_files(real_data_file):
    for name in ("mnist", "usps", "mnist_m"):
        path = real_data_file(f"{name}.npz")
        assert datasets.source_files(name, "test", path.parent) == [path]


def test_split_is_deterministic_stratified_and_disjoint(real):
    x, y = real("usps", "train")
    (xt, yt), (xv, yv) = datasets.train_val_split(x, y, 0.1, seed=0)
    (xt2, _), (xv2, yv2) = datasets.train_val_split(x, y, 0.1, seed=0)
    np.testing.assert_array_equal(xv, xv2)
    np.testing.assert_array_equal(yv, yv2)
    np.testing.assert_array_equal(xt, xt2)
    assert len(yv) == 730 and len(yt) + len(yv) == len(y)
    expected = np.bincount(y) * 0.1
    assert np.abs(np.bincount(yv) - expected).max() <= 1
    (_, _), (xv3, _) = datasets.train_val_split(x, y, 0.1, seed=1)
    assert not np.array_equal(xv, xv3)
    # disjoint: together the two parts are exactly the training set (as multisets of rows)
    rows = np.concatenate([xt, xv]).reshape(len(y), -1)
    original = x.reshape(len(y), -1)
    assert sorted(map(bytes, rows)) == sorted(map(bytes, original))


SHAPES = {"mnist": (28, 28, 1), "usps": (16, 16, 1), "mnist_m": (32, 32, 3)}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(SHAPES, SHAPES)))
def test_prepare_every_pair_of_domains(real, source, target):
    x, _ = real(source, "test")
    x = x[:16]
    out = datasets.prepare(x, SHAPES[target])
    assert out.shape == (16, *SHAPES[target]) and out.dtype == np.uint8
    if source == target:
        assert out is x
        return
    # agrees with Pillow image by image (convert to L first, as Pillow does), within 1 level
    size = SHAPES[target][1::-1]
    for image, got in zip(x[:4], out[:4], strict=True):
        pil = Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)
        if SHAPES[target][-1] == 1:
            pil = pil.convert("L")
        expected = np.asarray(pil.resize(size, Image.Resampling.BILINEAR))
        if SHAPES[target][-1] == 3 and expected.ndim == 2:
            expected = np.repeat(expected[..., None], 3, axis=-1)
        assert np.abs(got.reshape(expected.shape).astype(int) - expected).max() <= 1


def test_read_only_shared_data_dir_is_never_written(real_data_dir):
    from neurn_keras.datasets import cache

    if real_data_dir.stat().st_mode & 0o222:
        pytest.skip(f"{real_data_dir} is writable here; the read-only case is not exercised")
    assert cache.disk_cache_dir(real_data_dir) == cache.cache_root()
    assert not (real_data_dir / "cache").exists()
