"""Every format we parse, from small files written here, and corrupt variants that must raise."""

from __future__ import annotations

import gzip
import re
import zipfile

import numpy as np
import pytest
from dataset_files import digit_images

from neurn_keras import datasets
from neurn_keras.datasets import DatasetFormatError

pytestmark = pytest.mark.filterwarnings("ignore:.*canonical split:UserWarning")


def load(name, split, write):
    return datasets.load_domain(name, split, data_dir=write.root)


def assert_same(loaded, x, y):
    got_x, got_y = loaded
    assert got_x.dtype == np.uint8 and got_y.dtype == np.int64
    assert got_x.shape == (*x.shape, 1) if x.ndim == 3 else got_x.shape == x.shape
    np.testing.assert_array_equal(got_x.reshape(x.shape), x)
    np.testing.assert_array_equal(got_y, y)


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


# --- npz ----------------------------------------------------------------------------------


def test_npz_gray_gets_a_channel_axis(write):
    x, y = digit_images(7, (16, 16))
    write.npz("usps", x_train=x, y_train=y, x_test=x[:3], y_test=y[:3])
    assert_same(load("usps", "train", write), x, y)
    assert load("usps", "test", write)[0].shape == (3, 16, 16, 1)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x_test": np.zeros((2, 28, 28), np.uint8)}, "no array 'x_train'"),
        ({"x_train": np.zeros((2, 28, 28)), "y_train": np.zeros(2, int)}, "dtype float64"),
        ({"x_train": np.zeros((2, 32, 32), np.uint8), "y_train": np.zeros(2, int)}, "expected"),
        ({"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.zeros(2, int)}, "3 images"),
        ({"x_train": np.zeros((2, 28, 28), np.uint8), "y_train": np.array([0, 10])}, "0..10"),
        ({"x_train": np.zeros((2, 28, 28), np.uint8), "y_train": np.array([0.0, 1])}, "labels"),
    ],
)
def test_npz_inconsistent_contents_raise_naming_the_file(write, arrays, message):
    path = write.npz("mnist", **arrays)
    with pytest.raises(DatasetFormatError, match=message) as error:
        load("mnist", "train", write)
    assert str(path) in str(error.value)


def test_npz_with_pickled_objects_is_refused_not_unpickled(write):
    objects = np.empty(2, dtype=object)
    objects[:] = [{"a": 1}, {"b": 2}]
    path = write.npz("mnist", x_train=objects, y_train=np.zeros(2, int))
    with pytest.raises(DatasetFormatError, match="allow_pickle") as error:
        load("mnist", "train", write)
    assert str(path) in str(error.value)


def test_truncated_npz_raises(write):
    x, y = digit_images(50, (28, 28))
    path = write.npz("mnist", x_train=x, y_train=y)
    truncate(path)
    with pytest.raises(DatasetFormatError, match=re.escape("cannot read as .npz")) as error:
        load("mnist", "train", write)
    assert str(path) in str(error.value)


# --- MNIST IDX ----------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_idx_pair(write, compress):
    x, y = digit_images(5, (28, 28))
    write.idx("t10k", x, y, compress=compress)
    assert_same(load("mnist", "test", write), x, y)


def test_idx_truncated_gzip(write):
    x, y = digit_images(20, (28, 28))
    images, _ = write.idx("train", x, y)
    truncate(images)
    with pytest.raises(DatasetFormatError, match="cannot decompress") as error:
        load("mnist", "train", write)
    assert str(images) in str(error.value)


def test_idx_wrong_magic_number(write):
    x, y = digit_images(4, (28, 28))
    images, labels = write.idx("train", x, y)
    images.write_bytes(labels.read_bytes())  # a labels file where images belong
    with pytest.raises(DatasetFormatError, match="magic number 2049, expected 2051"):
        load("mnist", "train", write)


