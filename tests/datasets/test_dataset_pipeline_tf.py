"""as_tf_dataset: batches, dtypes, seeded reshuffling, input adaptation."""

from __future__ import annotations

import numpy as np
import pytest

from neurn_keras import datasets


@pytest.fixture(scope="module")
def data():
    x = np.arange(50, dtype=np.uint8).repeat(16 * 16).reshape(50, 16, 16, 1)
    return x, np.arange(50) % 10


def epoch(dataset):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in dataset], strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def test_order_kept_without_shuffle_and_float32_raw_values(data):
    x, y = data
    ds = datasets.as_tf_dataset(x, y, batch_size=16, shuffle=False, seed=None)
    images, labels = epoch(ds)
    assert images.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_array_equal(images, x.astype(np.float32))
    np.testing.assert_array_equal(labels, y)
    assert [len(b[0]) for b in ds] == [16, 16, 16, 2]


def test_seeded_shuffle_every_example_once_and_reproducible(data):
    x, y = data
    first = datasets.as_tf_dataset(x, y, 8, shuffle=True, seed=1)
    a1, a2 = epoch(first), epoch(first)  # two epochs of one dataset
    b1 = epoch(datasets.as_tf_dataset(x, y, 8, shuffle=True, seed=1))
    np.testing.assert_array_equal(a1[0], b1[0])
    assert not np.array_equal(a1[0], a2[0])  # reshuffled each epoch
    assert sorted(a1[0][:, 0, 0, 0].tolist()) == list(range(50))
    np.testing.assert_array_equal(a1[1], a1[0][:, 0, 0, 0].astype(int) % 10)  # pairs intact


def test_input_shape_is_applied_with_prepare(data):
    x, y = data
    ds = datasets.as_tf_dataset(x, y, 10, shuffle=False, seed=0, input_shape=(32, 32, 3))
    images, _ = epoch(ds)
    np.testing.assert_array_equal(images, datasets.prepare(x, (32, 32, 3)).astype(np.float32))


def test_bad_arguments(data):
    x, y = data
    with pytest.raises(ValueError, match="batch_size"):
        datasets.as_tf_dataset(x, y, 0, shuffle=False, seed=0)
    with pytest.raises(ValueError, match="x has 50 examples but y has 3"):
        datasets.as_tf_dataset(x, y[:3], 4, shuffle=False, seed=0)
