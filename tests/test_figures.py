"""neurn_keras.figures.save_figure: atomic, cropped, closed afterwards."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from neurn_keras.figures import save_figure


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
