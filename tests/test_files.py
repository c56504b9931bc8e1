"""neurn_keras.files: writes that leave the old file or the new one, never half of one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from neurn_keras.files import (
    atomic_save_model,
    atomic_write,
    atomic_write_json,
    atomic_write_text,
    read_json,
    save_figure,
    sha256_file,
)


class WriterFailed(Exception):
    pass


def failing_writer(temporary: Path) -> None:
    temporary.write_text("half a fi")
    raise WriterFailed


@pytest.mark.parametrize("error", [WriterFailed, KeyboardInterrupt])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    target = tmp_path / "result.txt"
    target.write_text("old content")

    def writer(temporary: Path) -> None:
        temporary.write_text("half a fi")
        raise error

    with pytest.raises(error):
        atomic_write(target, writer)
    assert target.read_text() == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["result.txt"]


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(WriterFailed):
        atomic_write(tmp_path / "new.txt", failing_writer)
    assert not list(tmp_path.iterdir())


def test_replaces_the_old_file_and_returns_the_path(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old")
    assert atomic_write_text(str(target), "new ünïcode\n") == target
    assert target.read_bytes() == "new ünïcode\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["result.txt"]


def test_creates_the_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "c.json"
    atomic_write_json(target, {"x": [1, 2], "y": "z"})
    assert read_json(target) == {"x": [1, 2], "y": "z"}
    assert target.read_text().endswith("\n")


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_permissions_are_0666_less_the_umask(tmp_path, mask):
    previous = os.umask(mask)
    try:
        path = atomic_write_text(tmp_path / "f.txt", "x")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600


def test_the_writer_gets_a_temporary_beside_the_target_with_the_suffix(tmp_path):
    seen = []

    def writer(temporary: Path) -> None:
        seen.append(temporary)
        np.savez(temporary, a=np.arange(3))  # would append .npz to a name without it

    atomic_write(tmp_path / "arrays.npz", writer, suffix=".npz")
    (temporary,) = seen
    assert temporary.parent == tmp_path and temporary.name.endswith(".npz")
    assert temporary != tmp_path / "arrays.npz"
    assert [p.name for p in tmp_path.iterdir()] == ["arrays.npz"]
    with np.load(tmp_path / "arrays.npz") as data:
        np.testing.assert_array_equal(data["a"], np.arange(3))


def test_save_figure_follows_the_suffix(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "f.png", dpi=50, close=False)
    save_figure(fig, tmp_path / "f.pdf")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "f.pdf").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]


def test_save_model_loads_back(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    path = atomic_save_model(model, tmp_path / "m.keras")
    loaded = keras.saving.load_model(path)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_sha256_of_a_known_string(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_file(path) == hashlib.sha256(b"abc").hexdigest() == expected


def test_sha256_reads_in_chunks(tmp_path):
    content = bytes(range(256)) * 41 + b"tail"
    path = tmp_path / "blob"
    path.write_bytes(content)
    assert sha256_file(path, chunk=7) == hashlib.sha256(content).hexdigest()
    (tmp_path / "empty").write_bytes(b"")
    assert sha256_file(tmp_path / "empty") == hashlib.sha256(b"").hexdigest()


# --- save_figure: cropped, closed afterwards ----------------------------------------------


def test_saves_at_the_resolution_asked_and_closes_the_figure(tmp_path):
    sizes = {}
    for dpi in (50, 100):
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1])
        path = save_figure(fig, tmp_path / "sub" / f"f{dpi}.png", dpi=dpi)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not plt.fignum_exists(fig.number)
        sizes[dpi] = Image.open(path).size
    assert sizes[100][0] == pytest.approx(2 * sizes[50][0], rel=0.05)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["f100.png", "f50.png"]


def test_keeps_the_figure_open_when_asked_and_follows_the_suffix(tmp_path):
    fig, _ = plt.subplots()
    save_figure(fig, tmp_path / "f.pdf", close=False)
    assert plt.fignum_exists(fig.number)
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    plt.close(fig)


def test_a_failed_save_leaves_nothing_and_closes(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError):
        save_figure(fig, tmp_path / "f.unknown_format")
    assert not list(tmp_path.iterdir()) and not plt.fignum_exists(fig.number)