def test_idx_header_and_data_disagree(write):
    x, y = digit_images(4, (28, 28))
    images, _ = write.idx("train", x, y)
    with gzip.open(images, "rb") as handle:
        data = handle.read()
    with gzip.open(images, "wb") as handle:
        handle.write(data[:-10])
    with pytest.raises(DatasetFormatError, match="data bytes"):
        load("mnist", "train", write)


def test_idx_image_and_label_counts_differ(write):
    x, y = digit_images(4, (28, 28))
    write.idx("train", x, y[:3])
    with pytest.raises(DatasetFormatError, match="3 labels for 4 images"):
        load("mnist", "train", write)


# --- USPS: HDF5, ESL text, LIBSVM ----------------------------------------------------------


def test_usps_h5(write):
    x, y = digit_images(6, (16, 16))
    write.usps_h5({"train": (x, y), "test": (x[:2], y[:2])})
    assert_same(load("usps", "train", write), x, y)
    assert_same(load("usps", "test", write), x[:2], y[:2])


def test_usps_h5_missing_group_and_bad_values(write):
    x, y = digit_images(6, (16, 16))
    path = write.usps_h5({"train": (x, y)})
    with pytest.raises(DatasetFormatError, match="no group 'test'"):
        load("usps", "test", write)
    import h5py

    with h5py.File(path, "a") as handle:
        handle["train/data"][0, 0] = 1.5
    with pytest.raises(DatasetFormatError, match=r"outside \[0, 1\]") as error:
        load("usps", "train", write)
    assert str(path) in str(error.value)


def test_usps_h5_not_hdf5(write):
    path = write.root / "usps.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(DatasetFormatError, match="cannot read as HDF5"):
        load("usps", "train", write)


def test_usps_esl_text(write):
    x, y = digit_images(5, (16, 16))
    write.usps_esl("train", x, y)
    assert_same(load("usps", "train", write), x, y)


def test_usps_esl_wrong_columns_and_truncation(write):
    path = write.root / "zip.test.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("3 " + " ".join(["0.5"] * 255) + "\n")
    with pytest.raises(DatasetFormatError, match="256 columns, expected 257"):
        load("usps", "test", write)
    x, y = digit_images(40, (16, 16))
    path = write.usps_esl("test", x, y)
    truncate(path, 0.6)
    with pytest.raises(DatasetFormatError, match=re.escape("zip.test.gz")):
        load("usps", "test", write)


def test_usps_esl_label_out_of_range(write):
    x, _ = digit_images(3, (16, 16))
    write.usps_esl("train", x, np.array([1, 2, 12]))
    with pytest.raises(DatasetFormatError, match=r"span 1\.\.12, expected 0\.\.9"):
        load("usps", "train", write)


def test_usps_libsvm_labels_shift_and_sparse_zeros(write):
    x, y = digit_images(10, (16, 16))
    x[:, 0, 0] = 128  # exactly 0 in [-1, 1] after rounding: left out of the sparse file
    x[:, 0, 1] = 127
    write.usps_libsvm("usps.t.bz2", x, y)
    got_x, got_y = load("usps", "test", write)
    np.testing.assert_array_equal(got_y, y)
    # 128 -> 0.0039 is written, 127.5 -> 0 is the value an omitted feature stands for
    assert np.abs(got_x[..., 0].astype(int) - x.astype(int)).max() <= 1


def test_usps_libsvm_corrupt(write):
    (write.root / "usps.bz2").write_bytes(b"BZh91AY&SY not really bzip2")
    with pytest.raises(DatasetFormatError, match=re.escape("usps.bz2")):
        load("usps", "train", write)


# --- SVHN .mat -----------------------------------------------------------------------------


