"""Finding files, the online fallback's boundary, limits, source files and the caches."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from dataset_files import REAL_DOWNLOAD_USPS, NetworkReached, digit_images

from neurn_keras import datasets
from neurn_keras.datasets import cache, formats, tfds_source, usps_download
from neurn_keras.datasets.loading import unreachable as REAL_UNREACHABLE
from neurn_keras.datasets.sources import download_dir

pytestmark = pytest.mark.filterwarnings("ignore:.*canonical split:UserWarning")


# --- where files are looked for -------------------------------------------------------------


def test_missing_data_names_dataset_paths_and_files(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.load_domain("mnist_m", "train", data_dir=tmp_path)
    message = str(error.value)
    for expected in (
        "mnist_m",
        str(tmp_path),
        str(tmp_path / "mnist_m"),
        "mnist_m.npz",
        "mnist_m_train_labels.txt",
        "NEURN_DATA_DIR",
    ):
        assert expected in message


def test_explicit_data_dir_is_the_only_place_looked(write, tmp_path, monkeypatch):
    x, y = digit_images(3, (28, 28))
    elsewhere = tmp_path / "env"
    elsewhere.mkdir()
    np.savez(elsewhere / "mnist.npz", x_train=x, y_train=y)
    monkeypatch.setenv("NEURN_DATA_DIR", str(elsewhere))
    # The online fallback raises NetworkReached, so FileNotFoundError proves it was skipped.
    with pytest.raises(FileNotFoundError, match=re.escape(str(write.root))):
        datasets.load_domain("mnist", "train", data_dir=write.root)
    assert len(datasets.load_domain("mnist", "train")[0]) == 3  # from NEURN_DATA_DIR


def test_dataset_subfolder_and_npz_preferred(write):
    x, y = digit_images(4, (32, 32, 3))
    write.mnist_m("test", x, y, folder=write.root / "mnist_m")
    np.testing.assert_array_equal(datasets.load_domain("mnist_m", "test", write.root)[1], y)
    write.npz("mnist_m", x_train=x[:2], y_train=y[:2], x_test=x[:1], y_test=y[:1])
    datasets.clear_cache()
    assert len(datasets.load_domain("mnist_m", "test", write.root)[0]) == 1
    assert datasets.source_files("mnist_m", "test", write.root) == [write.root / "mnist_m.npz"]


def test_unknown_names_and_splits():
    with pytest.raises(ValueError, match="unknown domain 'svhn2'"):
        datasets.load_domain("svhn2")
    with pytest.raises(ValueError, match="split='val'"):
        datasets.load_domain("mnist", "val")
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        datasets.source_files("imagenet")


# --- the online boundary --------------------------------------------------------------------


def test_local_files_never_reach_the_network(write, monkeypatch):
    """Files under NEURN_DATA_DIR (no explicit data_dir) are read; TFDS is never called."""
    monkeypatch.setenv("NEURN_DATA_DIR", str(write.root))
    x, y = digit_images(5, (28, 28))
    write.idx("train", x, y)
    write.svhn_mat("test", *digit_images(3, (32, 32, 3)))
    write.usps_esl("train", *digit_images(3, (16, 16)))
    write.cifar100_bin("train", digit_images(2, (32, 32, 3))[0], np.array([14, 97]))
    # the autouse fixture makes every online function raise NetworkReached
    assert len(datasets.load_domain("mnist", "train")[0]) == 5
    assert len(datasets.load_domain("svhn", "test")[0]) == 3
    assert len(datasets.load_domain("usps", "train")[0]) == 3
    assert len(datasets.load_cifar27("train")[0]) == 2
    for name, split in (("mnist", "train"), ("svhn", "test"), ("cifar27", "train")):
        assert datasets.source_files(name, split)


def test_tfds_fallback_only_without_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path / "empty"))
    calls = []

    def fake_tfds(source, split, label_names=None):
        calls.append((source, split))
        return np.zeros((4, 32, 32, 3), np.uint8), np.array([0, 1, 2, 10 - 1])

    monkeypatch.setattr(tfds_source, "load_tfds", fake_tfds)
    x, _ = datasets.load_domain("svhn", "test")
    assert calls == [("svhn", "test")] and x.shape == (4, 32, 32, 3)
    with pytest.raises(FileNotFoundError):
        datasets.load_domain("svhn", "train", data_dir=tmp_path / "empty")
    assert calls == [("svhn", "test")]


def test_tfds_results_are_validated(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(
        tfds_source,
        "load_tfds",
        lambda *a, **k: (np.zeros((2, 28, 28, 1), np.uint8), np.array([3, 12])),
    )
    with pytest.raises(formats.DatasetFormatError, match="TFDS mnist"):
        datasets.load_domain("mnist", "test")


def test_failed_download_is_a_file_not_found_with_both_stories(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))

    def offline(*args, **kwargs):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(tfds_source, "load_tfds", offline)
    with pytest.raises(FileNotFoundError, match=r"mnist\.npz.*no route to host"):
        datasets.load_domain("mnist", "train")


def test_offline_switch_skips_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEURN_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="NEURN_OFFLINE=1"):
        datasets.load_domain("svhn", "train")  # NetworkReached would mean it tried


def test_mnist_m_has_no_download(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no stable public download"):
        datasets.load_domain("mnist_m", "test")


def test_usps_download_is_parsed_and_then_found_again(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path / "empty"))
    x, y = digit_images(6, (16, 16))
    x[x == 128] = 129  # 128 is written as an omitted (zero) feature, read back as 128 anyway
    fetched = []

    def fake_download(split):
        from dataset_files import Writer

        fetched.append(split)
        return Writer(tmp_path).usps_libsvm("usps.t.bz2", x, y, folder=download_dir())

    monkeypatch.setattr(usps_download, "download_usps", fake_download)
    got_x, got_y = datasets.load_domain("usps", "test")
    assert fetched == ["test"]
    np.testing.assert_array_equal(got_y, y)
    assert np.abs(got_x[..., 0].astype(int) - x).max() <= 1
    assert datasets.source_files("usps", "test") == [download_dir() / "usps.t.bz2"]
    datasets.clear_cache()
    monkeypatch.setattr(usps_download, "download_usps", lambda split: pytest.fail("again"))
    assert len(datasets.load_domain("usps", "test")[0]) == 6


def test_usps_download_pins_a_hash(monkeypatch):
    import keras

    seen = {}

    def fake_get_file(fname, origin, file_hash, hash_algorithm, cache_dir, cache_subdir):
        seen.update(fname=fname, origin=origin, file_hash=file_hash, algorithm=hash_algorithm)
        return os.path.join(cache_dir, cache_subdir, fname)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    path = REAL_DOWNLOAD_USPS("train")
    assert path == download_dir() / "usps.bz2"
    assert seen["origin"].startswith("https://www.csie.ntu.edu.tw/")
    assert re.fullmatch("[0-9a-f]{32}", seen["file_hash"]) and seen["algorithm"] == "md5"


def test_source_files_never_download(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(tfds_source, "prepared_files", lambda source, split: [])
    with pytest.raises(FileNotFoundError):
        datasets.source_files("svhn", "train")
    assert datasets.source_files("syn_render", "test") == []


def test_network_stub_is_active():
    with pytest.raises(NetworkReached):
        tfds_source.load_tfds("mnist", "train")


# --- limit ----------------------------------------------------------------------------------


def test_limit_takes_the_first_images(write):
    x, y = digit_images(12, (16, 16))
    write.npz("usps", x_train=x, y_train=y)
    got_x, got_y = datasets.load_domain("usps", "train", write.root, limit=5)
    np.testing.assert_array_equal(got_x[..., 0], x[:5])
    np.testing.assert_array_equal(got_y, y[:5])
    for bad in (0, -1, 13, 2.5, True):
        with pytest.raises(ValueError, match="limit="):
            datasets.load_domain("usps", "train", write.root, limit=bad)


# --- caches ---------------------------------------------------------------------------------


def test_memory_cache_returns_read_only_arrays_once_per_process(write, monkeypatch):
    x, y = digit_images(4, (16, 16))
    write.npz("usps", x_train=x, y_train=y)
    first = datasets.load_domain("usps", "train", write.root)
    monkeypatch.setattr(formats, "read_npz", lambda *a, **k: pytest.fail("decoded twice"))
    second = datasets.load_domain("usps", "train", write.root)
    assert second[0] is first[0] and not first[0].flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        first[0][0, 0, 0, 0] = 1
    monkeypatch.undo()
    datasets.clear_cache()
    assert datasets.load_domain("usps", "train", write.root)[0] is not first[0]


def test_memory_cache_notices_a_replaced_file(write):
    x, y = digit_images(4, (16, 16))
    path = write.npz("usps", x_train=x, y_train=y)
    assert len(datasets.load_domain("usps", "train", write.root)[0]) == 4
    write.npz("usps", x_train=x[:2], y_train=y[:2])
    os.utime(path, ns=(1, 1))  # a different mtime, whatever the clock's resolution
    assert len(datasets.load_domain("usps", "train", write.root)[0]) == 2


def cache_files(folder):
    return sorted(folder.glob("mnist_m_test.*.npz")) if folder.is_dir() else []


def test_slow_formats_are_decoded_once_into_the_data_dir(write, monkeypatch):
    x, y = digit_images(5, (32, 32, 3))
    labels, _ = write.mnist_m("test", x, y)
    datasets.load_domain("mnist_m", "test", write.root)
    (cached,) = cache_files(write.root / "cache")
    datasets.clear_cache()
    monkeypatch.setattr(formats, "read_png_folder", lambda *a: pytest.fail("decoded again"))
    got_x, got_y = datasets.load_domain("mnist_m", "test", write.root)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)
    # source_files names the originals (labels file, then every PNG), not the cache
    files = datasets.source_files("mnist_m", "test", write.root)
    assert files[0] == labels and len(files) == 6 and cached not in files


def test_edited_source_is_decoded_again_and_the_stale_cache_removed(write):
    x, y = digit_images(5, (32, 32, 3))
    labels, _ = write.mnist_m("test", x, y)
    datasets.load_domain("mnist_m", "test", write.root)
    (old,) = cache_files(write.root / "cache")
    labels.write_text(labels.read_text().replace(".png 0", ".png 9"))
    os.utime(labels, ns=(1, 1))
    datasets.clear_cache()
    assert datasets.load_domain("mnist_m", "test", write.root)[1][0] == 9
    (new,) = cache_files(write.root / "cache")
    assert new != old


def test_unwritable_data_dir_falls_back_to_the_user_cache(write):
    x, y = digit_images(3, (32, 32, 3))
    write.mnist_m("test", x, y)
    (write.root / "cache").write_text("a file where the cache folder would go")
    datasets.load_domain("mnist_m", "test", write.root)
    assert len(cache_files(cache.USER_CACHE)) == 1  # the fixture's temporary "~" cache


def test_read_only_data_dir_falls_back_to_the_user_cache(write):
    """Read-only by its mode (as the shared data directory): untouched, even by root."""
    x, y = digit_images(3, (32, 32, 3))
    write.mnist_m("test", x, y)
    write.root.chmod(0o555)
    try:
        datasets.load_domain("mnist_m", "test", write.root)
    finally:
        write.root.chmod(0o755)
    assert not (write.root / "cache").exists()
    assert len(cache_files(cache.USER_CACHE)) == 1


def test_cache_env_var_wins_and_unwritable_cache_only_warns(write, tmp_path, monkeypatch):
    x, y = digit_images(3, (32, 32, 3))
    write.svhn_mat("test", x, y)
    monkeypatch.setenv("NEURN_CACHE_DIR", str(tmp_path / "mine"))
    datasets.load_domain("svhn", "test", write.root)
    assert len(list((tmp_path / "mine").glob("svhn_test.*.npz"))) == 1
    datasets.clear_cache()
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    monkeypatch.setenv("NEURN_CACHE_DIR", str(blocked))
    with pytest.warns(UserWarning, match="could not write the decoded cache"):
        got_x, _ = datasets.load_domain("svhn", "test", write.root)
    np.testing.assert_array_equal(got_x, x)


def test_broken_cache_is_decoded_again(write):
    x, y = digit_images(3, (32, 32, 3))
    write.svhn_mat("test", x, y)
    datasets.load_domain("svhn", "test", write.root)
    (cached,) = (write.root / "cache").glob("svhn_test.*.npz")
    cached.write_bytes(cached.read_bytes()[:100])
    datasets.clear_cache()
    with pytest.warns(UserWarning, match="ignoring a broken cache"):
        np.testing.assert_array_equal(datasets.load_domain("svhn", "test", write.root)[0], x)


def test_corrupt_source_leaves_no_cache_behind(write):
    x, y = digit_images(3, (32, 32, 3))
    _, folder = write.mnist_m("test", x, y)
    (folder / "00000001.png").write_bytes(b"broken")
    with pytest.raises(formats.DatasetFormatError):
        datasets.load_domain("mnist_m", "test", write.root)
    assert cache_files(write.root / "cache") == []
    assert not any(key[0] == "mnist_m" for key in cache._MEMORY)


def test_an_unreachable_host_fails_fast_without_trying_a_download(monkeypatch, tmp_path):
    """Offline, TFDS would retry for minutes: one failed connection ends it at once."""
    from neurn_keras.datasets import loading

    monkeypatch.setenv("NEURN_DATA_DIR", str(tmp_path))  # nothing local
    monkeypatch.setattr(loading, "unreachable", lambda host: f"{host} is unreachable (test)")
    with pytest.raises(FileNotFoundError, match=r"No download tried: ufldl\.stanford\.edu"):
        datasets.load_domain("svhn", "test")  # NetworkReached would mean it tried


def test_unreachable_reports_a_closed_port():
    # the autouse fixture replaces loading.unreachable; this is the real one
    assert REAL_UNREACHABLE("127.0.0.1", timeout=1.0) is not None  # nothing listens on 443
