"""The training stream: batch i is a function of (seed, i), on every backend."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from neurn_keras.training.batches import (
    ArrayBatches,
    TrainingStream,
    batches_per_pass,
    epoch_order,
    images_per_pass,
)


def arrays(count=10):
    x = np.arange(count, dtype=np.uint8).reshape(count, 1, 1, 1) * np.ones((1, 2, 2, 3), np.uint8)
    return x, np.arange(count) % 3


def labels_of(stream, batches):
    return [stream[i][1].tolist() for i in range(batches)]


def test_each_pass_is_a_seeded_permutation_in_batches():
    x, y = arrays(10)
    stream = TrainingStream(x, y, batch_size=4, seed=7)
    assert stream.batches_per_pass == 3 and stream.num_batches is None
    first_pass = np.concatenate([stream[i][0][:, 0, 0, 0] for i in range(3)])
    np.testing.assert_array_equal(first_pass, epoch_order(10, 7, 0))
    second_pass = np.concatenate([stream[i][0][:, 0, 0, 0] for i in range(3, 6)])
    np.testing.assert_array_equal(second_pass, epoch_order(10, 7, 1))
    assert sorted(first_pass) == list(range(10)) and not np.array_equal(first_pass, second_pass)
    images, labels = stream[0]
    assert images.dtype == np.float32 and labels.dtype == np.int64 and [len(stream[2][0])] == [2]


def test_another_seed_another_order_and_resume_starts_mid_stream():
    x, y = arrays(10)
    assert labels_of(TrainingStream(x, y, 4, seed=0), 6) != labels_of(TrainingStream(x, y, 4, 1), 6)
    whole = labels_of(TrainingStream(x, y, 4, seed=3), 9)
    resumed = TrainingStream(x, y, 4, seed=3, start_batch=5)
    assert labels_of(resumed, 4) == whole[5:]


def test_fit_reads_consecutive_batches_across_epochs():
    x, y = arrays(12)
    seen = []

    class Recording(TrainingStream):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)

    model = keras.Sequential(
        [keras.Input((2, 2, 3)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    stream = Recording(x, y, batch_size=4, seed=0)
    model.fit(stream, steps_per_epoch=3, epochs=3, verbose=0, shuffle=False)
    # after any peek at the first batches (TensorFlow reads two for the signature), the
    # iteration reads 0..8 in order: epoch e gets batches 3e..3e+2, not 0..2 again
    start = len(seen) - 1 - seen[::-1].index(0)
    assert seen[start : start + 9] == list(range(9))


def test_array_batches_keep_order_and_cast_per_batch():
    x, y = arrays(10)
    batches = ArrayBatches(x, y, batch_size=4)
    assert batches.num_batches == 3
    assert np.concatenate([batches[i][1] for i in range(3)]).tolist() == y.tolist()
    assert batches[2][0].shape == (2, 2, 2, 3) and batches[0][0].dtype == np.float32


def test_data_parallel_cuts_the_last_batch_of_each_pass_to_whole_devices():
    assert [images_per_pass(11, 4, r) for r in (1, 2, 4)] == [11, 10, 8]  # 11 = 4 + 4 + 3
    assert [batches_per_pass(9, 4, r) for r in (1, 2, 4)] == [3, 2, 2]  # 9 = 4 + 4 + 1
    x, y = arrays(11)
    stream = TrainingStream(x, y, batch_size=4, seed=5, replicas=2)
    assert (stream.images_per_pass, stream.batches_per_pass) == (10, 3)
    for first in (0, 3):  # every pass: 4 + 4 + 2 of its permutation (one image left out)
        images = [stream[i][0][:, 0, 0, 0] for i in range(first, first + 3)]
        assert [len(part) for part in images] == [4, 4, 2]
        order = epoch_order(11, 5, first // 3)
        np.testing.assert_array_equal(np.concatenate(images), order[:10])
    with pytest.raises(ValueError, match="1 training image\\(s\\) cannot split over 2"):
        TrainingStream(x[:1], y[:1], 4, 0, replicas=2)


def test_data_parallel_evaluation_pads_with_weight_zero():
    x, y = arrays(11)
    batches = ArrayBatches(x, y, batch_size=4, replicas=2)
    assert batches.num_batches == 3 and batches.padding == 1
    images, labels, weights = batches[2]
    assert images.shape == (4, 2, 2, 3) and images[-1].max() == 0
    assert labels.tolist() == [*y[8:].tolist(), 0] and weights.tolist() == [1, 1, 1, 0]
    assert batches[0][2].tolist() == [1, 1, 1, 1]
    assert len(ArrayBatches(x, y, batch_size=4)[2]) == 2  # one device: no weights


def test_mismatched_arrays_are_refused():
    x, y = arrays(10)
    with pytest.raises(ValueError, match="x has 10 examples but y has 9"):
        TrainingStream(x, y[:9], 4, 0)
    with pytest.raises(ValueError, match="no training images"):
        TrainingStream(x[:0], y[:0], 4, 0)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the tf.data stream")
@pytest.mark.parametrize(("start_batch", "replicas"), [(0, 1), (5, 1), (7, 1), (0, 4), (5, 4)])
def test_tf_data_stream_gives_the_same_batches(start_batch, replicas):
    from neurn_keras.training.batches_tf import tf_training_stream

    x, y = arrays(10)
    stream = TrainingStream(x, y, batch_size=4, seed=11, start_batch=start_batch, replicas=replicas)
    fast = list(tf_training_stream(stream).take(7).as_numpy_iterator())
    for index, (images, labels) in enumerate(fast):
        expected_images, expected_labels = stream[index]
        np.testing.assert_array_equal(images, expected_images)
        np.testing.assert_array_equal(labels, expected_labels)
        assert images.dtype == np.float32