def test_svhn_mat_label_10_is_0(write):
    x, y = digit_images(8, (32, 32, 3))
    write.svhn_mat("train", x, y)
    assert_same(load("svhn", "train", write), x, y)
    assert (load("svhn", "train", write)[1] == 0).sum() == 1


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ({"X": np.zeros((32, 32, 1, 2), np.uint8), "y": np.ones((2, 1))}, "expected"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1], [11]])}, "1..11"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[0], [3]])}, "0..3"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8)}, "no variable 'y'"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.ones((3, 1))}, "2 images but 3"),
    ],
)
def test_svhn_mat_inconsistent(write, contents, message):
    from scipy.io import savemat

    path = write.root / "train_32x32.mat"
    savemat(path, contents)
    with pytest.raises(DatasetFormatError, match=message) as error:
        load("svhn", "train", write)
    assert str(path) in str(error.value)


def test_svhn_mat_truncated(write):
    x, y = digit_images(30, (32, 32, 3))
    path = write.svhn_mat("test", x, y)
    truncate(path)
    with pytest.raises(DatasetFormatError, match=re.escape("test_32x32.mat")):
        load("svhn", "test", write)


# --- MNIST-M PNG folders ------------------------------------------------------------------


def test_mnist_m_png_folder(write):
    x, y = digit_images(6, (32, 32, 3))
    write.mnist_m("test", x, y)
    assert_same(load("mnist_m", "test", write), x, y)


def test_mnist_m_missing_extra_and_bad_png(write):
    x, y = digit_images(4, (32, 32, 3))
    _, folder = write.mnist_m("train", x, y)
    (folder / "00000002.png").unlink()
    with pytest.raises(DatasetFormatError, match="lists 1 PNGs not in"):
        load("mnist_m", "train", write)
    write.mnist_m("train", x, y)
    (folder / "extra.png").write_bytes((folder / "00000000.png").read_bytes())
    with pytest.raises(DatasetFormatError, match="5 PNGs but"):
        load("mnist_m", "train", write)
    (folder / "extra.png").unlink()
    (folder / "00000001.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    with pytest.raises(DatasetFormatError, match=re.escape("00000001.png: cannot decode PNG")):
        load("mnist_m", "train", write)


def test_mnist_m_wrong_image_size_and_bad_label_line(write):
    from PIL import Image

    x, y = digit_images(3, (32, 32, 3))
    labels, folder = write.mnist_m("train", x, y)
    Image.fromarray(np.zeros((28, 28, 3), np.uint8)).save(folder / "00000000.png")
    with pytest.raises(DatasetFormatError, match=r"RGB \(28, 28\)"):
        load("mnist_m", "train", write)
    write.mnist_m("train", x, y)
    labels.write_text("00000000.png 5\n00000001.png five\n00000002.png 1\n")
    with pytest.raises(DatasetFormatError, match="line 2"):
        load("mnist_m", "train", write)


# --- CIFAR-100 binary ---------------------------------------------------------------------


def test_cifar100_binary_round_trip(write):
    from neurn_keras.datasets.formats import read_cifar100_bin

    x, _ = digit_images(5, (32, 32, 3))
    fine = np.array([0, 14, 99, 3, 50])
    path = write.cifar100_bin("train", x, fine)
    got_x, got_y = read_cifar100_bin(path)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, fine)


def test_cifar100_binary_truncated_and_bad_label(write):
    from neurn_keras.datasets.formats import read_cifar100_bin

    x, _ = digit_images(3, (32, 32, 3))
    path = write.cifar100_bin("test", x, np.array([1, 2, 3]))
    truncate(path, 0.9)
    with pytest.raises(DatasetFormatError, match="not a whole number of 3074-byte records"):
        read_cifar100_bin(path)
    path = write.cifar100_bin("test", x, np.array([1, 2, 3]))
    data = bytearray(path.read_bytes())
    data[3074 + 1] = 100  # the second record's fine label
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetFormatError, match=r"span 1\.\.100, expected 0\.\.99"):
        read_cifar100_bin(path)


def test_zip_named_npz_that_is_not_numpy(write):
    path = write.root / "mnist.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x_train.npy", b"not an array")
        archive.writestr("y_train.npy", b"nor this")
    with pytest.raises(DatasetFormatError, match=re.escape("mnist.npz")):
        load("mnist", "train", write)
