"""CIFAR-27: the class list, relabelling, and the CIFAR-100 sources it reads."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_files import digit_images

from neurn_keras import datasets
from neurn_keras.datasets import cifar27, tfds_source
from neurn_keras.datasets.formats import DatasetFormatError

pytestmark = pytest.mark.filterwarnings("ignore:.*canonical split:UserWarning")


def test_class_list_file_matches_the_packaged_copy_and_cifar100():
    names = datasets.cifar27_classes()
    assert cifar27.CLASSES_FILE.is_file()  # data/cifar27_classes.txt in the repository
    assert names == cifar27._PACKAGED_CLASSES
    assert len(names) == 27 and names[0] == "butterfly" and names[-1] == "wolf"
    assert set(names) <= set(cifar27.CIFAR100_FINE_LABELS)
    fine = cifar27.CIFAR100_FINE_LABELS
    assert len(fine) == 100 == len(set(fine)) and fine == sorted(fine)


def fine_index(name):
    return cifar27.CIFAR100_FINE_LABELS.index(name)


def test_relabels_to_the_file_order_and_drops_other_classes(write):
    x, _ = digit_images(5, (32, 32, 3))
    fine = np.array([fine_index("wolf"), 0, fine_index("butterfly"), fine_index("sea"), 1])
    write.cifar100_bin("train", x, fine, names=cifar27.CIFAR100_FINE_LABELS)
    got_x, got_y = datasets.load_cifar27("train", data_dir=write.root)
    np.testing.assert_array_equal(got_y, [26, 0, 20])  # wolf, butterfly, sea
    np.testing.assert_array_equal(got_x, x[[0, 2, 3]])
    assert datasets.source_files("cifar27", "train", write.root) == [
        write.root / "cifar-100-binary" / "train.bin"
    ]


def test_npz_with_fine_labels(write):
    x, _ = digit_images(3, (32, 32, 3))
    write.npz("cifar100", x_test=x, y_test=np.array([fine_index("tiger"), 2, fine_index("bear")]))
    assert datasets.load_cifar27("test", data_dir=write.root)[1].tolist() == [22, 2]


def test_foreign_label_names_are_refused(write):
    x, _ = digit_images(2, (32, 32, 3))
    write.cifar100_bin("test", x, np.array([3, 4]), names=["airplane", "automobile"])
    with pytest.raises(DatasetFormatError, match=r"fine_label_names\.txt"):
        datasets.load_cifar27("test", data_dir=write.root)


def test_tfds_fallback_checks_label_names(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))
    seen = {}

    def fake(source, split, label_names=None):
        seen.update(source=source, names=label_names)
        return np.zeros((2, 32, 32, 3), np.uint8), np.array([fine_index("rose"), 5])

    monkeypatch.setattr(tfds_source, "load_tfds", fake)
    monkeypatch.setattr(tfds_source, "prepared_files", lambda source, split: [])
    assert datasets.load_cifar27("train")[1].tolist() == [19]
    assert seen == {"source": "cifar100", "names": cifar27.CIFAR100_FINE_LABELS}


def test_missing_cifar_names_the_binary_version(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-100-binary"):
        datasets.load_cifar27("train", data_dir=tmp_path)
